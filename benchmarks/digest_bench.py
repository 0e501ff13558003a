"""Benchmark (run by hand): digest messages per second, variant rendering vs naive per-recipient rendering.

    .venv/bin/python -m benchmarks.digest_bench                   # 100k subscribers, 200-recipient naive sample
    .venv/bin/python -m benchmarks.digest_bench --subscribers 10000 --memory

The fast path is what `publisher.delivery` does per message: choose the subscriber's items, look up the
rendered variant (rendered + premailer-inlined once), fill in the personal values by string substitution,
sign the personal links (real `subscriber_links`), build headers and the MIME bytes. The naive path renders
the template and runs premailer for every recipient. No database and no transport in either: this measures
message production, the part personalisation could make expensive. Subscribers are generated lazily from
their index, so nothing but one 4-byte variant number per subscriber (the stand-in for the deliveries table)
is held; with --memory the run reports tracemalloc's peak.
"""

from __future__ import annotations

import argparse
import array
import datetime as dt
import random
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

from publisher.config import Config, config_from_dict
from publisher.digest import DigestItem, Period, RelatedProject, choose_items, parse_period, render_digest, variant_key
from publisher.digest import _Tags  # noqa: PLC2701  (the same per-release tag record build_edition uses)
from publisher.delivery import message_for, prepare_digest
from publisher.digest import greeting
from publisher.mailmsg import build_message, digest_headers
from publisher.models.mail import Frequency, Subscriber, SubscriberStatus
from publisher.subscribers import subscriber_links

NOW = dt.datetime(2025, 4, 1, 7, 0, tzinfo=dt.UTC)


def make_config() -> Config:
    return config_from_dict({"site": {"base_url": "https://news.example.org/"}}, root=Path("."))


def make_items(cfg: Config, period: Period, n: int, seed: int = 1) -> list[DigestItem]:
    rnd = random.Random(seed)
    topics, regions = list(cfg.taxonomy.topics), list(cfg.taxonomy.regions)
    days = (period.end - period.start).days + 1
    items = []
    for i in range(n):
        projects = tuple(
            RelatedProject(f"Project {i}-{j} ({rnd.choice(['BOMCA', 'RESTART', 'MOBILAB'])})", "2019–2025",
                           ("Kyrgyzstan", "Tajikistan"), ("shares country Kyrgyzstan", "names the acronym"),
                           f"https://example.org/projects/{i}-{j}")
            for j in range(rnd.randint(0, 2))
        )
        items.append(DigestItem(
            release_id=i + 1,
            published=period.start + dt.timedelta(days=rnd.randrange(days)),
            title=f"Release {i}: ICMPD and partners {rnd.choice(['launch', 'conclude', 'discuss'])} a programme",
            summary="A two-sentence summary of the release, long enough to look like the real thing. " * 3,
            url=f"https://news.example.org/news/release-{i}",
            topics=tuple(rnd.sample(topics, rnd.randint(1, 2))),
            regions=tuple(rnd.sample(regions, rnd.randint(0, 2))),
            countries=("Kyrgyzstan",) if rnd.random() < 0.5 else (),
            projects=projects,
        ))
    return items


def subscriber(cfg: Config, i: int) -> Subscriber:
    """Subscriber i, generated from its index: 1–3 topics of 10, 0–2 regions of 9, 60 % monthly."""
    rnd = random.Random(i * 7919 + 13)
    topics, regions = list(cfg.taxonomy.topics), list(cfg.taxonomy.regions)
    return Subscriber(
        id=i + 1, email=f"reader{i}@example.org", name=f"Reader {i}" if rnd.random() < 0.7 else "",
        status=SubscriberStatus.ACTIVE,
        frequency=Frequency.MONTHLY if rnd.random() < 0.6 else Frequency.WEEKLY,
        topics=rnd.sample(topics, rnd.randint(1, 3)), regions=rnd.sample(regions, rnd.randint(0, 2)),
        token_version=1,
    )


class Edition:
    """One frequency's period, its items, and the per-release tags the chooser needs."""

    def __init__(self, cfg: Config, period: Period, items: list[DigestItem]) -> None:
        self.period, self.items = period, items
        self.by_id = {it.release_id: it for it in items}
        self.tags = {it.release_id: _Tags(frozenset(it.topics), frozenset(it.regions), it.published, True)
                     for it in items}
        self.pool = sorted(self.by_id)


def editions(cfg: Config, releases: int) -> dict[Frequency, Edition]:
    month = parse_period("2025-03")
    monthly = make_items(cfg, month, releases)
    week = parse_period("2025-W12")
    weekly = [it for it in monthly if week.start <= it.published <= week.end]
    return {Frequency.MONTHLY: Edition(cfg, month, monthly), Frequency.WEEKLY: Edition(cfg, week, weekly)}


def fast(cfg: Config, eds: dict[Frequency, Edition], n: int) -> tuple[int, int, int]:
    """(messages, bytes, variants) the way delivery does it: sorted by variant, one render per variant."""
    keys: dict[tuple[Frequency, str], int] = {}
    variant_of = array.array("I")  # stands in for deliveries.variant
    chosen: dict[int, list[int]] = {}
    for i in range(n):
        s = subscriber(cfg, i)
        ed = eds[s.frequency]
        ids = choose_items(ed.tags, ed.pool, s.topics, s.regions, set(), cfg.digest.max_items)
        if not ids:
            variant_of.append(0xFFFFFFFF)
            continue
        k = keys.setdefault((s.frequency, variant_key(ids)), len(keys))
        chosen.setdefault(k, ids)
        variant_of.append(k)
    freq_of = {k: f for (f, _), k in keys.items()}
    order = sorted((i for i in range(n) if variant_of[i] != 0xFFFFFFFF), key=variant_of.__getitem__)
    current, rendered = -1, None
    messages = size = 0
    for i in order:
        k = variant_of[i]
        if k != current:  # sorted by variant: one render per variant, one kept in memory
            ed = eds[freq_of[k]]
            rendered = prepare_digest(render_digest(cfg, ed.period, [ed.by_id[r] for r in chosen[k]],
                                                    view_url=f"https://news.example.org/digests/1/{k}"))
            current = k
        s = subscriber(cfg, i)
        msg = message_for(cfg, rendered, delivery_id=i, message_id=f"<digest.1.{i}@news.example.org>",  # type: ignore[arg-type]
                          subscriber=s, links=subscriber_links(cfg, s), date=NOW)
        messages += 1
        size += len(msg.data)
    return messages, size, len(keys)


def naive(cfg: Config, eds: dict[Frequency, Edition], n: int) -> int:
    """Render + premailer for every recipient."""
    messages = 0
    for i in range(n):
        s = subscriber(cfg, i)
        ed = eds[s.frequency]
        ids = choose_items(ed.tags, ed.pool, s.topics, s.regions, set(), cfg.digest.max_items)
        if not ids:
            continue
        links = subscriber_links(cfg, s)
        r = render_digest(cfg, ed.period, [ed.by_id[x] for x in ids], view_url="https://news.example.org/digests/1/x",
                          personal={"greeting": greeting(s.name), **links}, inline="document")
        headers = digest_headers(cfg, to_name=s.name, to_address=s.email, subject=r.subject,
                                 message_id=f"<digest.1.{i}@news.example.org>", date=NOW, links=links)
        build_message(headers, r.text, r.html, boundary_seed=str(i))
        messages += 1
    return messages


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--subscribers", type=int, default=100_000)
    ap.add_argument("--releases", type=int, default=20, help="releases in the month (default 20)")
    ap.add_argument("--naive-sample", type=int, default=200)
    ap.add_argument("--memory", action="store_true", help="measure tracemalloc peak instead of speed")
    args = ap.parse_args(argv)
    cfg = make_config()
    eds = editions(cfg, args.releases)
    render_digest(cfg, eds[Frequency.MONTHLY].period, eds[Frequency.MONTHLY].items[:2])  # warm imports and caches
    if args.memory:
        tracemalloc.start()
        fast(cfg, eds, args.subscribers)
        _cur, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"subscribers={args.subscribers} tracemalloc_peak_MiB={peak / 2**20:.1f}")
        return
    t = time.perf_counter()
    msgs, size, variants = fast(cfg, eds, args.subscribers)
    fast_s = time.perf_counter() - t
    t = time.perf_counter()
    nmsgs = naive(cfg, eds, args.naive_sample)
    naive_s = time.perf_counter() - t
    fast_rate, naive_rate = msgs / fast_s, nmsgs / naive_s
    print(f"subscribers={args.subscribers} releases/month={args.releases} messages={msgs} variants={variants} "
          f"avg_size_kB={size / max(msgs, 1) / 1024:.1f}")
    print(f"fast:  {fast_s:.1f} s, {fast_rate:,.0f} msg/s")
    print(f"naive: {nmsgs} messages in {naive_s:.2f} s, {naive_rate:,.1f} msg/s "
          f"(extrapolated {msgs / naive_rate / 60:.0f} min for {msgs})")
    print(f"speed-up: {fast_rate / naive_rate:,.0f}x")


if __name__ == "__main__":
    main()
