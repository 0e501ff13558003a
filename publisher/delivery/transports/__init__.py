"""The Transport protocol and its registry: `delivery.transport` names the factory that hands messages to the world."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from publisher.config import Config
from publisher.errors import DeliveryError, TransientDeliveryError, UnknownDeliveryError
from publisher.mailmsg import OutgoingMessage


class TransportUnavailable(TransientDeliveryError):
    """The transport cannot be reached at all (connect/login failed): stop the run, retry later."""


class Transport(Protocol):
    """Hands finished messages to the world. `send` raises Transient-, Permanent- or UnknownDeliveryError."""

    def send(self, message: OutgoingMessage) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class OverlappingTransport(Transport, Protocol):
    """A transport that lets the sender's own work run while the server is busy: `claimed()` (the store
    marking the row `sending`) is called once, before any message data goes out — False means send nothing —
    and `meanwhile()` once the data is out, before its reply is awaited. Neither may be skipped when the other
    succeeds: `claimed()` on every attempt that can reach the data, `meanwhile()` whenever the data went out."""

    def send_claimed(
        self, message: OutgoingMessage, claimed: Callable[[], bool], meanwhile: Callable[[], None]
    ) -> bool: ...


class ServerUnresponsive(UnknownDeliveryError):
    """The message was handed over but the server gave no clear answer (timeout, garbled reply): its fate is
    unknown, and so would be the next one's. Record `unknown` and stop the run."""


TransportFactory = Callable[[Config], Transport]
TRANSPORTS: dict[str, TransportFactory] = {}


def register_transport(name: str) -> Callable[[TransportFactory], TransportFactory]:
    def add(factory: TransportFactory) -> TransportFactory:
        TRANSPORTS[name] = factory
        return factory

    return add


def make_transport(cfg: Config) -> Transport:
    """The transport named by cfg.delivery.transport."""
    try:
        factory = TRANSPORTS[cfg.delivery.transport]
    except KeyError:
        known = ", ".join(sorted(TRANSPORTS))
        raise DeliveryError(
            f"delivery.transport: unknown transport {cfg.delivery.transport!r} (known: {known})"
        ) from None
    return factory(cfg)


# The bundled transports register themselves on import; they import this module, so they come last.
from publisher.delivery.transports import outbox, smtp  # noqa: E402

__all__ = [
    "TRANSPORTS",
    "OverlappingTransport",
    "ServerUnresponsive",
    "Transport",
    "TransportFactory",
    "TransportUnavailable",
    "make_transport",
    "outbox",
    "register_transport",
    "smtp",
]
