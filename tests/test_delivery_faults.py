"""Delivery under SMTP faults, counted at a real server on 127.0.0.1: nothing lost, nothing sent twice."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from publisher import pipeline
from publisher.config import Config
from publisher.delivery import SmtpTransport
from publisher.digest import build_edition, parse_period
from publisher.mailmsg import OutgoingMessage
from publisher.models.mail import Delivery, DeliveryStatus, Subscriber, SubscriberStatus
from publisher.store import Store
from tests.conftest import to_toml, wait_for

BUILD_AT = dt.datetime(2025, 4, 1, 7, 0, tzinfo=dt.UTC)
SEND_AT = dt.datetime(2025, 4, 1, 8, 0, tzinfo=dt.UTC)


def _build(store: Store, cfg: Config) -> None:
    with store.session() as s:
        build_edition(s, cfg, parse_period("2025-03"), now=BUILD_AT)


def _readers(add: Callable[..., list[int]], n: int) -> list[str]:
    emails = [f"reader{i:03d}@example.org" for i in range(n)]
    add([(e, "monthly", [], [], SubscriberStatus.ACTIVE, f"Reader {i}") for i, e in enumerate(emails)])
    return emails


def _statuses(store: Store) -> Counter[str]:
    with store.session() as s:
        return Counter(str(st) for st in s.scalars(select(Delivery.status)))


def _status_of(store: Store) -> dict[str, str]:
    with store.session() as s:
        rows = s.execute(
            select(Subscriber.email, Delivery.status).join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        )
        return {email: str(status) for email, status in rows}


# The fault tests run against a server that answers each command in turn, and against one that offers
# PIPELINING and answers MAIL, RCPT and DATA only once all three arrived (a client that does not pipeline
# would wait for ever there).
PIPELINING = pytest.mark.parametrize("pipelining", [False, "strict"], ids=["lockstep", "pipelined"])


def _smtp(make_config: Callable[..., Config], port: int, timeout: float = 10, **delivery: Any) -> Config:
    return make_config(
        delivery={"transport": "smtp", "retry_base_seconds": 60, "max_attempts": 3, **delivery},
        smtp={"host": "127.0.0.1", "port": port, "timeout": timeout},
    )


@PIPELINING
def test_a_drop_before_the_final_dot_is_deferred_and_sent_once_later(
    make_config: Callable[..., Config],
    store: Store,
    digest_world: dict[str, Any],
    add_subscribers: Callable[..., list[int]],
    raw_smtp: Callable[..., Any],
    pipelining: bool | str,
) -> None:
    # The server answers 354 and hangs up before reading the body. The body still "goes out" (into the socket
    # buffer), but the server never got the dot: it cannot have the message, so it is retried, not `unknown`.
    server = raw_smtp(
        lambda rcpt, attempt: "hangup-after-354" if rcpt == "reader000@example.org" and attempt == 1 else None,
        pipelining,
    )
    cfg = _smtp(make_config, server.port)
    emails = _readers(add_subscribers, 3)
    _build(store, cfg)
    first = pipeline.deliver(cfg, store, now=SEND_AT)
    assert (first.sent, first.deferred, first.unknown) == (2, 1, 0)
    assert _status_of(store)[emails[0]] == "deferred"
    with store.session() as s:
        row = s.scalars(select(Delivery).where(Delivery.status == DeliveryStatus.DEFERRED)).one()
        assert "before the end of DATA" in row.last_error
    retry = pipeline.deliver(cfg, store, now=SEND_AT + dt.timedelta(hours=1))
    assert retry.sent == 1
    assert Counter(server.received) == dict.fromkeys(emails, 1)


@PIPELINING
def test_no_reply_within_the_timeout_is_unknown_and_stops_the_run(
    make_config: Callable[..., Config],
    store: Store,
    digest_world: dict[str, Any],
    add_subscribers: Callable[..., list[int]],
    raw_smtp: Callable[..., Any],
    pipelining: bool | str,
) -> None:
    # A server slower than smtp.timeout has the message (it got the dot): `unknown`, never resent; and the next
    # message would fare the same, so the run stops and leaves the rest queued for later.
    slow = True
    server = raw_smtp(lambda rcpt, attempt: ("slow", 2.0) if slow else None, pipelining)
    cfg = _smtp(make_config, server.port, timeout=0.5)
    emails = _readers(add_subscribers, 4)
    _build(store, cfg)
    summary = pipeline.deliver(cfg, store, now=SEND_AT)
    assert (summary.unknown, summary.sent) == (1, 0)
    assert summary.stopped and "no clear answer" in summary.note
    assert _statuses(store) == {"unknown": 1, "queued": 3}
    wait_for(lambda: server.count() == 1, what="the slow server to take the first message")
    slow = False
    later = pipeline.deliver(cfg, store, now=SEND_AT + dt.timedelta(hours=1))
    assert (later.sent, later.unknown) == (3, 0)
    assert Counter(server.received) == dict.fromkeys(emails, 1)


@PIPELINING
def test_a_garbled_reply_after_the_dot_is_unknown_and_never_resent(
    make_config: Callable[..., Config],
    store: Store,
    digest_world: dict[str, Any],
    add_subscribers: Callable[..., list[int]],
    raw_smtp: Callable[..., Any],
    pipelining: bool | str,
) -> None:
    # smtplib turns a reply it cannot parse into code -1. After the dot that is no verdict: the server may have
    # taken the message. Retrying it would send it twice.
    server = raw_smtp(lambda rcpt, attempt: "garbled" if rcpt == "reader000@example.org" else None, pipelining)
    cfg = _smtp(make_config, server.port, retry_base_seconds=0)
    emails = _readers(add_subscribers, 3)
    _build(store, cfg)
    summary = pipeline.deliver(cfg, store, now=SEND_AT)
    assert (summary.unknown, summary.sent, summary.deferred) == (1, 0, 0)
    assert summary.stopped and "unparseable reply" in summary.note
    assert _status_of(store) == {emails[0]: "unknown", emails[1]: "queued", emails[2]: "queued"}
    for hours in (1, 2):
        pipeline.deliver(cfg, store, now=SEND_AT + dt.timedelta(hours=hours))
    assert _status_of(store) == {emails[0]: "unknown", emails[1]: "sent", emails[2]: "sent"}
    assert Counter(server.received) == dict.fromkeys(emails, 1)


def _config_file(path: Path, db_url: str, port: int, **delivery: Any) -> Path:
    path.write_text(
        to_toml(
            {
                "site": {"base_url": "https://news.example.org/", "timezone": "Europe/Vienna"},
                "store": {"url": db_url},
                "delivery": {"transport": "smtp", **delivery},
                "smtp": {"host": "127.0.0.1", "port": port, "timeout": 10},
            }
        ),
        encoding="utf-8",
    )
    return path


def _spawn(config: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "PUBLISHER_DATABASE_URL"}
    return subprocess.Popen(
        [sys.executable, "-m", "publisher", "-c", str(config), "-q", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_killed_while_waiting_for_the_rate_limit_leaves_nothing_unknown(
    make_config: Callable[..., Config],
    store: Store,
    db_url: str,
    tmp_path: Path,
    digest_world: dict[str, Any],
    add_subscribers: Callable[..., list[int]],
    smtp_sink: Callable[..., Any],
) -> None:
    # With rate_limit = 0.5 the sender spends ~2 s waiting between messages and milliseconds sending. Killed
    # right after the second message arrived, it is waiting: no row may be left `sending` for a message that
    # never left (it would become `unknown`, and so be lost).
    sink, port = smtp_sink()
    cfg = _smtp(make_config, port)
    emails = _readers(add_subscribers, 5)
    _build(store, cfg)
    proc = _spawn(_config_file(tmp_path / "paced.toml", db_url, port, rate_limit=0.5), "digest", "send")
    try:
        wait_for(lambda: sink.count() >= 2 or proc.poll() is not None, what="two paced messages")
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(30)
        assert proc.stderr is not None
        err = proc.stderr.read().decode()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, err
    arrived = {rcpt for rcpt, _ in sink.messages}
    with store.session() as s:
        in_flight = set(
            s.scalars(
                select(Subscriber.email)
                .join(Delivery, Delivery.subscriber_id == Subscriber.id)
                .where(Delivery.status == DeliveryStatus.SENDING)
            )
        )
    assert in_flight <= arrived, "a row left `sending` whose message never left"
    summary = pipeline.deliver(cfg, store, now=SEND_AT)
    assert summary.recovered == len(in_flight)
    assert Counter(r for r, _ in sink.messages) == dict.fromkeys(emails, 1)


def test_the_rate_limit_holds_across_workers(
    make_config: Callable[..., Config],
    store: Store,
    digest_world: dict[str, Any],
    add_subscribers: Callable[..., list[int]],
    smtp_sink: Callable[..., Any],
) -> None:
    # Three workers, one shared budget of 20 messages a second. Slots come from one bucket row, each message
    # goes out no earlier than its slot, so the i-th arrival cannot be earlier than start + i/20 s (a lower
    # bound: a slow machine only makes it later).
    sink, port = smtp_sink()
    cfg = _smtp(make_config, port, rate_limit=20)
    emails = _readers(add_subscribers, 12)
    _build(store, cfg)
    start = time.time()
    summary = pipeline.deliver(cfg, store, now=SEND_AT, workers=3)
    assert summary.sent == 12
    arrivals = sorted(sink.arrivals)
    early = [i for i, t in enumerate(arrivals) if t < start + i / 20]
    assert not early, f"messages {early} went out faster than 20/s"
    assert Counter(r for r, _ in sink.messages) == dict.fromkeys(emails, 1)


# ---------------------------------------------------------------- PIPELINING (RFC 2920)


def test_with_pipelining_the_envelope_and_data_go_in_one_write_over_one_connection(
    make_config: Callable[..., Config],
    store: Store,
    digest_world: dict[str, Any],
    add_subscribers: Callable[..., list[int]],
    raw_smtp: Callable[..., Any],
) -> None:
    # The strict server answers MAIL, RCPT and DATA only when all three are in: a sender waiting for each
    # reply would time out on the first MAIL and defer everything.
    server = raw_smtp(pipelining="strict")
    cfg = _smtp(make_config, server.port, timeout=2)
    emails = _readers(add_subscribers, 5)
    _build(store, cfg)
    summary = pipeline.deliver(cfg, store, now=SEND_AT)
    assert (summary.sent, summary.deferred) == (5, 0), summary.describe()
    assert Counter(server.received) == dict.fromkeys(emails, 1)
    assert server.connections == 1
    assert _statuses(store) == {"sent": 5}


def test_a_recipient_refused_in_a_pipelined_envelope_is_judged_before_any_data(
    make_config: Callable[..., Config],
    store: Store,
    digest_world: dict[str, Any],
    add_subscribers: Callable[..., list[int]],
    raw_smtp: Callable[..., Any],
) -> None:
    # RCPT refused: the DATA sent along with it gets 554 and nothing is handed over. 550 fails the delivery
    # (a bounce), 450 defers it; the others go out over the same connection.
    refusals = {"reader000@example.org": "550", "reader002@example.org": "450"}
    server = raw_smtp(pipelining="strict", rcpt_fault=refusals.get)
    cfg = _smtp(make_config, server.port, timeout=2)
    emails = _readers(add_subscribers, 4)
    _build(store, cfg)
    summary = pipeline.deliver(cfg, store, now=SEND_AT)
    assert (summary.sent, summary.failed, summary.deferred, summary.unknown) == (2, 1, 1, 0), summary.describe()
    assert _status_of(store) == {emails[0]: "failed", emails[1]: "sent", emails[2]: "deferred", emails[3]: "sent"}
    assert Counter(server.received) == {emails[1]: 1, emails[3]: 1}
    assert server.connections == 1
    with store.session() as s:
        assert s.scalar(select(Subscriber.bounce_count).where(Subscriber.email == emails[0])) == 1
        assert s.scalar(select(Subscriber.bounce_count).where(Subscriber.email == emails[2])) == 0


def test_a_354_after_a_refused_recipient_is_answered_by_hanging_up(
    make_config: Callable[..., Config],
    store: Store,
    digest_world: dict[str, Any],
    add_subscribers: Callable[..., list[int]],
    raw_smtp: Callable[..., Any],
) -> None:
    # A broken server refuses the recipient and still says 354 to the pipelined DATA. Whatever is sent next
    # would be taken as message data, so the sender hangs up (no dot: no message) and goes on over a new
    # connection.
    server = raw_smtp(pipelining=True, rcpt_fault=lambda rcpt: "550-then-354" if rcpt.startswith("reader000") else None)
    cfg = _smtp(make_config, server.port)
    emails = _readers(add_subscribers, 3)
    _build(store, cfg)
    summary = pipeline.deliver(cfg, store, now=SEND_AT)
    assert (summary.sent, summary.failed, summary.unknown) == (2, 1, 0), summary.describe()
    assert Counter(server.received) == {emails[1]: 1, emails[2]: 1}
    assert server.connections == 2


def test_a_pipelined_message_whose_row_cannot_be_claimed_is_not_sent(
    make_config: Callable[..., Config],
    raw_smtp: Callable[..., Any],
) -> None:
    # The claim is committed while MAIL, RCPT and DATA are on the wire. If it fails (the row is no longer
    # ours), the server is already waiting for data after its 354: the transport hangs up, so nothing arrives;
    # the next message goes out over a new connection.
    server = raw_smtp(pipelining="strict")
    transport = SmtpTransport(_smtp(make_config, server.port, timeout=2))
    try:
        first = OutgoingMessage(1, "<1@example.org>", "news@example.org", "a@example.org", b"Subject: 1\r\n\r\nx\r\n")
        second = OutgoingMessage(2, "<2@example.org>", "news@example.org", "b@example.org", b"Subject: 2\r\n\r\ny\r\n")
        work: list[str] = []
        assert transport.send_claimed(first, lambda: False, lambda: work.append("first")) is False
        assert transport.send_claimed(second, lambda: True, lambda: work.append("second")) is True
    finally:
        transport.close()
    assert server.received == ["b@example.org"]
    assert server.attempts == {"a@example.org": 1, "b@example.org": 1}  # the first got as far as its 354
    assert server.connections == 2
    assert work == ["second"]  # the sender's work runs only once the data of a claimed message is out


@pytest.mark.parametrize("pipelining", [False, True], ids=["lockstep", "pipelined"])
@pytest.mark.parametrize(
    "body",
    [
        b".starts with a dot\r\n..two dots\r\nmiddle . dot\r\n.\r\nlast line\r\n",
        b"no dot at a line start\r\nat all . here\r\n",
    ],
    ids=["dots", "none"],
)
def test_lines_starting_with_a_dot_arrive_intact(
    make_config: Callable[..., Config],
    smtp_sink: Callable[..., tuple[Any, int]],
    pipelining: bool,
    body: bytes,
) -> None:
    # SMTP dot-stuffing (RFC 5321 4.5.2): a line that starts with "." is sent with one more, or a lone "."
    # would end the message early. Both the stuffed and the untouched (fast) path, read back at a real server.
    sink, port = smtp_sink(pipelining=pipelining)
    transport = SmtpTransport(_smtp(make_config, port))
    data = b"Subject: dots\r\n\r\n" + body
    try:
        transport.send(OutgoingMessage(1, "<1@example.org>", "news@example.org", "a@example.org", data))
    finally:
        transport.close()
    [(rcpt, content)] = sink.messages
    assert rcpt == "a@example.org"
    assert content.replace(b"\r\n", b"\n") == data.replace(b"\r\n", b"\n")


@pytest.mark.parametrize("pipelining", [False, True], ids=["lockstep", "pipelined"])
def test_an_error_preparing_the_next_message_comes_after_this_one_is_recorded(
    make_config: Callable[..., Config],
    store: Store,
    digest_world: dict[str, Any],
    add_subscribers: Callable[..., list[int]],
    smtp_sink: Callable[..., tuple[Any, int]],
    pipelining: bool,
) -> None:
    # The next message is built while this one's data is with the server. If building it fails (here the
    # link provider; in life a store error while rendering), the error waits until this message's reply is
    # read and its outcome noted: the handed-over message is `sent`, not left `sending`, and nothing else moved.
    from tests.conftest import digest_test_links

    sink, port = smtp_sink(pipelining=pipelining)
    cfg = _smtp(make_config, port)
    emails = _readers(add_subscribers, 3)
    _build(store, cfg)

    def links(cfg: Config, subscriber: Any) -> dict[str, str]:
        if subscriber.email == emails[1]:
            raise RuntimeError("rendering broke")
        return digest_test_links(cfg, subscriber)

    with pytest.raises(RuntimeError, match="rendering broke"):
        pipeline.deliver(cfg, store, now=SEND_AT, links=links)
    assert [rcpt for rcpt, _ in sink.messages] == [emails[0]]
    assert _status_of(store) == {emails[0]: "sent", emails[1]: "queued", emails[2]: "queued"}
