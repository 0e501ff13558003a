"""Tests for the project-pages source: the seed file, irregular snippets and malformed input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from publisher.config import Config, SourceConfig
from publisher.errors import SourceError
from publisher.sources.base import ProjectRecord, RecordKind, Skipped, make_source
from publisher.sources.project_pages import parse_duration, split_heading, split_list

SEED = Path(__file__).parent / "fixtures" / "projects.txt"


def read(path: Path, on_invalid=None) -> list[ProjectRecord]:  # type: ignore[no-untyped-def]
    src = make_source(SourceConfig(name="projects", kind="project-pages", path=path), Config())
    assert src.kind is RecordKind.PROJECT
    return list(src.read(on_invalid))  # type: ignore[arg-type]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "projects.txt"
    path.write_text(text, encoding="utf-8")
    return path


def by_acronym(records: list[ProjectRecord]) -> dict[str, ProjectRecord]:
    return {r.acronym or r.name: r for r in records}


def test_seed_file_projects_and_order() -> None:
    records = read(SEED)
    assert [r.acronym or r.name for r in records] == [
        "Prague Process",
        "RESTART",
        "EaP IBM CaBuiPro",
        "BOMCA 9",
        "MOBILAZE",
        "MIBMA",
        "ENIGMMA-2",
        "PP DATA",
    ]
    assert [r.line for r in records][:3] == [3, 9, 29]


def test_seed_restart_fields() -> None:
    r = by_acronym(read(SEED))["RESTART"]
    assert r.name == "Reintegration Support to Azerbaijani Returnees"
    assert r.objective.startswith("The overall objective is to support the implementation of the Readmission")
    assert len(r.specific_objectives) == 3
    assert r.specific_objectives[0].startswith("To enhance capacities of the Azerbaijani state institutions")
    assert r.agencies == ("ICMPD (lead)", "State Migration Service of Azerbaijan (partner)")
    assert r.donors[0] == "Federal Republic of Germany, Ministry of Interior"
    assert len(r.donors) == 3
    assert r.duration_text == "1 January 2019 – 30 June 2020"
    assert (r.start_date, r.end_date) == (dt.date(2019, 1, 1), dt.date(2020, 6, 30))
    assert r.country_names == ("Azerbaijan",) and r.countries == ("AZ",)


def test_seed_multi_country_and_month_ranges() -> None:
    recs = by_acronym(read(SEED))
    eap = recs["EaP IBM CaBuiPro"]
    assert eap.countries == ("AM", "AZ", "BY", "GE", "MD", "UA")
    assert (eap.start_date, eap.end_date) == (dt.date(2014, 7, 1), dt.date(2017, 6, 30))
    assert eap.agencies == ("Frontex", "IOM", "WCO", "ICMPD")
    assert "Target Groups" in eap.extra and "Final beneficiaries" in eap.extra
    bomca = recs["BOMCA 9"]
    assert bomca.name == "Border Management Programme in Central Asia - Phase 9"
    assert bomca.countries == ("KZ", "KG", "TJ", "TM", "UZ")
    assert (bomca.start_date, bomca.end_date) == (dt.date(2015, 6, 1), dt.date(2018, 6, 30))
    assert "BOMCA's website" in bomca.description


def test_seed_glued_labels_and_multi_paragraph_objective() -> None:
    r = by_acronym(read(SEED))["ENIGMMA-2"]
    assert r.name == "Sustaining Migration Management in Georgia"
    assert r.agencies == ("International Centre for Migration Policy Development",)
    assert r.donors[0].startswith("European Commission (EU-Georgia Financing Agreement")
    assert (r.start_date, r.end_date) == (dt.date(2017, 9, 1), dt.date(2020, 11, 30))
    assert "runs from September 2017 to November 2020" in r.objective  # second paragraph kept
    assert len(r.specific_objectives) == 4
    assert r.specific_objectives[1].startswith("To implement joint measures")  # "SO.2" prefix dropped
    assert r.extra["Project Manager"] == "Violeta Wagner"
    pp = by_acronym(read(SEED))["PP DATA"]
    assert pp.name == "Prague Process: Dialogue, Analyses and Trainings in Action"
    assert "36 months" in pp.objective


def test_irregular_snippet(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Ongoing Projects\n\nCentral Asia\n\n"
        "Border Management Programme in Central Asia - Phase 10 (BOMCA 10)\n\n"
        "ObjectivesTo increase security in the region.\nIt continues on a wrapped line.\n\n"
        "Second paragraph of the objective.\n\n"
        "Specific objectives:\n- Improve border checks\n- SO2. Improve training\n\n"
        "DonorsEuropean Union\nImplementing AgencyInternational Centre for Migration Policy Development\n"
        "Duration: 36 months starting 1 March 2021\n"
        "Countries: Kyrgyz Republic and the Netherlands; Atlantis\n\n"
        "Migration Dialogue Facility – MDF\n\n"
        "This facility supports dialogues between partners. It has a long description.\n\n"
        "Duration: 2019 – 2021\nCountry: Côte d’Ivoire\n",
    )
    first, second = read(path)
    assert (first.acronym, first.line) == ("BOMCA 10", 5)
    assert (
        first.objective
        == "To increase security in the region. It continues on a wrapped line.\n\nSecond paragraph of the objective."
    )
    assert first.specific_objectives == ("Improve border checks", "Improve training")
    assert first.donors == ("European Union",)
    assert (first.start_date, first.end_date) == (dt.date(2021, 3, 1), dt.date(2024, 2, 29))
    assert first.country_names == ("Kyrgyz Republic", "Netherlands", "Atlantis")
    assert first.countries == ("KG", "NL")  # unknown names stay as written, without a code
    assert (second.name, second.acronym) == ("Migration Dialogue Facility", "MDF")
    assert (second.start_date, second.end_date) == (dt.date(2019, 1, 1), dt.date(2021, 12, 31))
    assert second.countries == ("CI",)
    assert second.description.startswith("This facility supports dialogues")


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("1 January 2019 – 30 June 2020", dt.date(2019, 1, 1), dt.date(2020, 6, 30)),
        ("July 2014 – June 2017", dt.date(2014, 7, 1), dt.date(2017, 6, 30)),
        ("June 2015-June 2018", dt.date(2015, 6, 1), dt.date(2018, 6, 30)),
        ("from September 2017 to November 2020", dt.date(2017, 9, 1), dt.date(2020, 11, 30)),
        ("January – June 2020", dt.date(2020, 1, 1), dt.date(2020, 6, 30)),
        ("2019-01-15 to 2020-02-29", dt.date(2019, 1, 15), dt.date(2020, 2, 29)),
        ("01.03.2020 - 28.02.2023", dt.date(2020, 3, 1), dt.date(2023, 2, 28)),
        ("March 1, 2020 – Feb. 2021", dt.date(2020, 3, 1), dt.date(2021, 2, 28)),
        ("36 months (from March 2020)", dt.date(2020, 3, 1), dt.date(2023, 2, 28)),
        ("since 2015", dt.date(2015, 1, 1), None),
        ("36 months", None, None),
        ("ongoing", None, None),
    ],
)
def test_parse_duration(text: str, start: dt.date | None, end: dt.date | None) -> None:
    assert parse_duration(text) == (start, end)


@pytest.mark.parametrize("text", ["31 February 2019 – 2020", "June 2020 – May 2019", "13/2019"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_split_heading_and_lists() -> None:
    assert split_heading("Reintegration Support to Azerbaijani Returnees (RESTART) project") == (
        "Reintegration Support to Azerbaijani Returnees",
        "RESTART",
    )
    assert split_heading(
        "Eastern Partnership (EaP) Integrated Border Management Capacity Building Project (EaP IBM CaBuiPro)"
    ) == ("Eastern Partnership (EaP) Integrated Border Management Capacity Building Project", "EaP IBM CaBuiPro")
    assert split_heading("Prague Process") == ("Prague Process", "")
    assert split_heading("Migrant Protection in Europe (see below)") == ("Migrant Protection in Europe (see below)", "")
    assert split_list("led by Frontex in Partnership with IOM, WCO and ICMPD") == ("Frontex", "IOM", "WCO", "ICMPD")
    assert split_list("A, Ministry X; B, Ministry Y") == ("A, Ministry X", "B, Ministry Y")


def test_field_before_first_heading_is_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path, "Ongoing Projects\n\nObjective: orphan objective.\n\nA Real Project (ARP)\n\nObjective: x.\n"
    )
    with pytest.raises(SourceError) as info:
        read(path)
    assert info.value.line == 3 and info.value.source == str(path)
    assert f"{path}:3:" in str(info.value)


def test_bad_duration_is_an_error_at_its_line_or_skipped(tmp_path: Path) -> None:
    text = (
        "Ongoing Projects\n\nFirst Good Project (FGP)\n\nObjective: Something useful.\n\n"
        "Duration: 31 February 2019 – 2020\n\n"
        "Second Good Project (SGP)\n\nObjective: Another thing.\n\nDuration: 2019-2020\n"
    )
    path = write(tmp_path, text)
    with pytest.raises(SourceError) as info:
        read(path)
    assert info.value.line == 7 and "impossible date" in info.value.reason
    skipped: list[Skipped] = []
    records = read(path, skipped.append)
    assert [r.acronym for r in records] == ["SGP"]
    assert skipped[0].where == f"{path}:7"


def test_duplicate_field_and_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "p.txt"
    path.write_bytes(
        b"Alpha Project (ALP)\n\nObjective: One.\n\nDuration: 2019\n\nDuration: 2020\n\n"
        b"Beta Project (BET)\n\nObjective: Two \xff.\n\nGamma Project (GAM)\n\nObjective: Three.\n"
    )
    with pytest.raises(SourceError) as info:
        read(path)
    assert info.value.line == 7 and "duplicate field" in info.value.reason
    skipped: list[Skipped] = []
    assert [r.acronym for r in read(path, skipped.append)] == ["GAM"]
    assert sorted(s.where for s in skipped) == sorted([f"{path}:7", f"{path}:11"])
