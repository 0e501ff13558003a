"""Senders side by side (threads, processes) and test messages: split without overlap, counted at the sink."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from publisher import pipeline
from publisher.config import Config
from publisher.digest import build_edition, parse_period
from publisher.models.mail import Delivery, DeliveryStatus, DeliveryWorker, SentRelease, Subscriber, SubscriberStatus
from publisher.store import Store
from tests.conftest import run_cli, to_toml, wait_for

BUILD_AT = dt.datetime(2025, 4, 1, 7, 0, tzinfo=dt.UTC)
SEND_AT = dt.datetime(2025, 4, 1, 8, 0, tzinfo=dt.UTC)


def _build(store: Store, cfg: Config) -> int:
    with store.session() as s:
        return build_edition(s, cfg, parse_period("2025-03"), now=BUILD_AT).edition_id  # type: ignore[return-value]


def _readers(add: Callable[..., list[int]], n: int, **kw: Any) -> list[str]:
    emails = [f"reader{i:03d}@example.org" for i in range(n)]
    add([(e, "monthly", [], [], SubscriberStatus.ACTIVE, f"Reader {i}") for i, e in enumerate(emails)])
    return emails


def _smtp(make_config: Callable[..., Config], port: int, **delivery: Any) -> Config:
    return make_config(
        delivery={"transport": "smtp", "retry_base_seconds": 60, **delivery},
        smtp={"host": "127.0.0.1", "port": port, "timeout": 10},
    )


def _snapshot(store: Store) -> tuple[list[tuple[int, str, int]], int]:
    with store.session() as s:
        rows = [(d.id, str(d.status), d.attempts) for d in s.scalars(select(Delivery).order_by(Delivery.id))]
        return rows, s.scalar(select(func.count()).select_from(SentRelease)) or 0


def test_workers_split_the_queue_without_overlap(
    make_config: Callable[..., Config],
    store: Store,
    digest_world: dict[str, Any],
    add_subscribers: Callable[..., list[int]],
    smtp_sink: Callable[..., Any],
) -> None:
    sink, port = smtp_sink(delay=0.005)
    cfg = _smtp(make_config, port)
    emails = _readers(add_subscribers, 40)
    _build(store, cfg)
    summary = pipeline.deliver(cfg, store, now=SEND_AT, workers=4)
    assert (summary.sent, summary.unknown, summary.recovered) == (40, 0, 0)
    assert Counter(r for r, _ in sink.messages) == dict.fromkeys(emails, 1)
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(DeliveryWorker)) == 0  # every worker left the registry
        assert set(s.scalars(select(Delivery.worker))) == {None}


@pytest.mark.slow
def test_killing_one_of_several_sender_processes_duplicates_nothing(
    make_config: Callable[..., Config],
    store: Store,
    db_url: str,
    tmp_path: Path,
    digest_world: dict[str, Any],
    add_subscribers: Callable[..., list[int]],
    smtp_sink: Callable[..., Any],
) -> None:
    # Three `publisher deliver` processes share the store; one is killed -9 mid-run. The others take over what it
    # had reserved; what it left `sending` becomes `unknown` (never resent): the messages whose `sent` it had not
    # yet written (it writes them in batches), which arrived, and at most the one it had claimed but not yet
    # handed over. Counted at the sink.
    total = 90
    sink, port = smtp_sink(delay=0.02)
    cfg = _smtp(make_config, port)
    emails = _readers(add_subscribers, total)
    _build(store, cfg)
    config = tmp_path / "senders.toml"
    config.write_text(
        to_toml(
            {
                "site": {"base_url": "https://news.example.org/", "timezone": "Europe/Vienna"},
                "store": {"url": db_url},
                "delivery": {"transport": "smtp"},
                "smtp": {"host": "127.0.0.1", "port": port, "timeout": 10},
            }
        ),
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k != "PUBLISHER_DATABASE_URL"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "publisher", "-c", str(config), "-q", "deliver"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(3)
    ]
    victim = procs[0]

    def victim_has_sent() -> bool:
        with store.session() as s:
            return (
                bool(s.scalar(select(func.count()).select_from(DeliveryWorker).where(DeliveryWorker.pid == victim.pid)))
                and 5 <= sink.count() < total - 20
            )

    try:
        wait_for(lambda: victim_has_sent() or victim.poll() is not None, what="the first sender at work")
        assert victim.poll() is None, "the sender finished before it could be killed"
        victim.send_signal(signal.SIGKILL)
        for p in procs:
            p.wait(120)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(30)
            assert p.stderr is not None
            p.stderr.close()
    assert victim.returncode == -signal.SIGKILL
    assert [p.returncode for p in procs[1:]] == [0, 0]
    received = Counter(r for r, _ in sink.messages)
    assert set(received.values()) == {1}, "a message arrived twice"
    with store.session() as s:
        rows = s.execute(
            select(Subscriber.email, Delivery.status).join(Delivery, Delivery.subscriber_id == Subscriber.id)
        )
        status = {e: st for e, st in rows}
    counts = Counter(str(v) for v in status.values())
    assert counts["sent"] + counts["unknown"] == total, counts
    assert {e for e, st in status.items() if st is DeliveryStatus.SENT} <= set(received)
    lost = {e for e, st in status.items() if st is DeliveryStatus.UNKNOWN} - set(received)
    assert len(lost) <= 1, f"rows `unknown` whose message never left: {lost}"
    assert len(received) in (total, total - 1)  # the one in flight may or may not have arrived
    assert set(received) <= set(emails)


def test_send_test_sends_one_marked_message_and_records_nothing(
    make_config: Callable[..., Config],
    store: Store,
    digest_world: dict[str, Any],
    add_subscribers: Callable[..., list[int]],
    smtp_sink: Callable[..., Any],
) -> None:
    sink, port = smtp_sink()
    cfg = _smtp(make_config, port)
    _readers(add_subscribers, 2)
    edition = _build(store, cfg)
    before = _snapshot(store)
    result = pipeline.send_test_digest(cfg, "QA@Example.net", as_subscriber="reader001@example.org", store=store)
    assert (result.edition_id, result.to, result.as_subscriber) == (edition, "qa@example.net", "reader001@example.org")
    assert _snapshot(store) == before  # no delivery row, nothing recorded as sent
    [(rcpt, data)] = sink.messages
    assert rcpt == "qa@example.net"
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert msg["Subject"].startswith("[TEST] ") and msg["X-Publisher-Test"] == "yes"
    assert msg["To"] == "qa@example.net"
    text = msg.get_body(("plain",)).get_content()
    assert "Reader 1" in text  # their greeting and their items...
    assert "unsubscribe/" not in text and "preferences/" not in text  # ...but nobody's personal links
    assert result.items > 0
    # Sending the real edition afterwards is untouched by the test.
    assert pipeline.deliver(cfg, store, now=SEND_AT).sent == 2


def test_send_test_from_the_command_line(
    config_file: Callable[..., Path],
    cfg: Config,
    store: Store,
    digest_world: dict[str, Any],
    add_subscribers: Callable[..., list[int]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    _readers(add_subscribers, 1)
    edition = _build(store, cfg)
    path = config_file()
    code, out, err = run_cli(["-c", str(path), "digest", "send-test", "--to", "qa@example.net"], capsys)
    assert code == 0, err
    assert f"edition {edition}" in out and "nothing recorded" in out
    [eml] = list((path.parent / "outbox").glob("*.eml"))
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert msg["To"] == "qa@example.net" and msg["Subject"].startswith("[TEST] ")
    code, _, err = run_cli(
        ["-c", str(path), "digest", "send-test", "--to", "qa@example.net", "--edition", "999"], capsys
    )
    assert code == 1 and "NotFoundError" in err
    code, _, err = run_cli(
        ["-c", str(path), "digest", "send-test", "--to", "qa@example.net", "--as", "x@y.org"], capsys
    )
    assert code == 1 and "no subscriber" in err
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Delivery).where(Delivery.status != DeliveryStatus.QUEUED)) == 0


def test_a_sender_refreshes_its_heartbeat_only_when_due(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    # Senders on other hosts are presumed dead when their registry row goes stale, so a live sender must keep
    # it fresh; checking per claim must cost a clock read, not a write per message.
    from publisher.delivery import queue as queue_module

    q = queue_module.DeliveryQueue(store)
    q.register()
    try:

        def beat_at() -> dt.datetime | None:
            with store.session() as s:
                return s.scalar(select(DeliveryWorker.heartbeat_at).where(DeliveryWorker.id == q.worker))

        with store.engine.begin() as c:
            c.execute(
                DeliveryWorker.__table__.update()
                .where(DeliveryWorker.id == q.worker)
                .values(heartbeat_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
            )
        q.beat()
        assert beat_at() == dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # registered just now: not due yet
        monkeypatch.setattr(queue_module.time, "monotonic", lambda: q.next_beat + 1)
        q.beat()
        refreshed = beat_at()
        assert refreshed is not None and refreshed.year >= 2026
    finally:
        q.unregister()
