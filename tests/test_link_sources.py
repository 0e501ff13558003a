"""What the sources give the linker: partial dates with their precision, common date shapes in every source,
aliases and several acronyms, free-text durations and places (regions, groups) in project country lists."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import pytest

import publisher.sources  # noqa: F401  (registers the kinds)
from publisher.config import SourceConfig, config_from_dict
from publisher.errors import SourceError
from publisher.models import DatePrecision
from publisher.sources.base import ProjectRecord, ReleaseRecord, make_source
from publisher.sources.dates import parse_date

DAY, MONTH, YEAR = DatePrecision.DAY, DatePrecision.MONTH, DatePrecision.YEAR


def read(kind: str, path: Path) -> list:  # type: ignore[type-arg]
    return list(
        make_source(SourceConfig(name="s", kind=kind, path=path), config_from_dict({}, root=path.parent)).read()
    )


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("2019-03", (dt.date(2019, 3, 1), MONTH)),
        ("March 2019", (dt.date(2019, 3, 1), MONTH)),
        ("Sept. 2020", (dt.date(2020, 9, 1), MONTH)),
        ("2019", (dt.date(2019, 1, 1), YEAR)),
        ("03.07.2025", (dt.date(2025, 7, 3), DAY)),
        ("14 Feb 2020", (dt.date(2020, 2, 14), DAY)),
        ("February 23, 2018", (dt.date(2018, 2, 23), DAY)),
        ("Monday, 3 March 2025", (dt.date(2025, 3, 3), DAY)),
        ("2025-03-07T10:00:00Z", (dt.date(2025, 3, 7), DAY)),
        # as some sites write them
        ("2013.03.19", (dt.date(2013, 3, 19), DAY)),
        ("09-Nov-2023", (dt.date(2023, 11, 9), DAY)),
        ("24Feb2020", (dt.date(2020, 2, 24), DAY)),
        ("Nov-2023", (dt.date(2023, 11, 1), MONTH)),
        ("18/May/2019", (dt.date(2019, 5, 18), DAY)),
        ("20-JUN-08", (dt.date(2008, 6, 20), DAY)),  # a two-digit year: 00-68 this century
        ("20-Jun-75", (dt.date(1975, 6, 20), DAY)),
        ("08/14/2019", (dt.date(2019, 8, 14), DAY)),  # month first only where day first is impossible
        ("03/07/2025", (dt.date(2025, 7, 3), DAY)),
    ],
)
def test_date_shapes(text: str, want: tuple[dt.date, DatePrecision]) -> None:
    assert parse_date(text) == want


def test_partial_end_dates_mean_the_whole_period() -> None:
    assert parse_date("2025-09", end=True) == (dt.date(2025, 9, 30), MONTH)
    assert parse_date("2025", end=True) == (dt.date(2025, 12, 31), YEAR)
    for bad, why in (
        ("30 February 2024", "impossible date"),
        ("2019-13", "impossible date"),
        ("soon", "unreadable"),
        ("2013.03/19", "unreadable"),  # one separator, not two
        ("2019/14/02", "impossible date"),  # a year first never swaps
        ("Octobre 4", "unreadable"),  # no year
    ):
        with pytest.raises(ValueError, match=why):
            parse_date(bad)


def test_release_text_takes_partial_and_common_dates(tmp_path: Path) -> None:
    f = tmp_path / "r.txt"
    f.write_text("Released March 2019\nA.\n\nReleased 03.07.2025\nB.\n\nReleased February 23, 2018\nC.\n")
    recs = read("release-text", f)
    assert [(r.published, r.precision) for r in recs] == [
        (dt.date(2019, 3, 1), MONTH),
        (dt.date(2025, 7, 3), DAY),
        (dt.date(2018, 2, 23), DAY),
    ]
    f.write_text("Released 01 March 2025\nA.\n\nReleased\nB.\n")
    with pytest.raises(SourceError, match=r"r\.txt:4: missing date"):
        read("release-text", f)


def test_jsonl_takes_partial_and_common_dates(tmp_path: Path) -> None:
    f = tmp_path / "r.jsonl"
    rows = [{"date": "2019-03", "body": "a"}, {"date": "14 Feb 2020", "body": "b"}, {"date": "03.07.2025", "body": "c"}]
    f.write_text("\n".join(json.dumps(r) for r in rows))
    recs = read("jsonl", f)
    assert [(r.published, r.precision) for r in recs] == [
        (dt.date(2019, 3, 1), MONTH),
        (dt.date(2020, 2, 14), DAY),
        (dt.date(2025, 7, 3), DAY),
    ]
    f.write_text(json.dumps({"body": "no date"}))
    with pytest.raises(SourceError, match=r"r\.jsonl:1: date: missing date"):
        read("jsonl", f)


def test_feed_dates_feedparser_cannot_read(tmp_path: Path) -> None:
    f = tmp_path / "f.rss"
    f.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        "<item><title>A</title><description>a</description><pubDate>03.07.2025</pubDate></item>"
        "<item><title>B</title><description>b</description><pubDate>14 Feb 2020</pubDate></item>"
        "</channel></rss>"
    )
    recs = read("feed", f)
    assert all(isinstance(r, ReleaseRecord) for r in recs)
    assert [r.published for r in recs] == [dt.date(2025, 7, 3), dt.date(2020, 2, 14)]


def _project(tmp_path: Path, **fields: object) -> ProjectRecord:
    f = tmp_path / "p.json"
    f.write_text(json.dumps([{"name": "Some Project", **fields}]))
    (rec,) = read("projects-file", f)
    assert isinstance(rec, ProjectRecord)
    return rec


def test_projects_file_aliases_and_several_acronyms(tmp_path: Path) -> None:
    rec = _project(tmp_path, acronym="MIEUX / MIEUX+", acronyms=["MX"], aliases=["MIgration EU eXpertise"])
    assert rec.acronym == "MIEUX" and rec.acronyms == ("MIEUX+", "MX")
    assert rec.aliases == ("MIgration EU eXpertise",)


def test_projects_file_partial_dates_keep_precision(tmp_path: Path) -> None:
    rec = _project(tmp_path, start="2019-03", end="2025-09")
    assert (rec.start_date, rec.start_precision) == (dt.date(2019, 3, 1), MONTH)
    assert (rec.end_date, rec.end_precision) == (dt.date(2025, 9, 30), MONTH)


@pytest.mark.parametrize(
    ("duration", "start", "end"),
    [
        ("April 2021 to September 2025", dt.date(2021, 4, 1), dt.date(2025, 9, 30)),
        ("2023–2026", dt.date(2023, 1, 1), dt.date(2026, 12, 31)),
        ("since 2015", dt.date(2015, 1, 1), None),
    ],
)
def test_projects_file_free_text_durations(tmp_path: Path, duration: str, start: dt.date, end: dt.date | None) -> None:
    rec = _project(tmp_path, duration=duration)
    assert (rec.start_date, rec.end_date) == (start, end)
    assert rec.duration_text == duration


def test_projects_file_regions_groups_and_global_in_country_lists(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rec = _project(tmp_path, countries=["Western Balkans", "Moldova"])
    assert {"AL", "RS", "XK", "MD"} <= set(rec.countries)
    assert _project(tmp_path, countries=["Global"]).countries == ()
    # One unknown name among known ones is a warning; the project keeps the rest.
    with caplog.at_level(logging.WARNING):
        rec = _project(tmp_path, countries=["Moldova", "Atlantis"])
    assert rec.countries == ("MD",)
    assert "unknown country or region 'Atlantis'" in caplog.text


@pytest.mark.parametrize("group", ["Small Island Developing States (38 members)", "Indian Ocean rim"])
def test_projects_file_keeps_a_project_whose_only_place_is_an_unknown_group(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, group: str
) -> None:
    """Pages write regions the taxonomy does not know; that is no typo, so the project stays (without places)
    and the file is read. A single unknown word ("Atlantis") or a near miss of a country is still refused."""
    with caplog.at_level(logging.WARNING):
        rec = _project(tmp_path, countries=[group])
    assert rec.countries == ()
    assert f"unknown country or region {group!r}" in caplog.text
    for typo in ("Moldva", "Bosnia Herzegovina"):
        with pytest.raises(SourceError, match="unknown country"):
            _project(tmp_path, countries=[typo])


def test_project_pages_aliases_acronyms_and_regions(tmp_path: Path) -> None:
    f = tmp_path / "projects.txt"
    f.write_text(
        "Migration EU Expertise (MIEUX / MIEUX+)\n"
        "Objective: Peer-to-peer expertise on migration.\n"
        "Also known as: MIgration EU eXpertise; the Expertise Facility\n"
        "Acronyms: MX\n"
        "Duration: since 2009\n"
        "Countries: Western Balkans, Global, Moldova\n"
    )
    (rec,) = read("project-pages", f)
    assert rec.acronym == "MIEUX" and rec.acronyms == ("MIEUX+", "MX")
    assert rec.aliases == ("MIgration EU eXpertise", "the Expertise Facility")
    assert {"AL", "RS", "XK", "MD"} <= set(rec.countries)
    assert rec.start_date == dt.date(2009, 1, 1) and rec.end_date is None
