"""Digests through a real MTA: Debian's Postfix on 127.0.0.1 relays to an aiosmtpd sink; counted at the sink."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import wait_for
from services import Postfix
from sqlalchemy import select
from test_dkim import dkim_key, verify  # noqa: F401  (dkim_key is a fixture)

from publisher import pipeline
from publisher.config import Config
from publisher.digest import build_edition, parse_period
from publisher.models.mail import Delivery, DeliveryStatus, SubscriberStatus
from publisher.store import Store

BUILD_AT = dt.datetime(2025, 4, 1, 7, 0, tzinfo=dt.UTC)
SEND_AT = dt.datetime(2025, 4, 1, 8, 0, tzinfo=dt.UTC)


def _config(make_config: Callable[..., Config], postfix: Postfix, **extra: Any) -> Config:
    return make_config(
        delivery={"transport": "smtp", "retry_base_seconds": 60, "max_attempts": 2},
        smtp={"host": postfix.host, "port": postfix.port, "timeout": 30},
        **extra,
    )


def _edition(cfg: Config, store: Store, add: Callable[..., list[int]], addresses: list[str]) -> None:
    add([(a, "monthly", [], [], SubscriberStatus.ACTIVE, "") for a in addresses])
    with store.session() as s:
        build_edition(s, cfg, parse_period("2025-03"), now=BUILD_AT)


def _rows(store: Store) -> dict[int, Delivery]:
    with store.session() as s:
        return {d.id: d for d in s.scalars(select(Delivery))}


def test_digests_relayed_by_postfix_arrive_once_each_and_still_verify(
    make_config: Callable[..., Config],
    postfix: Postfix,
    postfix_sink: Callable[..., tuple[Any, str]],
    store: Store,
    digest_world: dict[str, Any],
    add_subscribers: Callable[..., list[int]],
    dkim_key: tuple[Path, bytes],  # noqa: F811
) -> None:
    sink, domain = postfix_sink()
    key, record = dkim_key
    cfg = _config(make_config, postfix, dkim={"selector": "pub2025", "domain": "example.org", "key_file": str(key)})
    people = [f"reader{i}@{domain}" for i in range(6)]
    _edition(cfg, store, add_subscribers, people)
    summary = pipeline.deliver(cfg, store, now=SEND_AT)
    assert (summary.sent, summary.deferred, summary.failed, summary.unknown) == (6, 0, 0, 0)
    wait_for(lambda: sink.count() == 6, what="six relayed digests at the sink")
    assert Counter(rcpt for rcpt, _ in sink.messages) == Counter(people)
    for _rcpt, data in sink.messages:
        assert b"by mta.publisher.test (Postfix)" in data  # it really went through the MTA
        assert verify(data, record)  # Postfix's Received line does not break the signature
    assert postfix.queued(domain) == []


def test_a_sink_answering_4xx_makes_postfix_queue_and_a_flush_delivers_each_once(
    make_config: Callable[..., Config],
    postfix: Postfix,
    postfix_sink: Callable[..., tuple[Any, str]],
    store: Store,
    digest_world: dict[str, Any],
    add_subscribers: Callable[..., list[int]],
) -> None:
    sink, domain = postfix_sink(policy=lambda _rcpt, attempt: "451 4.3.0 try again later" if attempt == 1 else None)
    cfg = _config(make_config, postfix)
    people = [f"reader{i}@{domain}" for i in range(4)]
    _edition(cfg, store, add_subscribers, people)
    # Postfix took every message: for publisher they are sent; the MTA owns the retrying from here.
    assert pipeline.deliver(cfg, store, now=SEND_AT).sent == 4
    wait_for(lambda: sum(sink.attempts.values()) == 4, what="Postfix's first attempts at the sink")
    wait_for(lambda: len(postfix.queued(domain)) == 4, what="four deferred messages in Postfix's queue")
    assert sink.count() == 0
    postfix.flush()
    wait_for(lambda: sink.count() == 4, what="the flushed messages at the sink")
    assert Counter(rcpt for rcpt, _ in sink.messages) == Counter(people)
    assert all(n == 2 for n in sink.attempts.values())
    wait_for(lambda: postfix.queued(domain) == [], what="an empty queue")
    assert all(d.status is DeliveryStatus.SENT for d in _rows(store).values())


def test_postfix_answering_450_itself_defers_the_delivery_with_backoff(
    make_config: Callable[..., Config],
    postfix: Postfix,
    postfix_sink: Callable[..., tuple[Any, str]],
    store: Store,
    digest_world: dict[str, Any],
    add_subscribers: Callable[..., list[int]],
) -> None:
    sink, domain = postfix_sink()
    cfg = _config(make_config, postfix)
    # Postfix's recipient restrictions answer 450 4.2.0 for defer-* addresses (scripts/services.sh).
    _edition(cfg, store, add_subscribers, [f"ana@{domain}", f"defer-bo@{domain}"])
    first = pipeline.deliver(cfg, store, now=SEND_AT)
    assert (first.sent, first.deferred) == (1, 1)
    (deferred,) = [d for d in _rows(store).values() if d.status is DeliveryStatus.DEFERRED]
    assert deferred.last_code == 450 and "4.2.0" in deferred.last_error
    assert deferred.next_attempt_at is not None
    # Not due yet: nothing is tried; once due, Postfix says 450 again and max_attempts (2) gives up.
    assert pipeline.deliver(cfg, store, now=SEND_AT + dt.timedelta(seconds=30)).attempted == 0
    last = pipeline.deliver(cfg, store, now=SEND_AT + dt.timedelta(minutes=5))
    assert (last.failed, last.sent) == (1, 0)
    wait_for(lambda: sink.count() == 1, what="ana's digest at the sink")
    assert [rcpt for rcpt, _ in sink.messages] == [f"ana@{domain}"]
    assert _rows(store)[deferred.id].status is DeliveryStatus.FAILED
