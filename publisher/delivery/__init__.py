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
from publisher.delivery.pacing import Pacer
from publisher.delivery.queue import BATCH, DeliveryQueue, finish_editions, recover_interrupted
from publisher.delivery.rows import DueDelivery, Outcome, Recipient, backoff
from publisher.delivery.run import DeliverySummary, run_deliveries
from publisher.delivery.testsend import TestSendResult, send_test
from publisher.delivery.transports import (
    TRANSPORTS,
    ServerUnresponsive,
    Transport,
    TransportFactory,
    TransportUnavailable,
    make_transport,
    register_transport,
)
from publisher.delivery.transports.outbox import OutboxTransport, write_atomic
from publisher.delivery.transports.smtp import SmtpTransport
from publisher.delivery.workers import merge_summaries, run_workers

__all__ = [
    "BATCH",
    "RENDER_CACHE",
    "TRANSPORTS",
    "DeliveryQueue",
    "DeliverySummary",
    "DueDelivery",
    "LinkProvider",
    "OutboxTransport",
    "Outcome",
    "Pacer",
    "PreparedDigest",
    "Recipient",
    "Renderer",
    "ServerUnresponsive",
    "SmtpTransport",
    "TestSendResult",
    "Transport",
    "TransportFactory",
    "TransportUnavailable",
    "backoff",
    "default_links",
    "finish_editions",
    "make_transport",
    "merge_summaries",
    "message_for",
    "prepare_digest",
    "recover_interrupted",
    "register_transport",
    "run_deliveries",
    "run_workers",
    "send_test",
    "write_atomic",
]
