"""Delivery throughput against a real SMTP sink, next to the sink's own maximum measured in the same run.

The sink (aiosmtpd, accepting connections in parallel, offering PIPELINING as Postfix does) runs in its own
process on 127.0.0.1. For each store size (N subscribers, a past edition with N `sent` deliveries and the
current one with N queued) each round measures, interleaved so a change of load hits all of them: a bare
smtplib loop sending the same message bytes over one connection (the sink maximum), `run_deliveries` on one
worker, and `run_workers` with 2 and 4, each sending the first `--messages` of the queued rows (re-queued
between runs). Medians of `--repeat` rounds; the ratio is the median of each round's own ratio. Beside the
rates, the CPU per message of the sending process and of the sink (Linux /proc) for the bare loop and one worker.

    python -m benchmarks.delivery_bench                         # SQLite, 1k/20k/100k subscribers
    python -m benchmarks.delivery_bench --pg postgresql://…     # the same on PostgreSQL (a scratch database)
    python -m benchmarks.delivery_bench --subscribers 1000 --messages 500 --repeat 3 --explain
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
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
from publisher.delivery.queue import BATCH
from publisher.delivery.statements import CLAIM, pick_statement
from publisher.models import utcnow
from publisher.models.mail import Delivery, DeliveryStatus, Edition, EditionStatus, Frequency, Subscriber
from publisher.store import Store, normalise_url

SINK_CODE = """
import asyncio, sys
from aiosmtpd.controller import Controller

class Count:
    n = 0
    pipelining = sys.argv[1] == "1"
    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses
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

    def __init__(self, pipelining: bool = True) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SINK_CODE, "1" if pipelining else "0"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())

    def cpu(self) -> float:
        """CPU seconds the sink process has used so far (Linux /proc)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

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


def _fill(store: Store, subscribers: int) -> int:
    """`subscribers` active subscribers, each with a `sent` delivery of last month's edition and a queued one
    of this month's (so the deliveries table grows with the list, as it does). Returns this edition's id."""
    now = utcnow()
    step = 5000
    with store.engine.begin() as c:
        for start in range(0, subscribers, step):
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
                    for i in range(start, min(subscribers, start + step))
                ],
            )
        eids = []
        for period, status in (("2025-02", EditionStatus.SENT), ("2025-03", EditionStatus.BUILT)):
            month = int(period[-2:])
            eids.append(
                c.execute(
                    insert(Edition)
                    .values(
                        frequency=Frequency.MONTHLY,
                        period=period,
                        period_start=dt.date(2025, month, 1),
                        period_end=dt.date(2025, month, 28),
                        status=status,
                        built_at=now,
                        subject="Bench",
                        stats={},
                    )
                    .returning(Edition.id)
                ).scalar_one()
            )
        for eid, status in zip(eids, (DeliveryStatus.SENT, DeliveryStatus.QUEUED), strict=True):
            for start in range(0, subscribers, step):
                c.execute(
                    insert(Delivery),
                    [
                        {
                            "edition_id": eid,
                            "subscriber_id": i + 1,
                            "status": status,
                            "message_id": f"<bench-{eid}-{i}@example.org>",
                            "variant": "v",
                            "release_ids": [],
                            "attempts": 1 if status is DeliveryStatus.SENT else 0,
                            "last_error": "",
                            "created_at": now,
                            "updated_at": now,
                            "sent_at": now if status is DeliveryStatus.SENT else None,
                        }
                        for i in range(start, min(subscribers, start + step))
                    ],
                )
    if store.dialect == "postgresql":
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE")
    else:
        with store.engine.begin() as c:
            c.exec_driver_sql("ANALYZE")
    return eids[1]


def _requeue(store: Store, edition_id: int) -> None:
    with store.engine.begin() as c:
        c.execute(
            update(Delivery)
            .where(Delivery.edition_id == edition_id, Delivery.status != DeliveryStatus.QUEUED)
            .values(status=DeliveryStatus.QUEUED, attempts=0, worker=None, sent_at=None, last_code=None)
        )
        c.execute(update(Edition).where(Edition.id == edition_id).values(status=EditionStatus.BUILT))


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


def explain(store: Store) -> list[str]:
    """The query plans of a sender's per-batch pick and per-message claim, as the database reports them."""
    queue = DeliveryQueue(store)
    pick = pick_statement(store.dialect)
    pick_params = {"now": utcnow(), "after_edition": 0, "after_variant": "", "after_id": 0, "limit": BATCH}
    lines = []
    with store.engine.connect() as c:
        for name, stmt, params in (
            ("pick", pick, pick_params),
            ("claim", CLAIM, {"did": 1, "wid": queue.worker, "at": utcnow()}),
        ):
            compiled = stmt.compile(dialect=c.dialect, compile_kwargs={"render_postcompile": True})
            prefix = "EXPLAIN QUERY PLAN " if store.dialect == "sqlite" else "EXPLAIN "
            merged = {**compiled.params, **params}
            args: Any = tuple(merged[k] for k in compiled.positiontup) if compiled.positiontup else merged
            rows = c.exec_driver_sql(prefix + str(compiled), args).all()
            lines += [f"{name}: {row[-1]}" for row in rows]
        c.rollback()
    return lines


def _run(store: Store, cfg: Config, workers: int, messages: int) -> float:
    t = time.perf_counter()
    if workers == 1:
        summary = run_deliveries(store, cfg, limit=messages)
    else:
        summary = run_workers(store, cfg, workers, limit=messages // workers)
    elapsed = time.perf_counter() - t
    assert summary.sent == messages // workers * workers, summary.describe()
    return summary.sent / elapsed


def measure(
    subscribers: int, messages: int, repeat: int, pg: str | None, *, pipelining: bool = True, plans: bool = False
) -> dict[str, Any]:
    """One store size: medians of `repeat` interleaved rounds (see the module docstring)."""
    sink = Sink(pipelining)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        store, url, extra = _store(pg, tmp)
        try:
            edition = _fill(store, subscribers)
            cfg = _config(url, sink.port, tmp)
            sender, data = _sample_message(store, cfg)
            rounds: dict[str, list[float]] = {
                "bare": [],
                "1": [],
                "2": [],
                "4": [],
                "ratio": [],
                "cpu bare": [],
                "cpu 1": [],
                "sink bare": [],
                "sink 1": [],
            }
            for _ in range(repeat):
                for workers in (0, 1, 2, 4):
                    # CPU per message of the sending process and of the sink (both µs), beside the rate.
                    cpu, sink_cpu = time.process_time(), sink.cpu()
                    if workers == 0:
                        rounds["bare"].append(bare_smtplib(sink.port, sender, data, messages))
                    else:
                        _requeue(store, edition)
                        rounds[str(workers)].append(_run(store, cfg, workers, messages))
                    if workers <= 1:
                        key = "bare" if workers == 0 else "1"
                        rounds[f"cpu {key}"].append((time.process_time() - cpu) / messages * 1e6)
                        rounds[f"sink {key}"].append((sink.cpu() - sink_cpu) / messages * 1e6)
                rounds["ratio"].append(rounds["1"][-1] / rounds["bare"][-1])
            result: dict[str, Any] = {k: statistics.median(v) for k, v in rounds.items()}
            result["spread"] = {k: (min(v), max(v)) for k, v in rounds.items()}
            result.update(
                backend=store.dialect, subscribers=subscribers, messages=messages, kib=len(data) / 1024, rounds=repeat
            )
            result["plans"] = explain(store) if plans else []
            return result
        finally:
            store.dispose()
            _drop(extra)
            sink.close()


def _rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    case = f"{r['backend']}, {r['subscribers']:,} subscribers, {r['messages']} msgs, {r['kib']:.0f} KiB"
    return [
        {"case": case, "metric": "sink maximum (bare smtplib, 1 connection)", "value": r["bare"], "unit": "msg/s"},
        {"case": case, "metric": "publisher, 1 worker", "value": r["1"], "unit": "msg/s"},
        {"case": case, "metric": "publisher 1 worker ÷ sink maximum", "value": r["ratio"], "unit": "x"},
        {"case": case, "metric": "per message, 1 worker", "value": 1000 / r["1"], "unit": "ms"},
        {"case": case, "metric": "CPU per message: bare smtplib / its sink", "value": r["cpu bare"], "unit": "µs"},
        {"case": case, "metric": "  ... sink during bare smtplib", "value": r["sink bare"], "unit": "µs"},
        {"case": case, "metric": "CPU per message: publisher, 1 worker", "value": r["cpu 1"], "unit": "µs"},
        {"case": case, "metric": "  ... sink during publisher", "value": r["sink 1"], "unit": "µs"},
        {"case": case, "metric": "publisher, 2 workers", "value": r["2"], "unit": "msg/s"},
        {"case": case, "metric": "publisher, 4 workers", "value": r["4"], "unit": "msg/s"},
    ]


def table(results: list[dict[str, Any]]) -> str:
    """The results as a markdown table (median, and min–max over the rounds)."""

    def cell(r: dict[str, Any], key: str, fmt: str = "{:,.0f}") -> str:
        lo, hi = r["spread"][key]
        return f"{fmt.format(r[key])} ({fmt.format(lo)}–{fmt.format(hi)})"

    lines = [
        "| backend | subscribers | sink max, bare smtplib (msg/s) | 1 worker (msg/s) | 1 worker ÷ sink max "
        "| ms per message | 2 workers | 4 workers | CPU µs/msg: bare, its sink | publisher, its sink |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['backend']} | {r['subscribers']:,} | {cell(r, 'bare')} | {cell(r, '1')} "
            f"| **{cell(r, 'ratio', '{:.2f}')}×** | {1000 / r['1']:.2f} | {cell(r, '2')} | {cell(r, '4')} "
            f"| {r['cpu bare']:,.0f}, {r['sink bare']:,.0f} | {r['cpu 1']:,.0f}, {r['sink 1']:,.0f} |"
        )
    return "\n".join(lines)


def quick() -> list[dict[str, Any]]:
    """Small-size figures for benchmarks.run: 1,000 subscribers, 300 messages, one round, SQLite."""
    return _rows(measure(1000, 300, 1, None))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=None, help="PostgreSQL URL whose server may create scratch databases")
    parser.add_argument("--subscribers", type=int, nargs="*", default=[1000, 20000, 100000])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-pipelining", action="store_true", help="the sink does not offer PIPELINING")
    parser.add_argument("--explain", action="store_true", help="print the pick and claim query plans")
    args = parser.parse_args(argv)
    results = []
    for n in args.subscribers:
        load = os.getloadavg()
        r = measure(n, args.messages, args.repeat, args.pg, pipelining=not args.no_pipelining, plans=args.explain)
        results.append(r)
        for row in _rows(r):
            print(f"{row['case']:<55} {row['metric']:<45} {row['value']:>10.2f} {row['unit']}", flush=True)
        for line in r["plans"]:
            print(f"  plan {line}", flush=True)
        print(f"  load average before/after: {load[0]:.2f} / {os.getloadavg()[0]:.2f}", flush=True)
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
