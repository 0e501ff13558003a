"""Delivery throughput against a real SMTP sink, next to the sink's own maximum measured in the same run.

The sink (aiosmtpd, accepting connections in parallel) runs in its own process on 127.0.0.1. For each store
size it measures: a bare smtplib loop sending the same message bytes over one connection (the sink maximum),
`run_deliveries` on one worker, and `run_workers` with 2 and 4. Medians of `--repeat` runs, each over the same
queued rows (re-queued between runs).

    python -m benchmarks.delivery_bench                         # SQLite, 1k/20k/100k subscribers
    python -m benchmarks.delivery_bench --pg postgresql://…     # the same on PostgreSQL (a scratch database)
    python -m benchmarks.delivery_bench --subscribers 1000 --messages 500 --repeat 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text, update
from sqlalchemy.engine import make_url

from publisher.config import Config, config_from_dict
from publisher.delivery import DeliveryQueue, Renderer, default_links, message_for, run_deliveries, run_workers
from publisher.models import utcnow
from publisher.models.mail import Delivery, DeliveryStatus, Edition, EditionStatus, Frequency, Subscriber
from publisher.store import Store, normalise_url

SINK_CODE = """
import asyncio, sys
from aiosmtpd.controller import Controller

class Count:
    n = 0
    async def handle_DATA(self, server, session, envelope):
        Count.n += 1
        return "250 2.0.0 OK"

class Free(Controller):
    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()

c = Free(Count(), hostname="127.0.0.1", port=0)
c.start()
print(c.port, flush=True)
sys.stdin.read()
c.stop()
"""


class Sink:
    """The aiosmtpd sink in a subprocess (so it does not share the sender's interpreter lock)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SINK_CODE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(30)


def _store(pg: str | None, tmp: Path) -> tuple[Store, str, Any]:
    if pg is None:
        url = f"sqlite:///{tmp / f'bench-{uuid.uuid4().hex[:6]}.db'}"
        store = Store(url)
        store.migrate()
        return store, url, None
    admin = create_engine(normalise_url(pg), isolation_level="AUTOCOMMIT")
    name = f"bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalise_url(pg)).set(database=name).render_as_string(hide_password=False)
    store = Store(url)
    store.migrate()
    return store, url, (admin, name)


def _drop(extra: Any) -> None:
    if extra is None:
        return
    admin, name = extra
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _fill(store: Store, subscribers: int, messages: int) -> None:
    """`subscribers` active subscribers; one edition with a queued delivery for the first `messages` of them."""
    now = utcnow()
    with store.engine.begin() as c:
        for start in range(0, subscribers, 5000):
            c.execute(
                insert(Subscriber),
                [
                    {
                        "email": f"reader{i:06d}@example.org",
                        "name": f"Reader {i}",
                        "status": "active",
                        "frequency": Frequency.MONTHLY,
                        "topics": [],
                        "regions": [],
                        "token_version": 1,
                        "bounce_count": 0,
                        "created_at": now,
                        "confirmed_at": now,
                        "updated_at": now,
                    }
                    for i in range(start, min(subscribers, start + 5000))
                ],
            )
        eid = c.execute(
            insert(Edition)
            .values(
                frequency=Frequency.MONTHLY,
                period="2025-03",
                period_start=dt.date(2025, 3, 1),
                period_end=dt.date(2025, 3, 31),
                status=EditionStatus.BUILT,
                built_at=now,
                subject="Bench",
                stats={},
            )
            .returning(Edition.id)
        ).scalar_one()
        c.execute(
            insert(Delivery),
            [
                {
                    "edition_id": eid,
                    "subscriber_id": i + 1,
                    "status": DeliveryStatus.QUEUED,
                    "message_id": f"<bench-{i}@example.org>",
                    "variant": "v",
                    "release_ids": [],
                    "attempts": 0,
                    "last_error": "",
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(messages)
            ],
        )


def _requeue(store: Store) -> None:
    with store.engine.begin() as c:
        c.execute(
            update(Delivery).values(status=DeliveryStatus.QUEUED, attempts=0, worker=None, sent_at=None, last_code=None)
        )
        c.execute(update(Edition).values(status=EditionStatus.BUILT))


def _config(url: str, port: int, root: Path) -> Config:
    return config_from_dict(
        {
            "site": {"base_url": "https://news.example.org/", "tag_authority": "news.example.org"},
            "store": {"url": url},
            "delivery": {"transport": "smtp"},
            "smtp": {"host": "127.0.0.1", "port": port, "timeout": 30},
        },
        root=root,
    )


def _sample_message(store: Store, cfg: Config) -> tuple[str, bytes]:
    """One message exactly as the run builds it (the bare loop sends these bytes)."""
    queue = DeliveryQueue(store)
    queue.register()
    try:
        d = queue.reserve(utcnow(), (0, "", 0), 1)[0]
    finally:
        queue.unregister()
    msg = message_for(
        cfg,
        Renderer(store, cfg).get(d),
        delivery_id=d.id,
        message_id=d.message_id,
        subscriber=d.subscriber,
        links=default_links(cfg, d.subscriber),
        date=utcnow(),
    )
    return msg.sender, msg.data


def bare_smtplib(port: int, sender: str, data: bytes, n: int) -> float:
    """msg/s of a plain smtplib loop on one connection: the most this sink takes from one sender."""
    conn = smtplib.SMTP("127.0.0.1", port, timeout=30)
    conn.ehlo()
    t = time.perf_counter()
    for i in range(n):
        conn.sendmail(sender, [f"reader{i:06d}@example.org"], data)
    elapsed = time.perf_counter() - t
    conn.quit()
    return n / elapsed


def measure(subscribers: int, messages: int, repeat: int, pg: str | None) -> list[dict[str, Any]]:
    sink = Sink()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        store, url, extra = _store(pg, tmp)
        try:
            _fill(store, subscribers, messages)
            cfg = _config(url, sink.port, tmp)
            sender, data = _sample_message(store, cfg)
            backend = "postgresql" if pg else "sqlite"
            case = f"{backend}, {subscribers:,} subscribers, {messages} msgs, {len(data) // 1024} KB"
            bare = statistics.median(bare_smtplib(sink.port, sender, data, messages) for _ in range(repeat))
            rows = [
                {"case": case, "metric": "sink maximum (bare smtplib, 1 connection)", "value": bare, "unit": "msg/s"}
            ]
            for workers in (1, 2, 4):
                rates, per_msg = [], []
                for _ in range(repeat):
                    _requeue(store)
                    t = time.perf_counter()
                    if workers == 1:
                        summary = run_deliveries(store, cfg)
                    else:
                        summary = run_workers(store, cfg, workers)
                    elapsed = time.perf_counter() - t
                    assert summary.sent == messages, summary.describe()
                    rates.append(messages / elapsed)
                    per_msg.append(elapsed / messages * 1000)
                rate = statistics.median(rates)
                rows.append({"case": case, "metric": f"publisher, {workers} worker(s)", "value": rate, "unit": "msg/s"})
                if workers == 1:
                    rows.append({"case": case, "metric": "publisher ÷ sink maximum", "value": rate / bare, "unit": "x"})
                    rows.append(
                        {"case": case, "metric": "per message", "value": statistics.median(per_msg), "unit": "ms"}
                    )
            return rows
        finally:
            store.dispose()
            _drop(extra)
            sink.close()


def quick() -> list[dict[str, Any]]:
    """Small-size figures for benchmarks.run: 1,000 subscribers, 300 messages, SQLite."""
    return measure(1000, 300, 1, None)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=None, help="PostgreSQL URL whose server may create scratch databases")
    parser.add_argument("--subscribers", type=int, nargs="*", default=[1000, 20000, 100000])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    for n in args.subscribers:
        for row in measure(n, args.messages, args.repeat, args.pg):
            print(f"{row['case']:<55} {row['metric']:<45} {row['value']:>10.2f} {row['unit']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
