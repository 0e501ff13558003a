"""Tests for the release–project linker: mentions, phase variants, discrimination, dates, reasons and limits."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from publisher.config import LinkingConfig
from publisher.link import EvidenceKind, Linker, LinkResult, ProjectProfile, ReleaseProfile, wording
from publisher.link.forms import name_forms, short_names
from publisher.link.names import _CAPITALISED, MentionIndex


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
    aliases: tuple[str, ...] = (),
    acronyms: tuple[str, ...] = (),
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
        aliases=aliases,
        acronyms=acronyms,
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
        "Border management, asylum and readmission in Armenia.",
        "AM",
        "border-management",
        "eastern-partnership",
        dt.date(2016, 1, 1),
        dt.date(2018, 12, 31),
    ),
]
CFG = LinkingConfig(threshold=0.5, max_links=5, unnamed=True)  # most tests here are of the unnamed rules


def keys(results: list[LinkResult]) -> list[str]:
    return [r.key for r in results]


def test_acronym_mention_links_alone() -> None:
    (res,) = Linker(PROJECTS, CFG).link(release("The BOMCA 9 team met partners."))
    assert res.key == "bomca-9" and res.score >= 0.6
    assert res.reasons == ("Names BOMCA 9",)


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
            "New border management equipment for border guards of Armenia; asylum and readmission staff trained.",
            countries="AM",
            topics="border-management",
            published=dt.date(2017, 5, 1),
        )
    )
    assert keys(res) == ["mibma"]
    assert res[0].reasons == ("Both about border management in Armenia",)
    kinds = {e.kind for e in res[0].evidence}
    assert {EvidenceKind.COUNTRY, EvidenceKind.TOPIC, EvidenceKind.DATES} <= kinds
    assert 0 < res[0].score <= 1 and res[0].score == round(res[0].score, 4)


def test_order_ties_and_max_links() -> None:
    twins = [
        project(k, f"Twin Project {k.upper()}", k.upper(), "same words here", "GE", "capacity-building")
        for k in ("bbb", "aaa", "ccc")
    ]
    text = "AAA, BBB and CCC all met."
    res = Linker(twins, LinkingConfig(threshold=0.5, max_links=2, unnamed=True)).link(release(text))
    assert keys(res) == ["aaa", "bbb"]
    assert res[0].score == res[1].score


def test_threshold_and_empty() -> None:
    assert Linker([], CFG).link(release("BOMCA")) == []
    strict = Linker(PROJECTS, LinkingConfig(threshold=1.0, max_links=5, unnamed=True))
    assert strict.link(release("The BOMCA 9 team met partners.")) == []


def test_place_names_are_not_similar_wording() -> None:
    # Geography counts once, as a shared country; the country's name must not also count as shared wording.
    res = Linker(PROJECTS, CFG).explain(release("Azerbaijan and Azerbaijani officials met in Baku.", countries="AZ"))
    restart = next(r for r in res if r.key == "restart")
    assert not any(e.kind is EvidenceKind.WORDING and "azerbaijan" in e.detail for e in restart.evidence)
    assert not restart.linked and restart.why == "shares only geography"


def test_words_of_country_names_are_not_similar_wording() -> None:
    # "Sri" is no rarer than many English words, yet it only ever says Sri Lanka
    assert wording.terms("Sri Lanka: returnees from Kuwait") == ["returnee"]


def test_acronyms_in_capitals_are_not_wording() -> None:
    # who runs the work ("IOM", "UNODC") is no evidence of what it is about; a headline's capitals are words
    assert wording.terms("IOM and UNODC staff trained officers") == ["staff", "trained", "officer"]
    assert wording.terms("BORDER TRAINING in Osh") == ["border", "training"]


def test_words_are_read_in_any_script() -> None:
    # "Adaševci" is one word, not "ada" and "evci" (which two unrelated texts might share)
    assert wording.terms("the Adaševci shelter, Şid's camp, Kraków") == ["adaševci", "shelter", "şid", "camp"]


def test_rare_words_of_region_names_are_not_similar_wording() -> None:
    # "Balkan", "Sahel": geography too, though no country is named by them; common words of region names stay
    assert {"balkan", "sahel", "maghreb"}.isdisjoint(
        wording.terms("The Western Balkans, the Balkan route, the Sahel, the Maghreb")
    )
    assert "eastern" in wording.terms("talks with the Eastern Partnership")
    # and so are the rare words of longer country and city names, while their common words stay
    found = wording.terms("returns to El Salvador, Bosnia and Herzegovina and Sierra Leone from the United States")
    assert {"salvador", "herzegovina", "leone"}.isdisjoint(found) and "united" in found


def test_one_rare_shared_word_and_a_country_do_not_link() -> None:
    projects = [
        project(
            "dialogue",
            "Regional Dialogue",
            "",
            "A dialogue launched with Russia and partners on visas and readmission.",
            "RU",
            "migration-dialogues",
            start=dt.date(2010, 1, 1),
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


# ---------------------------------------------------------------- discrimination between candidates

BORDER = "border guards, biometric passport checks and forgery detection training"


def border_action(start: dt.date | None = None, end: dt.date | None = None) -> ProjectProfile:
    """The Moldovan border project most dating tests start from."""
    return project("alpha", "Border Action", "ALPHA", BORDER, "MD", "border-management", start=start, end=end)


SIBLINGS = [
    project(
        "alpha", "Border Action for Moldova", "ALPHA", BORDER, "MD", "border-management", start=dt.date(2020, 1, 1)
    ),
    project(
        "beta", "Regional Border Initiative", "BETA", BORDER, "MD UA", "border-management", start=dt.date(2020, 1, 1)
    ),
    project("gamma", "Borders East", "GAMMA", BORDER, "MD RO", "border-management", start=dt.date(2020, 1, 1)),
]


def test_a_named_project_drops_unnamed_siblings() -> None:
    text = "ALPHA trained border guards of Moldova on biometric passports and forgery detection."
    res = Linker(SIBLINGS, CFG).link(release(text, countries="MD", topics="border-management"))
    assert keys(res) == ["alpha"]
    why = {c.key: c.why for c in Linker(SIBLINGS, CFG).explain(release(text, countries="MD"))}
    assert why["beta"] == "the release names ALPHA, not this project"


def test_without_a_name_siblings_that_tie_get_no_link() -> None:
    text = "Border guards of Moldova completed training on biometric passports and forgery detection."
    linker = Linker(SIBLINGS, CFG)
    r = release(text, countries="MD", topics="border-management")
    assert linker.link(r) == []
    assert any(c.why.startswith("does not clearly beat") for c in linker.explain(r))


def test_without_a_name_at_most_one_link_and_only_a_clear_winner() -> None:
    projects = [
        *SIBLINGS[:1],
        project("delta", "Asylum Systems in Moldova", "DELTA", "asylum", "MD", "asylum", start=dt.date(2020, 1, 1)),
    ]
    text = "Border guards of Moldova completed training on biometric passports and forgery detection."
    res = Linker(projects, CFG).link(release(text, countries="MD", topics="border-management"))
    assert keys(res) == ["alpha"]
    assert res[0].reasons == ("Both about border management in Moldova",)


def test_without_a_name_a_regional_release_is_not_linked_to_a_one_country_project() -> None:
    text = "Border guards completed training on biometric passports and forgery detection."
    linker = Linker(SIBLINGS[:1], CFG)
    # six countries trained together: a Moldova project shares one of them, not the subject
    r = release(text, countries="MD UA RO GE AM AZ", topics="border-management")
    assert linker.link(r) == []
    (c,) = linker.explain(r)
    assert c.why == "the release is about more countries than the project works in"
    # two countries, one of them the project's: half the release is the project's, as before
    assert keys(linker.link(release(text, countries="MD UA", topics="border-management"))) == ["alpha"]


def test_without_a_name_the_release_must_fall_inside_the_project_dates() -> None:
    p = border_action(start=dt.date(2024, 1, 1), end=dt.date(2026, 12, 31))
    text = "Border guards of Moldova completed training on biometric passports and forgery detection."
    linker = Linker([p], CFG)
    assert linker.link(release(text, countries="MD", topics="border-management", published=dt.date(2021, 5, 1))) == []
    (c,) = linker.explain(release(text, countries="MD", topics="border-management", published=dt.date(2021, 5, 1)))
    assert "outside the project's dates (2024–2026)" in c.why
    # A start date rounded to the month, and a report some months after the end, still count.
    for day in (dt.date(2023, 12, 10), dt.date(2027, 6, 1)):
        assert keys(linker.link(release(text, countries="MD", topics="border-management", published=day))) == ["alpha"]
    # Weeks before the start, a release that does not name the project is not about its work ...
    early = release(text, countries="MD", topics="border-management", published=dt.date(2023, 11, 15))
    assert linker.link(early) == []
    (c,) = linker.explain(early)
    assert "outside the project's dates (2024–2026)" in c.why
    # ... while one that names it may announce it: the dates still count as evidence.
    (named,) = linker.link(
        release(f"ALPHA: {text}", countries="MD", topics="border-management", published=dt.date(2023, 11, 15))
    )
    assert EvidenceKind.DATES in [e.kind for e in named.evidence]
    # A name is stronger than dates: a release naming the project links whenever it was published.
    assert keys(linker.link(release("ALPHA news", published=dt.date(2021, 5, 1)))) == ["alpha"]


def test_an_unnamed_undated_project_is_never_linked() -> None:
    # Same evidence, but one project cannot be placed in time: the dated one wins (were both eligible they would
    # tie, and a tie links nothing); alone, the undated one links only when named.
    dated = border_action(start=dt.date(2020, 1, 1))
    undated = project("beta", "Border Work", "BETA", BORDER, "MD", "border-management")
    text = "Moldova: a border management meeting on biometric passports and forgery detection."
    r = release(text, countries="MD", topics="border-management")
    assert keys(Linker([dated, undated], CFG).link(r)) == ["alpha"]
    why = {c.key: c.why for c in Linker([dated, undated], CFG).explain(r)}
    assert why["beta"] == "not named, and the project has no dates to place the release in"
    assert keys(Linker([undated], CFG).link(r)) == []
    named = release(f"BETA: {text}", countries="MD", topics="border-management")
    assert keys(Linker([undated], CFG).link(named)) == ["beta"]


def test_generic_words_are_not_wording_evidence() -> None:
    p = project("alpha", "Some Action", "ALPHA", "The need for a role aimed at fostering each institution.", "MD")
    r = release("There is a need for a role aimed at fostering the institution in Moldova.", countries="MD")
    (c,) = Linker([p], CFG).explain(r)
    assert not any(e.kind is EvidenceKind.WORDING for e in c.evidence), c.evidence
    # Distinctive words shared do count, but never alone: geography must anchor them.
    p2 = project("beta", "Other Action", "BETA", "readmission agreements and reintegration of returnees", "MD")
    (c2,) = Linker([p2], CFG).explain(release("Readmission and reintegration of returnees in Moldova.", countries="MD"))
    assert any(e.kind is EvidenceKind.WORDING for e in c2.evidence)
    assert Linker([p2], CFG).link(release("Readmission and reintegration of returnees.")) == []


def test_candidates_are_prefiltered_by_mention_country_or_region() -> None:
    projects = [*SIBLINGS, project("far", "Far Away Project", "FAR", BORDER, "PE", "border-management")]
    considered = {c.key for c in Linker(projects, CFG).explain(release("Border training in Moldova.", countries="MD"))}
    assert considered == {"alpha", "beta", "gamma"}


def test_the_running_phase_wins_when_the_release_names_only_the_base() -> None:
    phases = [
        project("p9", "Border Programme - Phase 9", "BOMCA 9", start=dt.date(2015, 6, 1), end=dt.date(2018, 6, 30)),
        project("p10", "Border Programme - Phase 10", "BOMCA 10", start=dt.date(2019, 1, 1), end=dt.date(2023, 12, 31)),
    ]
    linker = Linker(phases, CFG)
    assert keys(linker.link(release("The BOMCA programme met.", published=dt.date(2020, 3, 1)))) == ["p10"]
    assert keys(linker.link(release("BOMCA 9 closing event.", published=dt.date(2020, 3, 1)))) == ["p9"]
    # A phase the list lacks still names the programme: the nearest phase in time takes it.
    (res,) = linker.link(release("BOMCA 11 has started.", published=dt.date(2025, 3, 1)))
    assert res.key == "p10" and res.reasons == ("Names BOMCA 11",)
    # A look back over every phase names each of them; a phase named exactly still stands alone.
    back = release("The BOMCA programme ran through three consecutive phases.", published=dt.date(2024, 3, 1))
    assert sorted(keys(linker.link(back))) == ["p10", "p9"]
    assert keys(linker.link(release("BOMCA 10 built on all phases before it.", published=dt.date(2020, 3, 1)))) == [
        "p10"
    ]


def test_a_phase_named_as_what_another_continues_is_not_linked() -> None:
    phases = [
        project("one", "Coastal Skills Partnership", "COSKIP", start=dt.date(2019, 1, 1), end=dt.date(2023, 12, 31)),
        project("two", "Coastal Skills Partnership II", "COSKIP Plus", start=dt.date(2024, 1, 1)),
    ]
    linker = Linker(phases, CFG)
    text = "COSKIP Plus, the second phase of the Coastal Skills Partnership, starts in Tunisia."
    assert keys(linker.link(release(text, published=dt.date(2024, 6, 1)))) == ["two"]
    # named for itself, the earlier phase is linked as before
    text = "The Coastal Skills Partnership closed; COSKIP Plus follows it."
    assert keys(linker.link(release(text, published=dt.date(2024, 6, 1)))) == ["one", "two"]


def test_an_ordinal_phase_names_that_phase() -> None:
    assert name_forms("Safe Work Programme Nepal, third phase")[1][0] == "Safe Work Programme Nepal III"
    assert short_names(["Safe Work Programme Nepal III", "Safe Work Programme Nepal II"], {"nepal"}) == [
        "Safe Work Programme III",
        "Safe Work Programme II",
    ]
    phases = [
        project("two", "Safe Work Programme Nepal, second phase", "SAWOP II", start=dt.date(2013, 7, 1),
                end=dt.date(2020, 12, 31)),
        project("three", "Safe Work Programme Nepal, third phase", "SAWOP III", start=dt.date(2018, 7, 1),
                end=dt.date(2024, 11, 30)),
    ]  # fmt: skip
    linker = Linker(phases, CFG)
    # both phases ran in 2019: the ordinal says which one the release means, with or without the country
    for text in ("Volunteers work in the third phase of the Safe Work Programme.",
                 "The 3rd phase of the Safe Work Programme Nepal began."):  # fmt: skip
        (res,) = linker.link(release(text, published=dt.date(2019, 9, 1)))
        assert res.key == "three", text
    # the name alone, while both run: both are its phases
    assert keys(linker.link(release("The Safe Work Programme met.", published=dt.date(2019, 9, 1)))) == [
        "three",
        "two",
    ]


def test_a_dialogue_and_its_support_project_are_the_same_subject() -> None:
    projects = [
        project("pp", "Prague Process", "", "A migration dialogue."),
        project("ppdata", "Prague Process: Dialogue, Analyses and Trainings in Action", "PP DATA", "Support."),
        project("other", "Budapest Process", "", "Another dialogue."),
    ]
    res = Linker(projects, LinkingConfig(threshold=0.3, max_links=5, unnamed=True)).link(
        release("The Prague Process met in Prague.")
    )
    assert keys(res) == ["pp", "ppdata"]
    assert res[0].reasons == ("Names Prague Process",)
    assert res[1].reasons == ("Same dialogue: Prague Process",)


# ---------------------------------------------------------------- names, acronyms and aliases


def test_acronym_variants_and_mixed_case_expansions() -> None:
    mieux = project("mieux", "MIgration EU eXpertise", "MIEUX / MIEUX+")
    linker = Linker([mieux], CFG)
    for text in ("MIEUX+ experts visited", "the MIEUX initiative", "Migration EU Expertise (MIEUX) said"):
        assert keys(linker.link(release(text))) == ["mieux"], text
    assert name_forms("MIgration EU eXpertise")[0] == ["MIEUX"]
    assert name_forms("Security in Mali")[0] == []  # only capitals inside words spell an acronym


def test_several_acronyms_and_aliases() -> None:
    p = project("rr", "Return and Reintegration in Pakistan", "RRP", aliases=("R&R Pakistan",), acronyms=("RRPK",))
    linker = Linker([p], CFG)
    for text in ("RRP met", "RRPK met", "R&R Pakistan met"):
        (res,) = linker.link(release(text))
        assert res.reasons == (f"Names {text.removesuffix(' met')}",)


def test_acronyms_in_parentheses_inside_names() -> None:
    acr, names = name_forms("Migration Partnership Facility (MPF) Phase II")
    assert acr == ["MPF"] and names == ["Migration Partnership Facility Phase II"]
    # A parenthesis abbreviating only the words before it gives a second name, not an acronym of the project.
    acr, names = name_forms("Eastern Partnership (EaP) Border Capacity Project (EaP BCP)")
    assert acr == ["EaP BCP"]
    assert names == ["Eastern Partnership Border Capacity Project", "EaP Border Capacity Project"]
    idx = MentionIndex([(acr, names)])
    assert [m.text for m in idx.scan("The EaP Border Capacity Project and the EaP met.")] == [
        "EaP Border Capacity Project"
    ]


def test_names_must_be_written_as_names() -> None:
    linker = Linker([project("pp", "Prague Process", "")], CFG)
    assert linker.link(release("a prague process of sorts")) == []
    # a word the project's own name writes in lower case may be written so
    reform = Linker([project("tbir", "Tajik Border Inspection Reform programme", "TBIR")], CFG)
    assert keys(reform.link(release("IOM opened a centre under its Tajik Border Inspection Reform programme."))) == [
        "tbir"
    ]
    assert reform.link(release("IOM opened a centre under its Tajik border inspection reform programme.")) == []


def test_phases_are_not_a_family() -> None:
    # "X II" contains the name "X", but it is another phase: naming the first phase does not pull in the second.
    phases = [
        project("one", "West Coast Mobility Scheme", "WCMS", start=dt.date(2016, 1, 1), end=dt.date(2019, 12, 31)),
        project(
            "two", "West Coast Mobility Scheme II", "WCMS II", start=dt.date(2020, 1, 1), end=dt.date(2024, 12, 31)
        ),
    ]
    res = Linker(phases, CFG).link(release("The West Coast Mobility Scheme closed.", published=dt.date(2019, 6, 1)))
    assert keys(res) == ["one"]


def test_without_a_name_a_topic_and_one_rare_word_are_not_enough() -> None:
    p = border_action(start=dt.date(2020, 1, 1))
    r = release("Moldova: a border management meeting on biometric data.", countries="MD", topics="border-management")
    (c,) = Linker([p], CFG).explain(r)
    assert not c.linked and c.why == "shares a topic but not its distinctive words"


def test_link_skips_hopeless_candidates_without_changing_the_decision() -> None:
    # `link` leaves out unnamed candidates that cannot win before scoring them; `explain` scores all. Both must
    # agree on every release, whatever mix of names, siblings, dates and wording it has.
    projects = [*SIBLINGS, *PROJECTS, project("delta", "Asylum Systems", "DELTA", "asylum reception", "MD", "asylum")]
    texts = [
        ("ALPHA trained border guards of Moldova on biometric passports.", "MD", "border-management"),
        (
            "Border guards of Moldova completed training on biometric passports and forgery detection.",
            "MD",
            "border-management",
        ),
        ("Asylum reception centres in Moldova got biometric forgery detection kits.", "MD", "asylum border-management"),
        (
            "New border management equipment for Armenia; asylum and readmission staff trained.",
            "AM",
            "border-management",
        ),
    ]
    linker = Linker(projects, CFG)
    for text, countries, topics in texts:
        for day in (dt.date(2017, 5, 1), dt.date(2021, 5, 1)):
            r = release(text, countries=countries, topics=topics, published=day)
            slow = sorted(linker.projects[s.index].key for s, ok, _ in linker._decide(r, full=True) if ok)
            assert sorted(keys(linker.link(r))) == slow, text


def _plain_starts(index: MentionIndex, text: str) -> list[int]:
    """Where MentionIndex looked for mentions before it judged each distinct word once (frozen here)."""
    import re

    from publisher.link.names import _GLUED_PHASE

    out = []
    for m in _CAPITALISED.finditer(text):
        tok = m.group()
        if not tok[0].isupper():
            continue
        base = tok.rstrip("+") or tok
        glued = _GLUED_PHASE.match(base)
        if (
            base in index._first_acr
            or tok.lower() in index._first_name
            or (glued and glued["base"] in index._first_acr)
        ):
            out.append(m.start())
    assert all(re.match(r"[\w&+]+", text[i:]) for i in out)
    return out


@given(
    st.lists(
        st.sampled_from(
            [
                "BOMCA",
                "BOMCA10",
                "MIEUX+",
                "Prague",
                "PRAGUE",
                "Process",
                "xBOMCA",
                "BOMCAx",
                "Łódź",
                "R&R",
                "Rabat",
                "the",
                "(",
                "-",
                "+",
                "_",
                " ",
                "\n",
                "9",
            ]
        ),
        max_size=30,
    )
)
@example(["BOMCA", " ", "xBOMCA", " ", "BOMCAx", "(", "PRAGUE", "_", "Prague"])  # inside longer tokens: no start
def test_mention_starts_are_where_they_were(parts: list[str]) -> None:
    index = MentionIndex(
        [
            name_forms("Prague Process", "PP"),
            name_forms("Border Management in Central Asia", "BOMCA 9"),
            name_forms("MIgration EU eXpertise", "MIEUX / MIEUX+"),
            name_forms("Return and Reintegration", "R&R"),
            name_forms("Łódź Dialogue"),
        ]
    )
    text = "".join(parts)
    assert index._starts(text, _CAPITALISED.findall(text)) == _plain_starts(index, text)


def test_without_a_name_a_shared_topics_own_keywords_are_not_distinctive_wording() -> None:
    """A shared topic already counts its keywords: "trafficking, smuggling" is what every project of the topic
    says, so they cannot also be the two distinctive words that make the same subject."""
    p = project(
        "pnet",
        "Prosecutors Network",
        "PNET",
        "Prosecutors cooperate on trafficking and smuggling cases across West Africa.",
        "ML NE BF",
        "trafficking-smuggling",
        start=dt.date(2013, 1, 1),
    )
    r = release("Police of Mali and Niger trained on trafficking and smuggling.", "ML NE", "trafficking-smuggling")
    assert keys(Linker([p], CFG).link(r)) == ["pnet"]  # the same words, the topic's keywords unknown
    words = {"trafficking-smuggling": ("traffick*", "smuggl*", "exploitation")}
    (c,) = Linker([p], CFG, topic_words=words).explain(r)
    assert not c.linked and c.why == "shares a topic but not its distinctive words"
    # ... and so is any other topic's: the taxonomy's keywords are the field's common vocabulary ("migrant" of
    # "migrant worker" in a return project)
    other = {"trafficking-smuggling": ("exploitation",), "labour-migration": ("traffick*", "smuggl*")}
    (c,) = Linker([p], CFG, topic_words=other).explain(r)
    assert not c.linked and c.why == "shares a topic but not its distinctive words"


def test_a_name_in_lower_case_is_a_name_before_project() -> None:
    p = project("wesal", "West Sahel Land Border Control", "WESAL", "Patrols.", "ML")
    linker = Linker([p], CFG)
    assert keys(linker.link(release("The EU launched the West Sahel land border control project."))) == ["wesal"]
    assert keys(linker.link(release("The West Sahel land border control improved."))) == []
    # two words are too few to pass for a name that way
    short = project("lbc", "Land Control", "LBC", "Patrols.", "ML")
    assert keys(Linker([short], CFG).link(release("The Land control project ended."))) == []


def test_a_name_is_also_written_without_where_the_project_works() -> None:
    office = project("rcso", "Regional Cooperation Support Office for the Asia-Pacific", "RCSO")
    twins = [
        project("jopam", "Joint Operational Partnership against Migrant Smuggling in Mauritania", "JOPAM"),
        project("jopas", "Joint Operational Partnership against Migrant Smuggling in Senegal", "JOPAS"),
    ]
    linker = Linker([office, *twins], CFG)
    assert keys(linker.link(release("Ministers welcomed the new Regional Cooperation Support Office."))) == ["rcso"]
    # siblings that differ only by where they work: the short form names neither of them
    assert keys(linker.link(release("The Joint Operational Partnership against Migrant Smuggling met."))) == []
    # two words are too few to be a project's name on their own
    small = project("bmx", "Border Management in Central Asia", "BMX")
    assert keys(Linker([small], CFG).link(release("Border Management is hard work."))) == []


def test_next_to_a_named_project_an_unnamed_sibling_is_not_linked() -> None:
    """A release that names its project is about that one, however much a dated sibling shares with it."""
    named = project("alpha", "Border Action for Moldova", "ALPHA", BORDER, "MD", "border-management")
    text = "ALPHA: border guards of Moldova trained on biometric passport checks and forgery detection."
    r = release(text, countries="MD", topics="border-management")
    dated = project("delta", "Frontier Support", "DELTA", BORDER, "MD", "border-management", start=dt.date(2024, 1, 1))
    assert keys(Linker([dated], CFG).link(r)) == ["delta"]  # alone, the sibling would be the clear winner
    linker = Linker([named, dated], CFG)
    assert keys(linker.link(r)) == ["alpha"]
    why = {linker.projects[s.index].key: reason for s, ok, reason in linker._decide(r, full=True) if not ok}
    assert why == {"delta": "the release names ALPHA, not this project"}
    # the first phase of a named second phase is its predecessor, however much they share
    second = project("alpha-2", "Border Action for Moldova II", "ALPHA II", BORDER, "MD", "border-management")
    first = project("alpha-1", "Border Action for Moldova", "ALPHA", BORDER, "MD", "border-management",
                    start=dt.date(2024, 1, 1))  # fmt: skip
    both = Linker([first, second], CFG)
    assert keys(both.link(release(f"ALPHA II: {text[7:]}", countries="MD", topics="border-management"))) == ["alpha-2"]


def test_a_short_form_that_is_another_projects_whole_name_names_only_that_one() -> None:
    base = project("mob", "Mobility Partnership Development Support", "MOBS")
    region = project("mob-2", "Mobility Partnership Development Support for the Northern Region", "MOBS II")
    linker = Linker([base, region], CFG)
    assert keys(linker.link(release("IOM launched the Mobility Partnership Development Support project."))) == ["mob"]
    assert keys(Linker([region], CFG).link(release("The Mobility Partnership Development Support met."))) == ["mob-2"]


def test_regional_variants_of_a_programme_are_not_its_family() -> None:
    """ "GLOJAT-BD" and "GLOJAT-AME" vary "GLOJAT" by region: naming one names neither of the others."""
    base = "Global Joint Action against Trafficking"
    projects = [
        project(
            "g", base, "GLOJAT", BORDER, "PK", "border-management", start=dt.date(2015, 1, 1), end=dt.date(2019, 12, 31)
        ),
        project(
            "g-bd", f"{base} - Bangladesh", "GLOJAT-BD", BORDER, "BD", "border-management", start=dt.date(2019, 1, 1)
        ),
        project(
            "g-ame",
            f"{base} - Asia and the Middle East",
            "GLOJAT-AME",
            BORDER,
            "PK",
            "border-management",
            aliases=("GLOJAT Asia and the Middle East",),
            start=dt.date(2018, 1, 1),
        ),
    ]
    linker = Linker(projects, CFG)
    text = "GLOJAT trained border guards of Pakistan on biometric passport checks and forgery detection."
    assert keys(linker.link(release(text, "PK", "border-management", published=dt.date(2017, 5, 1)))) == ["g"]
    # an alias that starts with the base's acronym names the variant, not the base
    alias = "GLOJAT Asia and the Middle East trained border guards of Pakistan."
    assert keys(linker.link(release(alias, "PK", "border-management", published=dt.date(2021, 5, 1)))) == ["g-ame"]


def test_a_compound_of_a_topic_keyword_is_that_keyword() -> None:
    words = {"trafficking-smuggling": ("traffick*",)}
    assert wording.without_keywords(
        ["counter-trafficking", "prosecution"], wording.keyword_terms(words["trafficking-smuggling"])
    ) == ["prosecution"]


def test_an_alias_in_lower_case_is_found_as_written() -> None:
    p = project(
        "arsmic",
        "Armenian Migration Service Twinning",
        "ARSMIC",
        aliases=("twinning project for Armenia's State Migration Service",),
    )
    linker = Linker([p], CFG)
    text = "The steering committee of the EU-funded twinning project for Armenia's State Migration Service met."
    assert keys(linker.link(release(text))) == ["arsmic"]
    assert keys(linker.link(release("A twinning project for a ministry met."))) == []


def test_a_release_announcing_a_new_project_is_not_about_one_that_started_years_ago() -> None:
    old = border_action(start=dt.date(2020, 1, 1), end=dt.date(2022, 12, 31))
    text = "A grant was signed for a new border project on biometric passport checks and forgery detection in Moldova."
    r = release(text, countries="MD", topics="border-management", published=dt.date(2023, 2, 1))
    assert Linker([old], CFG).link(r) == []
    (c,) = Linker([old], CFG).explain(r)
    assert c.why == "the release announces a new project; this one ran 2020–2022"
    # the same text about the project's own work, without "a new project", links
    same = release(
        text.replace("a new border project", "border work"),
        countries="MD",
        topics="border-management",
        published=dt.date(2023, 2, 1),
    )
    assert keys(Linker([old], CFG).link(same)) == ["alpha"]


def test_a_plus_is_part_of_an_acronym() -> None:
    """ "ALPHA" names the first programme, not its "ALPHA+" follow-up; "ALPHA+" names the follow-up."""
    first = border_action(start=dt.date(2019, 1, 1), end=dt.date(2023, 12, 31))
    plus = project("alpha-plus", "Border Action Plus", "ALPHA Plus", BORDER, "MD", "border-management",
                   acronyms=("ALPHA Plus", "ALPHA+"))  # fmt: skip
    linker = Linker([first, plus], CFG)
    when = dt.date(2021, 5, 1)
    text = "ALPHA trained border guards of Moldova on biometric passports."
    assert keys(linker.link(release(text, "MD", "border-management", published=when))) == ["alpha"]
    later = "ALPHA+ trained border guards of Moldova on biometric passports."
    assert "alpha-plus" in keys(linker.link(release(later, "MD", "border-management", published=when)))


def test_an_alias_of_one_capitalised_word_and_its_noun_names_the_project() -> None:
    """ "the Chances project": one distinctive word before "project" or "programme" is a name, as written."""
    chances = project("livebra", "Livelihoods for Venezuelans in Brazil", "LIVEBRA", aliases=("Chances project",))
    linker = Linker([chances], CFG)
    assert keys(linker.link(release("USAID and IOM launched the Chances project for Venezuelans."))) == ["livebra"]
    # in lower case it is ordinary words, and a small word before the noun names nothing
    assert keys(linker.link(release("Their chances project a better year for Venezuelans."))) == []
    plain = project("x", "Some Name", "SNX", aliases=("The project",))
    assert keys(Linker([plain], CFG).link(release("The project trained officers."))) == []
    # a number is as distinctive as a capital: "the 1+1 remittance programme"
    matched = project("morep", "Remittances-to-Enterprise Programme", "MOREP", aliases=("1+1 remittance programme",))
    text = "Grants under the 1+1 remittance programme went to 54 migrant workers."
    assert keys(Linker([matched], CFG).link(release(text))) == ["morep"]


def test_with_unnamed_links_off_only_named_projects_are_linked() -> None:
    """`linking.unnamed = false`: the clear winner among projects a release does not name is left out, with why."""
    dated = project("delta", "Frontier Support", "DELTA", BORDER, "MD", "border-management", start=dt.date(2024, 1, 1))
    r = release(
        "Border guards of Moldova trained on biometric passport checks.", countries="MD", topics="border-management"
    )
    assert keys(Linker([dated], CFG).link(r)) == ["delta"]
    off = Linker([dated], LinkingConfig(threshold=0.5, max_links=5, unnamed=False))
    assert keys(off.link(r)) == []
    assert [reason for _, ok, reason in off._decide(r, full=True)] == ["not named (linking.unnamed is off)"]
    named = release("DELTA: border guards of Moldova trained.", countries="MD", topics="border-management")
    assert keys(off.link(named)) == ["delta"]


def test_linking_unnamed_is_read_from_the_config() -> None:
    """Off by default: on the labelled sets about half the unnamed links were wrong (18 of 38), and a reader
    trusts a related project the release names."""
    from publisher.config import config_from_dict

    assert config_from_dict({"linking": {"unnamed": True}}, root=Path(".")).linking.unnamed is True
    assert config_from_dict({}, root=Path(".")).linking.unnamed is False
