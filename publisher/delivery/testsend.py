"""One digest sent as a test to any address: marked as a test, no delivery row, nothing recorded as sent."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from email.utils import make_msgid

from sqlalchemy import select

from publisher import digest as digest_step
from publisher import dkim
from publisher.config import Config
from publisher.delivery.messages import prepare_digest
from publisher.delivery.transports import Transport, make_transport
from publisher.errors import NotFoundError
from publisher.mailmsg import OutgoingMessage, date_header, fill_skeleton, format_address
from publisher.models import utcnow
from publisher.models.mail import Edition
from publisher.store import Store
from publisher.subscribers import find_subscriber, normalise_email

TEST_HEADER = b"X-Publisher-Test: yes\r\n"
SUBJECT_MARK = "[TEST] "


@dataclass(frozen=True)
class TestSendResult:
    edition_id: int
    period: str
    to: str
    as_subscriber: str
    items: int
    subject: str
    message_id: str

    def describe(self) -> str:
        who = f"as {self.as_subscriber}" if self.as_subscriber else "everything in the edition"
        return (
            f"test message sent to {self.to}: edition {self.edition_id} ({self.period}), {who}, "
            f"{self.items} items, subject {self.subject!r}; nothing recorded"
        )


def send_test(
    store: Store,
    cfg: Config,
    *,
    to: str,
    as_subscriber: str | None = None,
    edition_id: int | None = None,
    transport: Transport | None = None,
    now: dt.datetime | None = None,
) -> TestSendResult:
    """Send one message of an edition (default: the newest) to `to`: what `as_subscriber` got or would get, or
    everything in the edition's period. Subject marked [TEST], header X-Publisher-Test; links point at the
    public subscribe page, never at anyone's personal pages; no delivery row, no sent releases."""
    address = normalise_email(to)
    now = now or utcnow()
    with store.session() as session:
        if edition_id is not None:
            edition = digest_step.find_edition(session, edition_id)
        else:
            newest = session.scalars(select(Edition).order_by(Edition.built_at.desc(), Edition.id.desc())).first()
            if newest is None:
                raise NotFoundError("no digest edition yet (publisher digest build makes one)")
            edition = newest
        period = digest_step.edition_period(edition)
        subscriber = None
        if as_subscriber is not None:
            subscriber = find_subscriber(session, normalise_email(as_subscriber))
            if subscriber is None:
                raise NotFoundError(f"no subscriber {as_subscriber!r}")
        items = digest_step.preview_items(session, cfg, period, subscriber)
        name = subscriber.name if subscriber is not None else ""
        shown_as = subscriber.email if subscriber is not None else ""
        eid = edition.id
    rendered = digest_step.render_digest(cfg, period, items)
    rendered = dataclasses.replace(rendered, subject=SUBJECT_MARK + rendered.subject)
    prepared = prepare_digest(cfg, rendered)
    generic = cfg.site.url("subscribe")
    links = {"manage": generic, "unsubscribe": generic, "one_click": generic, "feed": cfg.site.url("feeds/")}
    escaped, values = digest_step.personal_values(name, links)
    message_id = make_msgid("test", domain=cfg.site.authority)
    data = fill_skeleton(
        prepared.skeleton,
        to=format_address("To", "", address),
        date=date_header(now),
        message_id=message_id,
        one_click=links["one_click"],
        plain=values,
        escaped=escaped,
    )
    message = OutgoingMessage(0, message_id, cfg.digest.from_address, address, dkim.sign(TEST_HEADER + data, cfg))
    opened = transport or make_transport(cfg)
    try:
        opened.send(message)
    finally:
        if transport is None:
            opened.close()
    return TestSendResult(eid, period.label, address, shown_as, len(items), rendered.subject, message_id)
