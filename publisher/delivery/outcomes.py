"""A sender's outcomes not yet committed: plain `sent` ones batched, anything else ahead of the next claim."""

from __future__ import annotations

import datetime as dt
import time

from publisher.delivery.queue import DeliveryQueue
from publisher.delivery.rows import Outcome

# Plain `sent` outcomes are written in batches of this many, or this often, whichever comes first: a sender
# killed in between leaves at most that many rows `unknown` that really went out.
RECORD_EVERY = 100
RECORD_SECONDS = 0.5


class PendingOutcomes:
    """Outcomes not yet committed. Plain `sent` ones are recorded in batches (every RECORD_EVERY messages or
    RECORD_SECONDS); any other outcome (deferred, failed, skipped, unknown) goes with the next claim, and
    everything before waiting, stopping or returning. A sender killed before its batch is written leaves those
    rows `sending`, which recovery makes `unknown`: they were handed over, so nothing is lost that was not
    sent, and nothing is sent twice."""

    def __init__(self, queue: DeliveryQueue) -> None:
        self.queue = queue
        self.items: list[Outcome] = []
        self.urgent_items = False  # one of the items is more than a plain `sent`
        self.since = time.monotonic()

    def add(self, outcome: Outcome) -> None:
        self.items.append(outcome)
        self.urgent_items = self.urgent_items or not outcome.plain_sent

    def _take(self) -> list[Outcome]:
        items, self.items, self.urgent_items, self.since = self.items, [], False, time.monotonic()
        return items

    def urgent(self) -> list[Outcome]:
        """All items when one of them is more than a plain `sent` (to be recorded before the next claim)."""
        return self._take() if self.urgent_items else []

    def record_if_due(self, now: dt.datetime) -> int:
        """Record the batch when it is full or old enough; subscribers newly bounced."""
        if len(self.items) >= RECORD_EVERY or (self.items and time.monotonic() - self.since >= RECORD_SECONDS):
            return self.queue.record(self._take(), now)
        return 0

    def flush(self, now: dt.datetime) -> int:
        return self.queue.record(self._take(), now) if self.items else 0
