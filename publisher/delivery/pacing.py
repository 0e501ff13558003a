"""delivery.rate_limit across every sender sharing the store: one token-bucket row hands out sending slots."""

from __future__ import annotations

import threading
import time

from sqlalchemy import case, insert, update
from sqlalchemy.exc import IntegrityError

from publisher.errors import DeliveryError
from publisher.models.mail import DeliveryPacing
from publisher.store import Store


class Pacer:
    """Each message takes the next free slot (`interval` after the previous one, whoever took it), then waits
    for it. Senders call `wait` before claiming a row, so a sender killed while waiting leaves nothing in
    `sending`. Slots are Unix times: senders on several hosts need synchronised clocks (NTP)."""

    def __init__(self, store: Store, rate_limit: float, *, name: str = "delivery") -> None:
        self.engine = store.engine
        self.interval = 1.0 / rate_limit if rate_limit > 0 else 0.0
        self.name = name

    def take(self) -> float:
        """The Unix time at which this sender may send its next message (reserved for it)."""
        now = time.time()
        later = case((DeliveryPacing.next_at > now, DeliveryPacing.next_at), else_=now) + self.interval
        for _ in range(3):
            with self.engine.begin() as c:
                row = c.execute(
                    update(DeliveryPacing)
                    .where(DeliveryPacing.name == self.name)
                    .values(next_at=later)
                    .returning(DeliveryPacing.next_at)
                ).first()
                if row is not None:
                    return float(row[0]) - self.interval
            try:
                with self.engine.begin() as c:
                    c.execute(insert(DeliveryPacing).values(name=self.name, next_at=now + self.interval))
                return now
            except IntegrityError:
                continue  # another sender created the row first: take a slot from it
        raise DeliveryError("delivery_pacing: the rate-limit row keeps vanishing (deleted by hand?)")

    def wait(self, stop: threading.Event | None = None) -> bool:
        """Wait for this sender's next slot; False when `stop` was set meanwhile (the slot is then unused)."""
        if not self.interval:
            return True
        delay = self.take() - time.time()
        if delay <= 0:
            return True
        if stop is None:
            time.sleep(delay)
            return True
        return not stop.wait(delay)
