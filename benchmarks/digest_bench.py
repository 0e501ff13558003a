"""Benchmark (run by hand): digest messages per second, variant rendering vs naive per-recipient rendering.

    .venv/bin/python -m benchmarks.digest_bench --runs 3 --naive-sample 500   # 100k subscribers
    .venv/bin/python -m benchmarks.digest_bench --subscribers 10000 --memory

The fast path is what `publisher.delivery` does per message: choose the subscriber's items, look up the
rendered variant (rendered once from the template whose CSS was inlined once, item fragments shared across
variants, assembled once into a message skeleton by `prepare_digest`), build the subscriber row delivery loads
(`Recipient`), sign the personal links (real `subscriber_links`) and fill the recipient's headers and personal
values into the skeleton (`message_for`). The naive path renders
the original template and runs premailer for every recipient. No database and no transport in either: this
measures message production, the part personalisation could make expensive. Subscribers are generated lazily
from their index, so nothing but 4 bytes per subscriber and per message (the stand-in for the deliveries table)
is held; with --memory the run reports tracemalloc's peaks per phase.
"""

from __future__ import annotations

import argparse
import array
import datetime as dt
import functools
import itertools
import random
import statistics
import time
import tracemalloc
from pathlib import Path

from publisher.config import Config, config_from_dict
from publisher.delivery import Recipient, default_links, message_for, prepare_digest
from publisher.digest import (
    DigestItem,
    Period,
    RelatedProject,
    ReleaseTags,
    choose_items,
    greeting,
    parse_period,
    render_digest,
    variant_key,
)
from publisher.mailmsg import build_message, digest_headers
from publisher.models.mail import Frequency, SubscriberStatus
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
            RelatedProject(
                f"Project {i}-{j} ({rnd.choice(['BOMCA', 'RESTART', 'MOBILAB'])})",
                "2019–2025",
                ("Kyrgyzstan", "Tajikistan"),
                ("shares country Kyrgyzstan", "names the acronym"),
                f"https://example.org/projects/{i}-{j}",
            )
            for j in range(rnd.randint(0, 2))
        )
        items.append(
            DigestItem(
                release_id=i + 1,
                published=period.start + dt.timedelta(days=rnd.randrange(days)),
                title=f"Release {i}: ICMPD and partners {rnd.choice(['launch', 'conclude', 'discuss'])} a programme",
                summary="A two-sentence summary of the release, long enough to look like the real thing. " * 3,
                url=f"https://news.example.org/news/release-{i}",
                topics=tuple(rnd.sample(topics, rnd.randint(1, 2))),
                regions=tuple(rnd.sample(regions, rnd.randint(0, 2))),
                countries=("Kyrgyzstan",) if rnd.random() < 0.5 else (),
                projects=projects,
            )
        )
    return items


_MASK64 = (1 << 64) - 1


@functools.lru_cache(maxsize=4)
def _choices(topics: tuple[str, ...], regions: tuple[str, ...]) -> tuple[tuple[tuple[str, ...], ...], ...]:
    """Every topic set of 1, 2 and 3 topics, and every region set of 0, 1 and 2 regions (indexes 0-2, 3-5)."""
    return tuple(tuple(itertools.combinations(topics, k)) for k in (1, 2, 3)) + tuple(
        tuple(itertools.combinations(regions, k)) for k in (0, 1, 2)
    )


def preferences(cfg: Config, i: int) -> tuple[str, Frequency, list[str], list[str]]:
    """Subscriber i's (name, frequency, topics, regions), from its index: 1–3 topics of 10, 0–2 regions of 9
    (the number uniform, then a uniformly chosen set of that size), 70 % with a name, 60 % monthly. Drawn from a
    splitmix64 hash of i (re-seeding a Mersenne Twister per subscriber cost more than the work measured). The
    edition build reads just these columns (no ORM objects), so the chooser gets just these."""
    h = (i + 1) * 0x9E3779B97F4A7C15 & _MASK64
    h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9 & _MASK64
    h = (h ^ (h >> 27)) * 0x94D049BB133111EB & _MASK64
    h ^= h >> 31
    sets = _choices(tuple(cfg.taxonomy.topics), tuple(cfg.taxonomy.regions))
    name = f"Reader {i}" if h % 10 < 7 else ""
    frequency = Frequency.MONTHLY if (h >> 4) % 10 < 6 else Frequency.WEEKLY
    topic_sets, region_sets = sets[(h >> 8) % 3], sets[3 + (h >> 10) % 3]
    topics = topic_sets[(h >> 12) % len(topic_sets)]
    regions = region_sets[(h >> 24) % len(region_sets)]
    return name, frequency, list(topics), list(regions)


def subscriber(cfg: Config, i: int) -> Recipient:
    """Subscriber i as the row delivery gets from its query (`publisher.delivery.Recipient`: the five columns a
    message needs, which is what `_due_batch` loads)."""
    name, _frequency, _topics, _regions = preferences(cfg, i)
    return Recipient(i + 1, f"reader{i}@example.org", name, SubscriberStatus.ACTIVE, 1)


class Edition:
    """One frequency's period, its items, and the per-release tags the chooser needs."""

    def __init__(self, cfg: Config, period: Period, items: list[DigestItem]) -> None:
        self.period, self.items = period, items
        self.by_id = {it.release_id: it for it in items}
        self.tags = {
            it.release_id: ReleaseTags(frozenset(it.topics), frozenset(it.regions), it.published, True) for it in items
        }
        self.pool = sorted(self.by_id)


def editions(cfg: Config, releases: int) -> dict[Frequency, Edition]:
    month = parse_period("2025-03")
    monthly = make_items(cfg, month, releases)
    week = parse_period("2025-W12")
    weekly = [it for it in monthly if week.start <= it.published <= week.end]
    return {Frequency.MONTHLY: Edition(cfg, month, monthly), Frequency.WEEKLY: Edition(cfg, week, weekly)}


NONE = 0xFFFFFFFF  # no message for this subscriber


def fast(
    cfg: Config, eds: dict[Frequency, Edition], n: int, stats: dict[str, float] | None = None
) -> tuple[int, int, int]:
    """(messages, bytes, variants) the way delivery does it: sorted by variant, one render per variant.

    `stats` gets the time of each phase and, when tracemalloc is on, the memory of each phase."""
    stats = {} if stats is None else stats
    t0 = time.perf_counter()
    keys: dict[tuple[Frequency, str], int] = {}
    variant_of = array.array("I")  # stands in for deliveries.variant: 4 bytes per subscriber
    chosen: dict[int, list[int]] = {}
    for i in range(n):
        _name, frequency, topics, regions = preferences(cfg, i)
        ed = eds[frequency]
        ids = choose_items(ed.tags, ed.pool, topics, regions, set(), cfg.digest.max_items)
        if not ids:
            variant_of.append(NONE)
            continue
        k = keys.setdefault((frequency, variant_key(ids)), len(keys))
        chosen.setdefault(k, ids)
        variant_of.append(k)
    freq_of = {k: f for (f, _), k in keys.items()}
    # Subscriber indexes sorted by variant (the deliveries index on (edition, variant, id)): a counting sort
    # into 4 bytes per message, so the stand-in for the table stays as small as the table's key.
    counts = [0] * len(keys)
    for k in variant_of:
        if k != NONE:
            counts[k] += 1
    starts = [0] * len(keys)
    for k in range(1, len(keys)):
        starts[k] = starts[k - 1] + counts[k - 1]
    order = array.array("I", bytes(4 * sum(counts)))
    for i, k in enumerate(variant_of):
        if k != NONE:
            order[starts[k]] = i
            starts[k] += 1
    t1 = time.perf_counter()
    if tracemalloc.is_tracing():
        stats["mem_choose_peak"], _ = tracemalloc.get_traced_memory()[1], tracemalloc.reset_peak()
        stats["mem_send_base"] = tracemalloc.get_traced_memory()[0]
    current, prepared = -1, None
    messages = size = 0
    render_s = 0.0
    for i in order:
        k = variant_of[i]
        if k != current:  # sorted by variant: one render per variant, one kept in memory
            tr = time.perf_counter()
            ed = eds[freq_of[k]]
            prepared = prepare_digest(
                cfg,
                render_digest(
                    cfg, ed.period, [ed.by_id[r] for r in chosen[k]], view_url=f"https://news.example.org/digests/1/{k}"
                ),
            )
            current = k
            render_s += time.perf_counter() - tr
        s = subscriber(cfg, i)
        msg = message_for(
            cfg,
            prepared,
            delivery_id=i,
            message_id=f"<digest.1.{i}@news.example.org>",  # type: ignore[arg-type]
            subscriber=s,
            links=default_links(cfg, s),
            date=NOW,
        )
        messages += 1
        size += len(msg.data)
    if tracemalloc.is_tracing():
        stats["mem_send_peak"] = tracemalloc.get_traced_memory()[1]
    stats.update(choose=t1 - t0, render=render_s, per_message=time.perf_counter() - t1 - render_s)
    return messages, size, len(keys)


def naive(cfg: Config, eds: dict[Frequency, Edition], n: int) -> int:
    """Render + premailer for every recipient."""
    messages = 0
    for i in range(n):
        s = subscriber(cfg, i)
        _name, frequency, topics, regions = preferences(cfg, i)
        ed = eds[frequency]
        ids = choose_items(ed.tags, ed.pool, topics, regions, set(), cfg.digest.max_items)
        if not ids:
            continue
        links = subscriber_links(cfg, s)
        r = render_digest(
            cfg,
            ed.period,
            [ed.by_id[x] for x in ids],
            view_url="https://news.example.org/digests/1/x",
            personal={"greeting": greeting(s.name), **links},
            inline="document",
        )
        headers = digest_headers(
            cfg,
            to_name=s.name,
            to_address=s.email,
            subject=r.subject,
            message_id=f"<digest.1.{i}@news.example.org>",
            date=NOW,
            links=links,
        )
        build_message(headers, r.text, r.html, boundary_seed=str(i))
        messages += 1
    return messages


def generation(cfg: Config, subscribers: int, messages: int) -> float:
    """Seconds the synthetic data alone costs in a run: preferences for every subscriber (the edition build's
    read) and the subscriber row for every message (delivery's read). Both stand in for database reads,
    which neither path includes otherwise; reported so the rate of the work itself can be told apart."""
    t = time.perf_counter()
    for i in range(subscribers):
        preferences(cfg, i)
    for i in range(messages):
        subscriber(cfg, i)
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--subscribers", type=int, default=100_000)
    ap.add_argument("--releases", type=int, default=20, help="releases in the month (default 20)")
    ap.add_argument("--naive-sample", type=int, default=200)
    ap.add_argument("--memory", action="store_true", help="measure tracemalloc peak instead of speed")
    ap.add_argument("--runs", type=int, default=1, help="repeat fast + naive, report the median speed-up")
    args = ap.parse_args(argv)
    cfg = make_config()
    eds = editions(cfg, args.releases)
    render_digest(cfg, eds[Frequency.MONTHLY].period, eds[Frequency.MONTHLY].items[:2])  # warm imports and caches
    if args.memory:
        tracemalloc.start()
        mem: dict[str, float] = {}
        fast(cfg, eds, args.subscribers, mem)
        tracemalloc.stop()
        mib = 2**20
        print(
            f"subscribers={args.subscribers} tracemalloc peak: choosing + sorting {mem['mem_choose_peak'] / mib:.2f} MiB; "
            f"sending {mem['mem_send_peak'] / mib:.2f} MiB, of which {mem['mem_send_base'] / mib:.2f} MiB is the "
            f"deliveries stand-in held from before, so {(mem['mem_send_peak'] - mem['mem_send_base']) / mib:.2f} MiB "
            "for the sending itself"
        )
        return
    ratios: list[float] = []
    work_ratios: list[float] = []
    for run in range(args.runs):
        stats: dict[str, float] = {}
        t = time.perf_counter()
        msgs, size, variants = fast(cfg, eds, args.subscribers, stats)
        fast_s = time.perf_counter() - t
        t = time.perf_counter()
        nmsgs = naive(cfg, eds, args.naive_sample)
        naive_s = time.perf_counter() - t
        fast_rate, naive_rate = msgs / fast_s, nmsgs / naive_s
        gen_fast, gen_naive = generation(cfg, args.subscribers, msgs), generation(cfg, args.naive_sample, nmsgs)
        work_ratio = (msgs / (fast_s - gen_fast)) / (nmsgs / (naive_s - gen_naive))
        if run == 0:
            print(
                f"subscribers={args.subscribers} releases/month={args.releases} messages={msgs} variants={variants} "
                f"avg_size_kB={size / max(msgs, 1) / 1024:.1f}"
            )
        print(
            f"run {run + 1}: fast {fast_s:.2f} s, {fast_rate:,.0f} msg/s (choosing items for {args.subscribers} "
            f"subscribers {stats['choose']:.2f} s, rendering {variants} variants {stats['render']:.2f} s, "
            f"per message {stats['per_message'] / max(msgs, 1) * 1e6:.0f} µs); "
            f"naive {nmsgs} messages in {naive_s:.2f} s, {naive_rate:,.1f} msg/s; speed-up {fast_rate / naive_rate:,.0f}x"
        )
        print(
            f"       without the synthetic subscribers ({gen_fast:.2f} s fast, {gen_naive:.3f} s naive): fast "
            f"{msgs / (fast_s - gen_fast):,.0f} msg/s, naive {nmsgs / (naive_s - gen_naive):,.1f} msg/s; "
            f"speed-up {work_ratio:,.0f}x"
        )
        ratios.append(fast_rate / naive_rate)
        work_ratios.append(work_ratio)
    if args.runs > 1:
        print(
            f"speed-up: median {statistics.median(ratios):,.0f}x (min {min(ratios):,.0f}x, max {max(ratios):,.0f}x); "
            f"without the synthetic subscribers median {statistics.median(work_ratios):,.0f}x "
            f"(min {min(work_ratios):,.0f}x, max {max(work_ratios):,.0f}x)"
        )


if __name__ == "__main__":
    main()


def quick() -> list[dict[str, object]]:
    """Small-size figures for benchmarks.run: one fast run over 5,000 subscribers against 50 naive messages."""
    subscribers, sample = 5000, 50
    cfg = make_config()
    eds = editions(cfg, 20)
    render_digest(cfg, eds[Frequency.MONTHLY].period, eds[Frequency.MONTHLY].items[:2])
    stats: dict[str, float] = {}
    t = time.perf_counter()
    msgs, _size, variants = fast(cfg, eds, subscribers, stats)
    fast_s = time.perf_counter() - t
    t = time.perf_counter()
    nmsgs = naive(cfg, eds, sample)
    naive_s = time.perf_counter() - t
    case = f"{subscribers} subscribers, {variants} variants"
    return [
        {"case": case, "metric": "messages built", "value": msgs / fast_s, "unit": "msg/s"},
        {"case": case, "metric": "naive (premailer per recipient)", "value": nmsgs / naive_s, "unit": "msg/s"},
        {"case": case, "metric": "speed-up over naive", "value": (msgs / fast_s) / (nmsgs / naive_s), "unit": "x"},
    ]
