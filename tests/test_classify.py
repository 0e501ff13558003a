"""Tests for the gazetteer and the classifier: demonyms, cities, false friends, regions and topics."""

from __future__ import annotations

from pathlib import Path

import pytest

from publisher.classify import Classifier
from publisher.config import RegionConfig, TaxonomyConfig, TopicConfig, config_from_dict
from publisher.gazetteer import Gazetteer


@pytest.fixture(scope="module")
def clf() -> Classifier:
    return Classifier(config_from_dict({}, root=Path(".")).taxonomy)


def codes(clf: Classifier, text: str) -> list[str]:
    return [t.slug for t in clf.classify(text).countries]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Georgian start-ups met Azerbaijani officials.", ["AZ", "GE"]),
        ("Return of Ukrainians and Tunisian nationals", ["TN", "UA"]),
        ("A training in Dushanbe, then Erbil and Sulaymaniyah.", ["IQ", "TJ"]),
        ("Offices in Brussels, Vienna, Samarkand and Tashkent.", ["AT", "BE", "UZ"]),
        ("Türkiye, formerly Turkey, and Côte d’Ivoire", ["CI", "TR"]),
        ("in the Kurdistan Region of Iraq (KR-I)", ["IQ"]),
        ("Papua New Guinea and Equatorial Guinea", ["GQ", "PG"]),
        ("Nigeria, unlike Niger", ["NE", "NG"]),
        ("the Government of the Republic of Moldova", ["MD"]),
        ("UKRAINE AND MOLDOVA", ["MD", "UA"]),
    ],
)
def test_countries(clf: Classifier, text: str, expected: list[str]) -> None:
    assert codes(clf, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Funded by the European Union and the European Commission.",
        "The Rabat Process and the Khartoum Process met; the Dublin Regulation applies.",
        "The EU Emergency Trust Fund for Africa financed it.",
        "Coach Chad Johnson and player Michael Jordan spoke.",
        "She studied at Georgia State University in Atlanta, Georgia.",
        "Piracy in the Gulf of Guinea and the Indian Ocean.",
        "The report is available in French and in Spanish.",
        "Latin American and North American partners",
    ],
)
def test_false_friends(clf: Classifier, text: str) -> None:
    assert codes(clf, text) == []


def test_country_reasons_and_scores(clf: Classifier) -> None:
    (tag,) = clf.classify("A conference in Tunis with the Ministry of Interior of Tunisia.").countries
    assert tag.slug == "TN"
    assert tag.reasons == ('mentions "Tunis"', 'mentions "Tunisia"')
    assert 0.9 < tag.score <= 1.0


def test_regions_from_members_and_aliases(clf: Classifier) -> None:
    regions = {t.slug: t for t in clf.classify("Central Asian CSOs will meet in Samarkand, Uzbekistan.").regions}
    assert set(regions) == {"central-asia"}
    assert 'mentions "Central Asian"' in regions["central-asia"].reasons
    assert "country Uzbekistan" in regions["central-asia"].reasons
    # Regions do not nest: a West African country is west-africa only; "West Africa" is not "Africa".
    assert {t.slug for t in clf.classify("Ghana and Nigeria across West Africa").regions} == {"west-africa"}
    assert {t.slug for t in clf.classify("African and European partners").regions} == {"africa", "europe"}
    # A donor's name is not a place.
    assert clf.classify("an EU-funded project of the European Union").regions == ()


def test_topics(clf: Classifier) -> None:
    topics = {
        t.slug: t
        for t in clf.classify(
            "A two-day training on Irregular Migration, Migrant Smuggling and Human Trafficking at the border."
        ).topics
    }
    assert set(topics) == {"capacity-building", "trafficking-smuggling"}
    assert topics["capacity-building"].reasons == ('matched "training"',)
    # One context word alone does not make a topic; hyphens count as spaces.
    assert clf.classify("The border was quiet.").topics == ()
    assert [t.slug for t in clf.classify("capacity-building for border-management").topics] == [
        "border-management",
        "capacity-building",
    ]


def test_keyword_conventions() -> None:
    tax = TaxonomyConfig(
        regions={"x": RegionConfig(name="X", countries=("FR",), aliases=("Xland",))},
        topics={"t": TopicConfig(name="T", keywords={"traffick*": 2, "IBM": 2, "return": 1}, threshold=2)},
        extra_places={"Lesvos Island": "GR", "Gotham": "US"},
    )
    c = Classifier(tax)
    assert [t.slug for t in c.classify("traffickers").topics] == ["t"]
    assert c.classify("ibm laptops").topics == ()  # capitals-only keyword
    assert [t.slug for t in c.classify("IBM").topics] == ["t"]
    assert c.classify("return").topics == ()
    assert [t.score for t in c.classify("returns, returns and returns").topics] == [2.0]  # repeats add half
    result = c.classify("From Gotham to Xland and Paris")
    assert [t.slug for t in result.countries] == ["FR", "US"]
    assert [t.slug for t in result.regions] == ["x"]
    assert c.countries_in("Lesvos Island, then Gotham") == ["GR", "US"]


def test_gazetteer_resolve() -> None:
    g = Gazetteer()
    assert g.resolve("the Netherlands") == "NL"
    assert g.resolve("Kyrgyz Republic") == "KG"
    assert g.resolve("Czech Republic.") == "CZ"
    assert g.resolve("Atlantis") is None


def test_deterministic_and_pure(clf: Classifier) -> None:
    text = "BOMCA trains border guards in Tashkent and Bishkek; Kyrgyz and Uzbek officers took part."
    assert clf.classify(text) == clf.classify(text)
