"""Organisation groups of the taxonomy: config, membership by date, collective phrases and the resolver."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from publisher.classify import Classifier
from publisher.config import Config, GroupConfig, TaxonomyConfig, config_from_dict
from publisher.countries import resolve_places
from publisher.errors import ConfigError
from publisher.pipeline.evaluate import read_records
from publisher.store import Store

IGAD = ["DJ", "ER", "ET", "KE", "SD", "SO", "SS", "UG"]
IGAD_NOW = [c for c in IGAD if c != "ER"]  # Eritrea left in December 2025
ECOWAS = ["BF", "BJ", "CI", "CV", "GH", "GM", "GN", "GW", "LR", "ML", "NE", "NG", "SL", "SN", "TG"]
ECOWAS_NOW = [c for c in ECOWAS if c not in ("BF", "ML", "NE")]  # the three left in January 2025
BEFORE = dt.date(2021, 5, 1)


@pytest.fixture(scope="module")
def taxonomy() -> TaxonomyConfig:
    return config_from_dict({}, root=Path(".")).taxonomy


@pytest.fixture(scope="module")
def clf(taxonomy: TaxonomyConfig) -> Classifier:
    return Classifier(taxonomy)


def codes(clf: Classifier, text: str, on: dt.date | None = BEFORE) -> list[str]:
    return [t.slug for t in clf.classify(text, on).countries]


def regions(clf: Classifier, text: str, on: dt.date | None = BEFORE) -> list[str]:
    return [t.slug for t in clf.classify(text, on).regions]


@pytest.mark.parametrize(
    "text",
    [
        "Officials of the IGAD Member States met in Djibouti.",
        "The Member States of IGAD adopted a policy framework.",
        "The eight IGAD countries adopted a policy framework.",
        "All IGAD member states adopted a policy framework.",
        "IGAD countries adopted a policy framework.",
        "IGAD’s member states adopted a policy framework.",
        "The member states of the Intergovernmental Authority on Development adopted a framework.",
    ],
)
def test_a_groups_collective_phrase_expands_to_its_members(clf: Classifier, text: str) -> None:
    assert codes(clf, text) == IGAD


def test_regions_follow_from_the_members(clf: Classifier) -> None:
    assert regions(clf, "The IGAD Member States adopted a framework.") == ["africa"]


@pytest.mark.parametrize(
    "text",
    [
        "Three IGAD countries joined the pilot.",  # some of them: which ones the text must say
        "Several IGAD countries joined the pilot.",
        "Officials from non-IGAD states attended.",
    ],
)
def test_some_of_a_group_is_nobody(clf: Classifier, text: str) -> None:
    assert codes(clf, text) == []


def test_a_number_is_checked_against_the_members_on_the_texts_date(clf: Classifier) -> None:
    text = "The eight IGAD countries adopted a policy framework."
    assert codes(clf, text, dt.date(2026, 3, 1)) == []  # seven by then
    assert codes(clf, "The seven IGAD countries met.", dt.date(2026, 3, 1)) == IGAD_NOW


def test_members_on_the_texts_date(clf: Classifier) -> None:
    text = "The plan was adopted by ECOWAS member states."
    assert codes(clf, text, dt.date(2014, 4, 30)) == ECOWAS
    assert codes(clf, text, dt.date(2025, 1, 29)) == ECOWAS_NOW
    assert codes(clf, text, None) == ECOWAS_NOW  # no date: the current list
    for eac in ("The EAC Partner States agreed on a common passport.", "The Partner States of the EAC agreed."):
        assert codes(clf, eac, dt.date(2020, 1, 1)) == ["BI", "KE", "RW", "SS", "TZ", "UG"]  # before DR Congo, Somalia
        assert codes(clf, eac, None) == ["BI", "CD", "KE", "RW", "SO", "SS", "TZ", "UG"]


def test_a_name_of_a_group_and_a_region_expands_through_the_group(clf: Classifier) -> None:
    # ECOWAS is also an alias of the region west-africa, whose countries include Mauritania (no member).
    for text in (
        "The plan was adopted by ECOWAS member states.",
        "The Member States and the Commission of ECOWAS met.",
    ):
        assert "MR" not in codes(clf, text)
        assert codes(clf, text) == ECOWAS
        assert regions(clf, text) == ["west-africa"]
    assert codes(clf, "All fifteen ECOWAS member states and Mauritania signed.") == sorted([*ECOWAS, "MR"])


def test_a_bare_mention_tags_no_country(clf: Classifier) -> None:
    assert codes(clf, "IGAD hosted a meeting on migration.") == []
    assert regions(clf, "IGAD hosted a meeting on migration.") == []
    # a bare region alias keeps tagging its region, as before
    assert codes(clf, "ECOWAS adopted a protocol on free movement.") == []
    assert regions(clf, "ECOWAS adopted a protocol on free movement.") == ["west-africa"]


def test_the_phrases_role_decides(clf: Classifier) -> None:
    # donors stay context; a whole group attending is the meeting's subject
    assert codes(clf, "The project, funded by ECOWAS member states, trains police in Ghana.") == ["GH"]
    assert codes(clf, "Delegates from the GCC countries met in Kathmandu.") == [
        "AE",
        "BH",
        "KW",
        "NP",
        "OM",
        "QA",
        "SA",
    ]


def test_the_g5_sahel(clf: Classifier) -> None:
    members = ["BF", "ML", "MR", "NE", "TD"]
    assert codes(clf, "The countries of the Sahel G5 agreed to work together.", dt.date(2015, 5, 15)) == members
    assert codes(clf, "All G5 Sahel member states signed.", dt.date(2023, 1, 10)) == ["BF", "MR", "NE", "TD"]
    assert codes(clf, "Some countries of the G5 Sahel signed.", dt.date(2015, 5, 15)) == []


def test_the_northern_triangle(clf: Classifier, taxonomy: TaxonomyConfig) -> None:
    members = ["GT", "HN", "SV"]
    assert codes(clf, "Returnees to the Northern Triangle countries receive cash grants.") == members
    assert codes(clf, "Most arrivals came from the Northern Triangle.") == []
    assert regions(clf, "Most arrivals came from the Northern Triangle.") == ["latin-america"]
    assert resolve_places("Northern Triangle of Central America", taxonomy) == set(members)


def test_eu_member_states_stay_a_region_alias(clf: Classifier) -> None:
    assert "eu" not in clf.taxonomy.groups
    assert codes(clf, "The EU Member States agreed.") == []
    assert regions(clf, "The EU Member States agreed.") == ["europe"]


def test_group_members_by_date() -> None:
    g = GroupConfig(
        name="G",
        countries=("AT", "DE", "FR"),
        joined={"FR": dt.date(2020, 1, 1)},
        left={"DE": dt.date(2022, 1, 1)},
    )
    assert g.members() == {"AT", "FR"}
    assert g.members(dt.date(2019, 12, 31)) == {"AT", "DE"}
    assert g.members(dt.date(2021, 6, 1)) == {"AT", "DE", "FR"}
    assert g.members(dt.date(2022, 1, 1)) == {"AT", "FR"}  # the day it left is no longer membership
    assert g.members_during(dt.date(2018, 1, 1), dt.date(2019, 1, 1)) == {"AT", "DE"}
    assert g.members_during(dt.date(2021, 1, 1), None) == {"AT", "DE", "FR"}
    assert g.members_during(None, None) == g.members()


# ---------------------------------------------------------------- the resolver


def test_resolver_takes_groups(taxonomy: TaxonomyConfig) -> None:
    for name in ("IGAD Member States", "the Member States of IGAD", "IGAD", "all IGAD member states", "igad"):
        assert resolve_places(name, taxonomy) == set(IGAD_NOW), name
    assert resolve_places("ECOWAS member states", taxonomy) == set(ECOWAS_NOW)  # the group, not west-africa
    assert resolve_places("the Partner States of the EAC", taxonomy) == set(taxonomy.groups["eac"].countries)
    # a project's run decides who the members were
    assert resolve_places("ECOWAS member states", taxonomy, (dt.date(2013, 1, 1), dt.date(2019, 12, 31))) == set(ECOWAS)
    assert resolve_places("West Africa", taxonomy) == set(taxonomy.regions["west-africa"].countries)
    assert resolve_places("member states", taxonomy) is None


def test_projects_file_countries_take_groups(tmp_path: Path) -> None:
    path = tmp_path / "projects.toml"
    path.write_text(
        '[[projects]]\nname = "Free movement support"\nstart = "2013-04"\nend = "2019-12"\n'
        'countries = ["ECOWAS member states", "Mauritania"]\n\n'
        '[[projects]]\nname = "Regional migration dialogue support"\ncountries = ["the IGAD Member States"]\n',
        encoding="utf-8",
    )
    cfg = config_from_dict({}, root=tmp_path)
    first, second = read_records(cfg, path, None, projects=True)
    assert sorted(first.countries) == sorted([*ECOWAS, "MR"])
    assert sorted(second.countries) == IGAD_NOW


# ---------------------------------------------------------------- config


def test_operator_groups_replace_the_default_table() -> None:
    data = {"taxonomy": {"groups": {"alpine": {"name": "Alpine states", "countries": ["AT", "CH"], "aliases": ["AS"]}}}}
    taxonomy = config_from_dict(data, root=Path(".")).taxonomy
    assert list(taxonomy.groups) == ["alpine"]
    assert taxonomy.regions  # the default regions stay
    clf = Classifier(taxonomy)
    assert codes(clf, "The AS member states met.") == ["AT", "CH"]
    assert codes(clf, "The IGAD Member States met.") == []


def test_dates_are_toml_dates_or_strings() -> None:
    group = {"name": "G", "countries": ["AT", "DE"], "left": {"AT": dt.date(2020, 1, 1), "DE": "2021-02-03"}}
    taxonomy = config_from_dict({"taxonomy": {"groups": {"g": group}}}, root=Path(".")).taxonomy
    assert taxonomy.groups["g"].left == {"AT": dt.date(2020, 1, 1), "DE": dt.date(2021, 2, 3)}


@pytest.mark.parametrize(
    ("group", "key", "reason"),
    [
        ({"countries": ["DJ", "ER", "QQ"]}, "taxonomy.groups.g.countries[2]", "not an ISO 3166-1 alpha-2 code"),
        ({"countries": "DJ"}, "taxonomy.groups.g.countries", "expected a list"),
        ({"aliases": ["G", " "]}, "taxonomy.groups.g.aliases[1]", "must not be empty"),
        ({"left": {"FR": "2020-01-01"}}, "taxonomy.groups.g.left.FR", "not one of this group's countries"),
        ({"joined": {"AT": "1 May 2020"}}, "taxonomy.groups.g.joined.AT", "expected a date"),
        ({"left": {"AT": dt.datetime(2020, 1, 1, 12)}}, "taxonomy.groups.g.left.AT", "expected a date"),
        (
            {"joined": {"AT": "2020-01-01"}, "left": {"AT": "2019-01-01"}},
            "taxonomy.groups.g.left.AT",
            "must be after joined",
        ),
        ({"members": ["AT"]}, "taxonomy.groups.g.members", "unknown key"),
    ],
)
def test_bad_group_values_name_their_key(group: dict[str, Any], key: str, reason: str) -> None:
    data = {"taxonomy": {"groups": {"g": {"name": "G", "countries": ["AT", "DE"], **group}}}}
    with pytest.raises(ConfigError) as exc:
        config_from_dict(data, root=Path("."))
    assert exc.value.key == key
    assert reason in str(exc.value)


def test_group_slugs_are_checked() -> None:
    with pytest.raises(ConfigError) as exc:
        config_from_dict({"taxonomy": {"groups": {"Big Group": {"name": "G"}}}}, root=Path("."))
    assert exc.value.key == "taxonomy.groups.Big Group"


def test_default_groups_are_organisations_not_the_eu(taxonomy: TaxonomyConfig) -> None:
    sizes = {slug: len(g.members(BEFORE)) for slug, g in taxonomy.groups.items()}
    assert sizes == {
        "ecowas": 15,
        "igad": 8,
        "eac": 6,
        "sadc": 16,
        "gcc": 6,
        "asean": 10,
        "amu": 5,
        "sica": 8,
        "g5-sahel": 5,
        "northern-triangle": 3,
    }
    assert "MR" not in taxonomy.groups["ecowas"].countries


# ---------------------------------------------------------------- the date reaches the classifier


def test_ingest_and_evaluation_tag_by_the_releases_date(cfg: Config, store: Store) -> None:
    from publisher.ingest.tagging import Tagger
    from publisher.pipeline.evaluate.predict import predict
    from publisher.sources.base import ReleaseRecord

    body = "The plan was adopted by ECOWAS member states."
    with store.session() as session:
        tagger = Tagger(cfg, session)
        early = tagger.compute("Free movement", body, dt.date(2014, 4, 30))
        late = tagger.compute("Free movement", body, dt.date(2025, 6, 1))
    assert [t[0] for t in early.countries] == ECOWAS
    assert [t[0] for t in late.countries] == ECOWAS_NOW
    records = [ReleaseRecord(title="Free movement", body=body, published=dt.date(2014, 4, 30), line=1)]
    assert sorted(predict(cfg, records, [])[0].countries) == ECOWAS


def test_the_leaders_of_a_group_are_all_its_members(clf: Classifier) -> None:
    on = dt.date(2019, 2, 6)
    for text in ("The five presidents of the G5 Sahel met in Niamey.", "The G5 Sahel heads of state met in Niamey."):
        assert [t.slug for t in clf.classify(text, on).countries] == ["BF", "ML", "MR", "NE", "TD"], text


SADC = ["AO", "BW", "CD", "KM", "LS", "MG", "MU", "MW", "MZ", "NA", "SC", "SZ", "TZ", "ZA", "ZM", "ZW"]


def test_a_groups_ministers_are_all_its_members(clf: Classifier) -> None:
    assert codes(clf, "SADC ministers adopt recommendations on labour migration.") == SADC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("In Djibouti, IGAD held a workshop for technical experts from all member states.", IGAD),
        ("In Djibouti, IGAD held a workshop for technical experts from all of its member states.", IGAD),
        # which organisation's members the text must say, and only one
        ("In Djibouti, IGAD and ECOWAS held a workshop for technical experts from all member states.", ["DJ"]),
        ("In Djibouti, a workshop for technical experts from all member states was held.", ["DJ"]),
        ("In Djibouti, IGAD held a workshop for technical experts from some member states.", ["DJ"]),
    ],
)
def test_all_member_states_are_those_of_the_one_group_named(clf: Classifier, text: str, expected: list[str]) -> None:
    assert codes(clf, text) == expected
