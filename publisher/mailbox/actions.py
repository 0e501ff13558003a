"""Act on recognised returned mail: bounce policy for permanent DSNs, unsubscribe for complaints and requests."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.orm import Session

from publisher.config import Config
from publisher.mailbox.reports import MailReport, ReportKind
from publisher.models.mail import Delivery, DeliveryStatus, SentRelease, Subscriber, SubscriberStatus
from publisher.subscribers import TokenError, TokenPurpose, resolve_token, unsubscribe

log = logging.getLogger(__name__)


@dataclass
class MailSummary:
    """What one `mail process` run did."""

    read: int = 0
    bounces: int = 0  # permanent DSNs acted on (delivery → failed, bounce count + 1)
    bounced: int = 0  # subscribers newly marked bounced
    delays: int = 0  # transient DSNs, counted only
    complaints: int = 0
    unsubscribed: int = 0
    unchanged: int = 0  # understood, but nothing to change (notice, stale token, already handled)
    set_aside: int = 0  # not understood or forged: moved aside for a person

    def describe(self) -> str:
        return (
            f"{self.read} read: {self.bounces} bounces ({self.bounced} subscribers bounced), {self.delays} delays, "
            f"{self.complaints} complaints, {self.unsubscribed} unsubscribed, {self.unchanged} unchanged, "
            f"{self.set_aside} set aside"
        )


def _bounce(session: Session, cfg: Config, delivery_id: int, report: MailReport, now: dt.datetime) -> int | None:
    """sent/unknown → failed for a delivery that bounced after the server took it; the subscriber's bounce
    count goes up (the same policy as a 5xx at sending). None when there is nothing to change: the row is
    gone (purged) or already failed (this DSN, or another for it, was processed before)."""
    row = session.get(Delivery, delivery_id, with_for_update=True)
    if row is None or row.status not in (DeliveryStatus.SENT, DeliveryStatus.UNKNOWN):
        return None
    row.status = DeliveryStatus.FAILED
    row.last_code = 550
    row.last_error = f"bounced after sending: {report.status} {report.diagnostic}".strip()[:2000]
    row.updated_at = now
    # The message never arrived: its releases may go into the subscriber's next edition.
    session.execute(delete(SentRelease).where(SentRelease.delivery_id == delivery_id))
    sub = session.get(Subscriber, row.subscriber_id)
    assert sub is not None  # the foreign key cascades: a delivery always has its subscriber
    sub.bounce_count = (sub.bounce_count or 0) + 1
    if sub.status is SubscriberStatus.ACTIVE and sub.bounce_count >= cfg.delivery.bounce_after:
        sub.status = SubscriberStatus.BOUNCED
        sub.updated_at = now
        return sub.id
    return 0


def _named_subscribers(session: Session, cfg: Config, report: MailReport) -> list[Subscriber]:
    """Who a complaint or an unsubscribe request is about: our signed links and genuine VERP addresses only.
    A request's From address names nobody: anyone can write any From, and would unsubscribe others with it."""
    found: dict[int, Subscriber] = {}
    for token in report.tokens:
        try:
            sub = resolve_token(session, cfg, token, TokenPurpose.UNSUBSCRIBE)
        except TokenError:
            log.warning("mail process: ignored an unsubscribe token that does not verify")
            continue
        if sub is not None:
            found[sub.id] = sub
    for delivery_id in report.delivery_ids:
        row = session.get(Delivery, delivery_id)
        if row is not None and (sub := session.get(Subscriber, row.subscriber_id)) is not None:
            found[sub.id] = sub
    if not found and report.kind is ReportKind.UNSUBSCRIBE:
        log.warning(
            "mail process: an unsubscribe request from %s carries no signed token; nothing changed", report.sender
        )
    return list(found.values())


def apply_report(session: Session, cfg: Config, report: MailReport, summary: MailSummary, now: dt.datetime) -> bool:
    """Change the store as `report` asks (in the caller's transaction); False when nothing changed."""
    if report.kind is ReportKind.BOUNCE:
        changed = False
        for delivery_id in report.delivery_ids:
            outcome = _bounce(session, cfg, delivery_id, report, now)
            if outcome is None:
                continue
            changed = True
            summary.bounces += 1
            if outcome:
                summary.bounced += 1
        return changed
    if report.kind is ReportKind.DELAY:
        summary.delays += 1
        return False
    if report.kind is ReportKind.NOTICE:
        return False
    changed = False
    for sub in _named_subscribers(session, cfg, report):
        if sub.status is not SubscriberStatus.UNSUBSCRIBED and unsubscribe(sub, now):
            changed = True
            summary.unsubscribed += 1
    if report.kind is ReportKind.COMPLAINT:
        summary.complaints += 1
    return changed
