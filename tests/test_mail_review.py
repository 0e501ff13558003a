"""Regression tests from the adversarial review of the mail side (delivery, digests, subscribers, web)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import start_smtp_server
from sqlalchemy import select

from publisher import pipeline
from publisher import subscribers as subs
from publisher.config import Config
from publisher.digest import build_edition, parse_period
from publisher.errors import SubscriberError
from publisher.models.mail import Delivery, DeliveryStatus, Subscriber, SubscriberStatus
from publisher.store import Store

BUILD_AT = dt.datetime(2025, 4, 1, 7, 0, tzinfo=dt.UTC)
SEND_AT = dt.datetime(2025, 4, 1, 8, 0, tzinfo=dt.UTC)


class _Sink:
    def __init__(self, mail_reply: str = "") -> None:
        self.messages: list[tuple[str, bytes]] = []
        self.mail_reply = mail_reply  # a refusal for every MAIL FROM

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.rcpt_tos[0], envelope.content))
        return "250 2.0.0 OK"


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., tuple[_Sink, int]]]:
    """Real aiosmtpd servers on 127.0.0.1 with extra SMTP options (auth, ...); returns (sink, port)."""
    started: list[Any] = []

    def start(mail_reply: str = "", **smtp_kwargs: Any) -> tuple[_Sink, int]:
        sink = _Sink(mail_reply)
        c = start_smtp_server(sink, **smtp_kwargs)
        started.append(c)
        return sink, c.port

    yield start
    for c in started:
        c.stop()


def _smtp_cfg(make_config: Callable[..., Config], port: int, **smtp: Any) -> Config:
    return make_config(
        delivery={"transport": "smtp", "retry_base_seconds": 60, "max_attempts": 3},
        smtp={"host": "127.0.0.1", "port": port, "timeout": 10, **smtp},
    )


def _build(store: Store, cfg: Config, period: str = "2025-03") -> None:
    with store.session() as s:
        build_edition(s, cfg, parse_period(period), now=BUILD_AT)


def _rows(store: Store) -> list[tuple[int, DeliveryStatus]]:
    with store.session() as s:
        return [(d.subscriber_id, d.status) for d in s.scalars(select(Delivery).order_by(Delivery.id))]


def _sub_status(store: Store) -> dict[str, SubscriberStatus]:
    with store.session() as s:
        return {x.email: x.status for x in s.scalars(select(Subscriber))}


# ---------------------------------------------------------------- SMTP adapter


def test_sender_refused_at_mail_from_does_not_bounce_the_whole_list(
    make_config: Callable[..., Config],
    store: Store,
    digest_world: dict[str, Any],
    add_subscribers: Callable[..., list[int]],
    smtp_server: Callable[..., Any],
) -> None:
    # A relay that wants AUTH (operator forgot smtp.username) refuses MAIL FROM with 530; one that does not
    # accept our From domain says 550 5.7.1. Neither says anything about the recipients: it must not fail every
    # delivery and mark every subscriber bounced.
    sink, port = smtp_server(mail_reply="530 5.7.0 Authentication required")
    cfg = _smtp_cfg(make_config, port)
    add_subscribers([(f"r{i}@example.org", "monthly", [], []) for i in range(3)])
    _build(store, cfg)
    summary = pipeline.deliver(cfg, store, now=SEND_AT)
    assert summary.failed == 0 and summary.bounced == 0
    assert summary.stopped
    assert set(_sub_status(store).values()) == {SubscriberStatus.ACTIVE}
    assert DeliveryStatus.FAILED not in {st for _, st in _rows(store)}
    assert sink.messages == []


def test_non_ascii_smtp_password_is_a_delivery_error_not_a_crash(
    make_config: Callable[..., Config],
    store: Store,
    digest_world: dict[str, Any],
    add_subscribers: Callable[..., list[int]],
    smtp_server: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # smtplib (3.11) encodes AUTH PLAIN/LOGIN as ASCII: a password with "ö" raised UnicodeEncodeError out of
    # the adapter, the run died with a traceback and the claimed row was left `sending` (→ `unknown`, never sent).
    _sink, port = smtp_server(auth_require_tls=False, authenticator=lambda *a: None)
    monkeypatch.setenv("PUBLISHER_TEST_SMTP_PASSWORD", "pässwort")
    cfg = _smtp_cfg(make_config, port, username="mailer", password_env="PUBLISHER_TEST_SMTP_PASSWORD")
    add_subscribers([("r0@example.org", "monthly", [], [])])
    _build(store, cfg)
    summary = pipeline.deliver(cfg, store, now=SEND_AT)
    assert summary.stopped and summary.deferred == 1
    assert [st for _, st in _rows(store)] == [DeliveryStatus.DEFERRED]
    assert pipeline.deliver(cfg, store, now=SEND_AT).recovered == 0


# ---------------------------------------------------------------- addresses


def test_idn_domains_are_stored_in_their_ascii_form(cfg: Config) -> None:
    # "bücher.example" can be mailed without SMTPUTF8 as xn--bcher-kva.example; stored in Unicode it could not
    # be mailed at all (digests failed, the confirmation mail crashed the subscribe page over SMTP).
    assert subs.normalise_email("Ada@Bücher.Example") == "ada@xn--bcher-kva.example"
    assert subs.normalise_email("ada@xn--bcher-kva.example") == "ada@xn--bcher-kva.example"


def test_addresses_that_need_smtputf8_are_refused_with_a_clear_error(cfg: Config) -> None:
    with pytest.raises(SubscriberError, match="not a valid e-mail address"):
        subs.normalise_email("jörg@example.org")


def test_idn_subscriber_gets_the_confirmation_and_digest_over_smtp(
    make_config: Callable[..., Config],
    store: Store,
    digest_world: dict[str, Any],
    smtp_server: Callable[..., Any],
) -> None:
    sink, port = smtp_server()
    cfg = _smtp_cfg(make_config, port)
    change = pipeline.add_subscriber(cfg, "ada@bücher.example", active=False, store=store)
    assert change.confirmation_sent
    with store.session() as s:
        s.execute(Subscriber.__table__.update().values(status=SubscriberStatus.ACTIVE, frequency="monthly"))
    _build(store, cfg)
    assert pipeline.deliver(cfg, store, now=SEND_AT).sent == 1
    assert [r for r, _ in sink.messages] == ["ada@xn--bcher-kva.example"] * 2


def test_smtp_adapter_translates_an_unencodable_recipient(
    make_config: Callable[..., Config],
    smtp_server: Callable[..., Any],
    tmp_path: Path,
) -> None:
    # Defence in depth at the adapter: whatever reaches it, smtplib's ASCII-only commands must not leak a
    # UnicodeEncodeError (the subscription mail path has no format_address check in front of it).
    from publisher.delivery import SmtpTransport
    from publisher.errors import PermanentDeliveryError
    from publisher.mailmsg import OutgoingMessage

    sink, port = smtp_server()
    transport = SmtpTransport(_smtp_cfg(make_config, port))
    try:
        with pytest.raises(PermanentDeliveryError):
            transport.send(
                OutgoingMessage(1, "<m@x>", "news@example.org", "jörg@example.org", b"Subject: x\r\n\r\nx\r\n")
            )
        transport.send(OutgoingMessage(2, "<n@x>", "news@example.org", "ok@example.org", b"Subject: y\r\n\r\ny\r\n"))
    finally:
        transport.close()
    assert [r for r, _ in sink.messages] == ["ok@example.org"]


# ---------------------------------------------------------------- state machine


def test_unsubscribing_while_a_run_is_under_way_stops_that_message(
    make_config: Callable[..., Config],
    store: Store,
    digest_world: dict[str, Any],
    add_subscribers: Callable[..., list[int]],
) -> None:
    # A run loads 200 due rows at a time (minutes of sending at a modest rate_limit). Someone who clicks
    # one-click unsubscribe after their row was loaded but before it is sent must not get the message.
    from publisher.delivery import OutboxTransport, run_deliveries
    from publisher.mailmsg import OutgoingMessage

    cfg = make_config()
    ids = add_subscribers([(f"r{i}@example.org", "monthly", [], []) for i in range(3)])
    _build(store, cfg)

    class UnsubscribeDuringRun(OutboxTransport):
        """The outbox, plus: while the first message goes out, subscriber 3 unsubscribes on the web."""

        def send(self, message: OutgoingMessage) -> None:
            super().send(message)
            with store.session() as s:
                subs.unsubscribe(s.get(Subscriber, ids[2]))  # type: ignore[arg-type]

    summary = run_deliveries(store, cfg, transport=UnsubscribeDuringRun(cfg), now=SEND_AT)
    assert (summary.sent, summary.skipped) == (2, 1)
    assert dict(_rows(store))[ids[2]] is DeliveryStatus.SKIPPED
    assert len(list(cfg.delivery.outbox_dir.glob("*.eml"))) == 2


# ---------------------------------------------------------------- editions


def test_switching_from_monthly_to_weekly_does_not_lose_the_month_so_far(
    cfg: Config,
    store: Store,
    digest_world: dict[str, Any],
    add_subscribers: Callable[..., list[int]],
) -> None:
    # Monthly reader; the February edition goes out on 1 March. On 18 March they switch to weekly. The releases
    # of 3–16 March were in weekly editions W10/W11 (they were not weekly then) and will not be in the March
    # monthly edition (they are not monthly any more): they must come in their first weekly edition.
    from publisher.models import Release
    from publisher.models.mail import Frequency, SentRelease

    (sid,) = add_subscribers([("switcher@example.org", "monthly", [], [])])
    add_subscribers([("weekly@example.org", "weekly", [], [])])

    def build(period: str, at: dt.datetime) -> None:
        with store.session() as s:
            build_edition(s, cfg, parse_period(period), now=at)

    build("2025-02", dt.datetime(2025, 3, 1, 7, tzinfo=dt.UTC))
    build("2025-W10", dt.datetime(2025, 3, 10, 7, tzinfo=dt.UTC))
    build("2025-W11", dt.datetime(2025, 3, 17, 7, tzinfo=dt.UTC))
    with store.session() as s:
        s.get(Subscriber, sid).frequency = Frequency.WEEKLY  # type: ignore[union-attr]
    build("2025-W12", dt.datetime(2025, 3, 24, 7, tzinfo=dt.UTC))
    build("2025-W13", dt.datetime(2025, 3, 31, 7, tzinfo=dt.UTC))
    build("2025-W14", dt.datetime(2025, 4, 7, 7, tzinfo=dt.UTC))
    build("2025-03", dt.datetime(2025, 4, 1, 7, tzinfo=dt.UTC))
    with store.session() as s:
        got = [
            r
            for (r,) in s.execute(
                select(Release.published)
                .join(SentRelease, SentRelease.release_id == Release.id)
                .where(SentRelease.subscriber_id == sid)
                .order_by(Release.published)
            )
        ]
        everything = sorted(s.scalars(select(Release.published)))
    assert got == everything  # each release once: none lost in the switch, none repeated
