"""The evaluation harness: scores from counts, gold matching, mistakes with reasons, files and the eval command."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from publisher.config import config_from_dict
from publisher.errors import SourceError
from publisher.pipeline.evaluate import (
    Evidence,
    GoldRow,
    LinkScore,
    MistakeKind,
    Prediction,
    Score,
    evaluate,
    format_report,
    match_gold,
    parse_gold,
    read_records,
    score_predictions,
)
from publisher.sources.base import ProjectRecord, ReleaseRecord
from tests.conftest import run_cli

DAY = dt.date(2024, 5, 2)


def release(body: str, ext_id: str = "", published: dt.date = DAY, title: str = "") -> ReleaseRecord:
    return ReleaseRecord(published=published, body=body, line=1, title=title, external_id=ext_id)


def pred(
    countries: dict[str, Evidence] | None = None, links: dict[str, Evidence] | None = None, **kw: object
) -> Prediction:
    return Prediction(
        countries=countries or {},
        regions=kw.get("regions", {}),  # type: ignore[arg-type]
        topics=kw.get("topics", {}),  # type: ignore[arg-type]
        links=links or {},
        candidates=kw.get("candidates", {}),  # type: ignore[arg-type]
    )


REFS = {"abc": "ABC", "alpha border cooperation": "ABC", "xyz 4": "XYZ 4", "quiet dialogue": "Quiet Dialogue"}


def test_score_from_counts() -> None:
    s = Score(tp=3, fp=1, fn=2)
    assert (s.precision, s.recall) == (0.75, 0.6)
    assert s.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert (Score(0, 0, 0).precision, Score(0, 0, 0).recall) == (1.0, 1.0)
    assert Score(0, 2, 3).f1 == 0.0
    assert LinkScore(produced=4, acceptable=3, must=2, must_found=1).precision == 0.75
    assert LinkScore(produced=4, acceptable=3, must=2, must_found=1).recall == 0.5
    assert (LinkScore(0, 0, 0, 0).precision, LinkScore(0, 0, 0, 0).recall) == (1.0, 1.0)


def test_optional_countries_count_neither_way_and_extras_keep_their_reasons() -> None:
    gold = [GoldRow(countries=frozenset({"UZ", "KZ"}), countries_optional=frozenset({"RU"}), release_id="r1")]
    found = {"UZ": Evidence(1.0), "RU": Evidence(1.0), "DE": Evidence(0.8, ('mentions "German"',))}
    report = score_predictions(gold, [pred(found)], REFS)
    assert report.countries == Score(tp=1, fp=1, fn=1)
    kinds = {(m.kind, m.item): m for m in report.mistakes}
    assert set(kinds) == {(MistakeKind.COUNTRY_MISSING, "KZ"), (MistakeKind.COUNTRY_EXTRA, "DE")}
    extra = kinds[(MistakeKind.COUNTRY_EXTRA, "DE")]
    assert (extra.release, extra.score, extra.reasons) == ("r1", 0.8, ('mentions "German"',))
    assert extra.what == "extra Germany (DE)"
    assert kinds[(MistakeKind.COUNTRY_MISSING, "KZ")].score is None


def test_links_ok_counts_for_precision_must_for_recall() -> None:
    gold = [
        GoldRow(countries=frozenset(), projects_must=frozenset({"abc"}), projects_ok=frozenset({"Quiet dialogue"})),
        GoldRow(countries=frozenset(), projects_must=frozenset({"Alpha Border Cooperation", "XYZ 4"}), release_id="r2"),
    ]
    preds = [
        pred(links={"ABC": Evidence(0.9), "Quiet Dialogue": Evidence(0.6), "XYZ 4": Evidence(0.55, ("same country",))}),
        pred(links={"ABC": Evidence(0.7)}, candidates={"XYZ 4": Evidence(0.31, ("shared topic",))}),
    ]
    report = score_predictions(gold, preds, REFS)
    assert report.links == LinkScore(produced=4, acceptable=3, must=3, must_found=2)
    wrong = [m for m in report.mistakes if m.kind is MistakeKind.LINK_WRONG]
    missing = [m for m in report.mistakes if m.kind is MistakeKind.LINK_MISSING]
    assert [(m.item, m.score, m.reasons) for m in wrong] == [("XYZ 4", 0.55, ("same country",))]
    assert [(m.release, m.item, m.score, m.reasons) for m in missing] == [("r2", "XYZ 4", 0.31, ("shared topic",))]


def test_regions_and_topics_are_scored_and_listed() -> None:
    gold = [GoldRow(countries=frozenset(), regions=frozenset({"europe"}), topics=frozenset({"a", "b"}), release_id="r")]
    p = pred(regions={"europe": Evidence(1.0), "africa": Evidence(0.9)}, topics={"a": Evidence(3.0)})
    report = score_predictions(gold, [p], REFS)
    assert (report.regions, report.topics) == (Score(1, 1, 0), Score(1, 0, 1))
    assert {m.kind for m in report.mistakes} == {MistakeKind.REGION_EXTRA, MistakeKind.TOPIC_MISSING}
    text = format_report(report, kinds=[MistakeKind.TOPIC_MISSING])
    assert "missed topic b" in text and "africa" not in text


def test_regions_of_gold_countries_are_expected_and_those_of_optional_ones_optional() -> None:
    gold = [GoldRow(countries=frozenset({"UZ"}), countries_optional=frozenset({"RU", "DE"}), release_id="r")]
    members = {"central-asia": {"UZ", "KZ"}, "europe": {"DE"}, "africa": {"NG"}}
    found = {"europe": Evidence(0.9), "africa": Evidence(0.5)}
    report = score_predictions(gold, [pred(regions=found)], REFS, region_members=members)
    assert report.regions == Score(tp=0, fp=1, fn=1)  # central-asia missed, africa extra, europe optional
    assert {(m.kind, m.item) for m in report.mistakes if m.kind.value.startswith("region")} == {
        (MistakeKind.REGION_MISSING, "central-asia"),
        (MistakeKind.REGION_EXTRA, "africa"),
    }


def test_unknown_project_in_gold_is_an_error() -> None:
    gold = [GoldRow(countries=frozenset(), projects_ok=frozenset({"NOPE"}), release_id="r9")]
    with pytest.raises(SourceError, match="r9.*'NOPE'"):
        score_predictions(gold, [pred()], REFS)


def test_gold_found_by_id_or_by_date_and_phrase() -> None:
    releases = [release("Talks in Tashkent.", "a"), release("Talks in Almaty.", "b"), release("Almaty again.", "")]
    rows = parse_gold(
        [
            '{"id": "b", "countries": []}',
            "",
            '{"date": "2024-05-02", "contains": "again", "countries": []}',
        ]
    )
    assert match_gold(rows, releases) == [1, 2]
    with pytest.raises(SourceError, match="matches 2 releases"):
        match_gold(parse_gold(['{"date": "2024-05-02", "contains": "Almaty", "countries": []}']), releases)
    with pytest.raises(SourceError, match="gold row zz matches 0"):
        match_gold(parse_gold(['{"id": "zz", "countries": []}']), releases)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{not json", "Expecting"),
        ('["a"]', "expected a JSON object"),
        ('{"countries": []}', "needs an id"),
        ('{"id": "x", "countries": "UZ"}', "countries: expected a list"),
        ('{"id": "x", "countries": ["UZ"], "countries_optional": ["UZ"]}', "both required and optional"),
    ],
)
def test_bad_gold_rows_fail_with_their_line(line: str, reason: str) -> None:
    with pytest.raises(SourceError, match=reason) as info:
        parse_gold(['{"id": "ok", "countries": []}', line], source="g.jsonl")
    assert "g.jsonl:2" in str(info.value)


def test_evaluate_with_the_real_tagger() -> None:
    cfg = config_from_dict({}, root=Path("."))
    projects = [
        ProjectRecord(name="Northern Quay Border Partnership", line=1, acronym="NQBP", countries=("UZ",)),
        ProjectRecord(name="Lagoon Labour Exchange", line=2, acronym="LALEX", countries=("GH",)),
    ]
    releases = [
        release("Border guards of Uzbekistan finished a course run by the NQBP project in Termez.", "one"),
        release("Officials in Accra discussed recruitment of seasonal workers.", "two"),
    ]
    gold = parse_gold(
        [
            '{"id": "one", "countries": ["UZ"], "projects_must": ["NQBP"]}',
            '{"id": "two", "countries": ["GH", "TG"]}',
        ]
    )
    report = evaluate(cfg, releases, projects, gold)
    assert report.releases == 2 and report.projects == 2
    assert (report.countries.tp, report.countries.fn) == (2, 1)
    assert report.links.must_found == 1
    missed = [m for m in report.mistakes if m.kind is MistakeKind.COUNTRY_MISSING]
    assert [(m.release, m.item) for m in missed] == [("two", "TG")]


def test_duplicate_project_keys_are_refused() -> None:
    cfg = config_from_dict({}, root=Path("."))
    projects = [ProjectRecord(name="One", line=1, acronym="SAME"), ProjectRecord(name="Two", line=2, acronym="SAME")]
    with pytest.raises(SourceError, match="share an acronym"):
        evaluate(cfg, [release("x", "a")], projects, parse_gold(['{"id": "a", "countries": []}']))


def test_unknown_extension_needs_a_kind(tmp_path: Path) -> None:
    cfg = config_from_dict({}, root=tmp_path)
    (tmp_path / "r.data").write_text("{}")
    with pytest.raises(SourceError, match="source kind"):
        read_records(cfg, tmp_path / "r.data", None, projects=False)


def _eval_files(tmp_path: Path, gold_lines: list[str]) -> list[str]:
    (tmp_path / "config.toml").write_text("")
    (tmp_path / "r.jsonl").write_text(
        json.dumps({"id": "k1", "date": "2023-01-05", "body": "A workshop in Chisinau for the PEBBLE project."}) + "\n"
    )
    (tmp_path / "p.toml").write_text('[[projects]]\nname = "Pebble Border Initiative"\nacronym = "PEBBLE"\n')
    (tmp_path / "g.jsonl").write_text("\n".join(gold_lines) + "\n")
    return ["--config", str(tmp_path / "config.toml"), "eval", "--releases", str(tmp_path / "r.jsonl"),
            "--projects", str(tmp_path / "p.toml"), "--gold", str(tmp_path / "g.jsonl")]  # fmt: skip


def test_eval_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = _eval_files(tmp_path, ['{"id": "k1", "countries": ["MD"], "projects_must": ["PEBBLE"]}'])
    code, out, _ = run_cli([*argv, "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["countries"]["tp"] == 1 and data["links"]["must_found"] == 1
    assert data["releases"] == 1 and isinstance(data["mistakes"], list)
    code, out, _ = run_cli(argv, capsys)
    assert code == 0 and "countries" in out and "1 of 1 must-links" in out


def test_eval_command_reports_bad_gold(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = _eval_files(tmp_path, ['{"id": "k1", "countries": [], "projects_ok": ["GRAVEL"]}'])
    code, _, err = run_cli(argv, capsys)
    assert code == 1 and "SourceError" in err and "GRAVEL" in err
