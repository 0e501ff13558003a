"""Deliver queued digest messages through a transport (outbox files or SMTP) with an at-most-once state machine."""

from publisher.delivery.messages import (
    RENDER_CACHE,
    LinkProvider,
    PreparedDigest,
    Renderer,
    default_links,
    message_for,
    prepare_digest,
)
from publisher.delivery.queue import (
    BATCH,
    DueDelivery,
    Recipient,
    backoff,
    finish_editions,
    recover_interrupted,
)
from publisher.delivery.run import DeliverySummary, run_deliveries
from publisher.delivery.transports import (
    TRANSPORTS,
    Transport,
    TransportFactory,
    TransportUnavailable,
    make_transport,
    register_transport,
)
from publisher.delivery.transports.outbox import OutboxTransport, write_atomic
from publisher.delivery.transports.smtp import SmtpTransport

__all__ = [
    "BATCH",
    "RENDER_CACHE",
    "TRANSPORTS",
    "DeliverySummary",
    "DueDelivery",
    "LinkProvider",
    "OutboxTransport",
    "PreparedDigest",
    "Recipient",
    "Renderer",
    "SmtpTransport",
    "Transport",
    "TransportFactory",
    "TransportUnavailable",
    "backoff",
    "default_links",
    "finish_editions",
    "make_transport",
    "message_for",
    "prepare_digest",
    "recover_interrupted",
    "register_transport",
    "run_deliveries",
    "write_atomic",
]
