"""Abuse limits on the public subscribe form, counted in the store: per client, per address and for everyone."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from publisher.models import count_hit, prune_counters, utcnow
from publisher.store import Store


class AddressLimiter(Protocol):
    """What the subscribe pipeline asks before mailing an address (StoreLimiter: counted in the shared store)."""

    def allow(self, address: str) -> bool: ...


@dataclass(frozen=True)
class Limit:
    """At most `hits` in each fixed window of `seconds`, per key."""

    name: str
    hits: int
    seconds: int


# Per client address: a person subscribing (and maybe correcting a typo) needs a few tries, a script needs hundreds.
CLIENT_LIMITS = (Limit("subscribe-client", 5, 600), Limit("subscribe-client-day", 20, 86400))
# Per e-mail address: the form must not become a way to flood someone's inbox.
ADDRESS_LIMITS = (Limit("mail-address", 1, 60), Limit("mail-address-day", 3, 86400))
# For everyone together: a flood from many clients still cannot make the list a spam cannon.
GLOBAL_LIMITS = (Limit("mail-all", 300, 3600),)
PRUNE_EVERY = dt.timedelta(hours=1)
KEEP = dt.timedelta(days=2)  # longer than the longest window


class StoreLimiter:
    """Limits counted in the store, so they hold across processes, machines and restarts.

    `allow(address)` (the interface the subscribe pipeline takes) says whether a subscription mail may go to
    that address now; `allow_client(client)` whether a client (IP address) may submit the form now. Every call
    counts a hit, refused ones too: hammering the form does not reopen it sooner.
    """

    def __init__(
        self,
        store: Store,
        *,
        client_limits: tuple[Limit, ...] = CLIENT_LIMITS,
        address_limits: tuple[Limit, ...] = ADDRESS_LIMITS,
        global_limits: tuple[Limit, ...] = GLOBAL_LIMITS,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.store = store
        self.client_limits, self.address_limits, self.global_limits = client_limits, address_limits, global_limits
        self.clock = clock
        self._pruned_at: dt.datetime | None = None
        self._lock = threading.Lock()

    def allow_client(self, client: str) -> bool:
        return self._allow(self.client_limits, client or "unknown")

    def allow(self, address: str) -> bool:
        return self._allow(self.address_limits, address) and self._allow(self.global_limits, "")

    def _allow(self, limits: tuple[Limit, ...], key: str) -> bool:
        now = self.clock()
        with self.store.session() as session:
            counts = [count_hit(session, f"{limit.name}:{key}", limit.seconds, now) for limit in limits]
            if self._prune_due(now):
                prune_counters(session, now - KEEP)
        return all(count <= limit.hits for count, limit in zip(counts, limits, strict=True))

    def _prune_due(self, now: dt.datetime) -> bool:
        with self._lock:
            if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
                return False
            self._pruned_at = now
            return True
