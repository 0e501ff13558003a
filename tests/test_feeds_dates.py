"""Dates as readers see them: a release keeps its stated day from UTC-11 to UTC+11, and `updated` is a content change."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from sqlalchemy import select, update
from test_feeds_readers import newsboat_read, serve

from publisher import pipeline
from publisher.config import Config
from publisher.feeds.model import display_date, release_times
from publisher.models import Release
from publisher.store import Store

# The far ends of the promise, and the reader of the issue (UTC-8 in winter, UTC-7 in summer).
ZONES = [ZoneInfo("Pacific/Pago_Pago"), ZoneInfo("America/Los_Angeles"), ZoneInfo("Pacific/Noumea"), dt.UTC]
T0 = dt.datetime(2025, 4, 1, 8, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("day", [dt.date(2025, 3, 24), dt.date(2024, 2, 29), dt.date(2025, 12, 31)])
def test_a_date_only_release_keeps_its_day_from_utc_minus_11_to_plus_11(day: dt.date) -> None:
    for release_id in (1, 2, 3599, 3600, 123_456):
        published, updated = release_times(release_id, day, T0, created=T0)
        assert published == updated  # never edited: ingest time does not show
        assert {published.astimezone(z).date() for z in ZONES} == {day}


def test_releases_of_one_day_never_share_a_time() -> None:
    day = dt.date(2025, 3, 24)
    times = {release_times(i, day, T0, created=T0)[1] for i in range(1000, 4600)}
    assert len(times) == 3600
    # Releases edited in the same ingest run (one `now`) still differ.
    edited = {release_times(i, day, T0 + dt.timedelta(days=1), created=T0)[1] for i in range(1, 2000)}
    assert len(edited) == 1999


def test_updated_is_the_last_content_change_never_the_first_ingest() -> None:
    day = dt.date(2025, 3, 24)
    edit = dt.datetime(2025, 5, 2, 9, 30, tzinfo=dt.UTC)
    published, updated = release_times(7, day, edit, created=T0)
    assert published == dt.datetime(2025, 3, 24, 12, 0, 7, tzinfo=dt.UTC)
    assert updated.replace(microsecond=0) == edit and updated > published
    # An edit stamped before the stated date (a backdated release) never makes updated precede published.
    assert (
        release_times(7, dt.date(2026, 1, 1), edit, created=T0)[1] == release_times(7, dt.date(2026, 1, 1), T0, T0)[0]
    )


def test_pages_show_the_date_as_stated() -> None:
    assert display_date(dt.date(2025, 3, 24)) == ("2025-03-24", "24 March 2025")
    assert display_date(dt.date(2025, 3, 1), "month") == ("2025-03", "March 2025")
    assert display_date(dt.date(2019, 1, 1), "year") == ("2019", "2019")


def _stated_dates(store: Store) -> dict[str, dt.date]:
    with store.session() as s:
        return {guid: day for guid, day in s.execute(select(Release.guid, Release.published))}


def test_sample_feeds_show_the_stated_day_in_los_angeles_and_only_content_changes(
    cfg: Config, ingested: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    pipeline.build_feeds(cfg, ingested)
    stated = _stated_dates(ingested)
    la = ZoneInfo("America/Los_Angeles")
    d = feedparser.parse((cfg.feeds.dir / "all.atom").read_bytes())
    assert d.entries
    for e in d.entries:
        published = dt.datetime(*e.published_parsed[:6], tzinfo=dt.UTC)
        assert published.astimezone(la).date() == stated[e.id], e.id
        assert e.updated == e.published, e.id  # first ingest: updated is the publication, not the ingest time
    page = (cfg.feeds.dir / "news" / f"{_slug_of(ingested, d.entries[0].id)}.html").read_text("utf-8")
    day = stated[d.entries[0].id]
    assert f'<time datetime="{day.isoformat()}">{display_date(day)[1]}</time>' in page


def _slug_of(store: Store, guid: str) -> str:
    with store.session() as s:
        return str(s.scalar(select(Release.slug).where(Release.guid == guid)))


def test_no_atom_feed_has_two_entries_with_the_same_updated(cfg: Config, ingested: Store) -> None:
    """The W3C validator's DuplicateUpdated rule (a warning), checked on every Atom feed of the sample."""
    with ingested.session() as s:
        # Edits in one run share their ingest time: the entries must still differ.
        s.execute(update(Release).values(updated_at=T0 + dt.timedelta(days=400)))
    pipeline.build_feeds(cfg, ingested)
    checked = 0
    for path in sorted(cfg.feeds.dir.rglob("*.atom")):
        d = feedparser.parse(path.read_bytes())
        times = [e.updated for e in d.entries]
        assert len(times) == len(set(times)), path
        checked += bool(times)
    assert checked > 5


@pytest.mark.skipif(shutil.which("newsboat") is None, reason="newsboat is not installed (scripts/test.sh installs it)")
@pytest.mark.parametrize("name", ["all.atom", "all.rss"])
def test_newsboat_in_los_angeles_shows_the_stated_day(cfg: Config, ingested: Store, tmp_path: Path, name: str) -> None:
    pipeline.build_feeds(cfg, ingested)
    stated = _stated_dates(ingested)
    la = ZoneInfo("America/Los_Angeles")
    with serve(cfg.feeds.dir) as base:
        _out, _feeds, items = newsboat_read(base + name, tmp_path / "nb", tz="America/Los_Angeles")
    assert len(items) == 25
    for guid, _title, _url, pub_date, _content, _author in items:
        # newsboat keeps the instant it parsed and shows it in local time: that day must be the stated one.
        assert dt.datetime.fromtimestamp(int(pub_date), la).date() == stated[guid], guid
