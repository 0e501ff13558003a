"""Tests for the release–project linker: mentions, phase variants, anchors, ordering and limits."""

from __future__ import annotations

import datetime as dt

from publisher.config import LinkingConfig
from publisher.link import Linker, LinkResult, ProjectProfile, ReleaseProfile


def project(
    key: str,
    name: str,
    acronym: str = "",
    text: str = "",
    countries: str = "",
    topics: str = "",
    regions: str = "",
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> ProjectProfile:
    return ProjectProfile(
        key=key,
        name=name,
        acronym=acronym,
        text=text,
        countries=frozenset(countries.split()),
        regions=frozenset(regions.split()),
        topics=frozenset(topics.split()),
        start_date=start,
        end_date=end,
    )


def release(
    text: str,
    countries: str = "",
    topics: str = "",
    regions: str = "",
    title: str = "",
    published: dt.date = dt.date(2025, 3, 1),
) -> ReleaseProfile:
    return ReleaseProfile(
        title=title,
        text=text,
        published=published,
        countries=frozenset(countries.split()),
        regions=frozenset(regions.split()),
        topics=frozenset(topics.split()),
    )


PROJECTS = [
    project(
        "bomca-9",
        "Border Management Programme in Central Asia - Phase 9",
        "BOMCA 9",
        "Integrated border management, border guards and trade facilitation in Central Asia.",
        "KZ KG TJ TM UZ",
        "border-management",
        "central-asia",
    ),
    project(
        "restart",
        "Reintegration Support to Azerbaijani Returnees",
        "RESTART",
        "Sustainable reintegration of returnees in Azerbaijan.",
        "AZ",
        "return-reintegration",
        "eastern-partnership",
    ),
    project(
        "prague-process",
        "Prague Process",
        "",
        "A migration dialogue of fifty states.",
        "",
        "migration-dialogues",
        "europe central-asia",
    ),
    project(
        "mibma",
        "Support to Migration and Border Management in Armenia",
        "MIBMA",
        "Border management and asylum in Armenia.",
        "AM",
        "border-management",
        "eastern-partnership",
        dt.date(2016, 1, 1),
        dt.date(2018, 12, 31),
    ),
]
CFG = LinkingConfig(threshold=0.5, max_links=5)


def keys(results: list[LinkResult]) -> list[str]:
    return [r.key for r in results]


def test_acronym_mention_links_alone() -> None:
    (res,) = Linker(PROJECTS, CFG).link(release("The BOMCA 9 team met partners."))
    assert res.key == "bomca-9" and res.score >= 0.6
    assert res.reasons[0] == 'mentions "BOMCA 9"'


def test_phase_variants_match() -> None:
    linker = Linker(PROJECTS, CFG)
    for text in ("BOMCA 10 has launched a call", "BOMCA-10 news", "the BOMCA programme", "BOMCA IX"):
        assert keys(linker.link(release(text))) == ["bomca-9"], text
    assert linker.link(release("bomca is written in lower case here")) == []
    # A trailing X is part of an acronym, not a Roman phase number.
    mieux = Linker([project("mieux", "Migration EU Expertise", "MIEUX")], CFG)
    assert keys(mieux.link(release("MIEUX Phase IV started"))) == ["mieux"]
    assert mieux.link(release("MIEU is a different thing")) == []


def test_name_mention_in_title() -> None:
    res = Linker(PROJECTS, CFG).link(release("Officials met online.", title="Prague Process Senior Officials"))
    assert keys(res) == ["prague-process"]


def test_geography_alone_is_not_enough() -> None:
    linker = Linker(PROJECTS, CFG)
    assert linker.link(release("A delegation from Uzbekistan visited Vienna.", countries="UZ AT")) == []
    # Same subject elsewhere: topic and wording overlap without an anchor stay below the threshold.
    text = "Sustainable reintegration of returnees in Pakistan."
    assert linker.link(release(text, countries="PK", topics="return-reintegration")) == []


def test_country_plus_topic_and_wording_links() -> None:
    res = Linker(PROJECTS, CFG).link(
        release(
            "New border management equipment for border guards of Armenia.",
            countries="AM",
            topics="border-management",
            published=dt.date(2017, 5, 1),
        )
    )
    assert keys(res) == ["mibma"]
    reasons = res[0].reasons
    assert "same country: Armenia" in reasons and "shared topic: border-management" in reasons
    assert any(r.startswith("similar wording: ") for r in reasons)
    assert "published while the project ran" in reasons
    assert 0 < res[0].score <= 1 and res[0].score == round(res[0].score, 4)


def test_order_ties_and_max_links() -> None:
    twins = [
        project(k, f"Twin Project {k.upper()}", k.upper(), "same words here", "GE", "capacity-building")
        for k in ("bbb", "aaa", "ccc")
    ]
    text = "AAA, BBB and CCC all met."
    res = Linker(twins, LinkingConfig(threshold=0.5, max_links=2)).link(release(text))
    assert keys(res) == ["aaa", "bbb"]
    assert res[0].score == res[1].score


def test_threshold_and_empty() -> None:
    assert Linker([], CFG).link(release("BOMCA")) == []
    strict = Linker(PROJECTS, LinkingConfig(threshold=1.0, max_links=5))
    assert strict.link(release("The BOMCA 9 team met partners.")) == []


def test_place_names_are_not_similar_wording() -> None:
    # Geography counts once, as a shared country; the country's name must not also count as shared wording.
    res = Linker(PROJECTS, CFG).explain(release("Azerbaijan and Azerbaijani officials met in Baku.", countries="AZ"))
    restart = next(r for r in res if r.key == "restart")
    assert not any(r.startswith("similar wording") and "azerbaijan" in r for r in restart.reasons)
    assert restart.score < CFG.threshold


def test_one_rare_shared_word_and_a_country_do_not_link() -> None:
    projects = [
        project(
            "dialogue",
            "Regional Dialogue",
            "",
            "A dialogue launched with Russia and partners on visas and readmission.",
            "RU",
            "migration-dialogues",
        )
    ]
    lone = release(
        "A new study on labour migration from Kyrgyzstan to Russia came out in Bishkek; a dialogue.",
        countries="KG RU",
        topics="labour-migration",
    )
    assert Linker(projects, CFG).link(lone) == []
    shared = release(
        "The dialogue on visas and readmission with Russia met again.", countries="RU", topics="migration-dialogues"
    )
    assert keys(Linker(projects, CFG).link(shared)) == ["dialogue"]
