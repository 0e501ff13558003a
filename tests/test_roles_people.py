"""Nationalities of people who are elsewhere, wars they fled and states leading campaigns: context, not subjects."""

from __future__ import annotations

from pathlib import Path

import pytest

from publisher.classify import Classifier
from publisher.config import config_from_dict


@pytest.fixture(scope="module")
def clf() -> Classifier:
    return Classifier(config_from_dict({}, root=Path(".")).taxonomy)


def codes(clf: Classifier, text: str) -> list[str]:
    return [t.slug for t in clf.classify(text).countries]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # plural nationalities where the text says they were hosted, displaced or have left
        ("Colombia hosts some 1.7 million Venezuelans and gives them a ten-year status.", ["CO"]),
        ("In Islamabad, the Chief Commissioner for Afghan Refugees spoke.", ["PK"]),
        ("In Istanbul, a project for Syrians under temporary protection was launched.", ["TR"]),
        ("GRETA visited Moldova; the visit was postponed because of Russia's full-scale invasion.", ["MD"]),
        (
            "Generators reached Ukraine's hospitals through the power cuts caused by Russia's attacks on Ukraine.",
            ["UA"],
        ),
        ("Cyprus asked for help with the refugees arriving from Ukraine.", ["CY"]),
        ("Jordan's economy has suffered from the conflicts in Iraq and Syria.", ["JO"]),
        ("The crises in Syria and Iraq had closed Jordan's land borders.", ["JO"]),
        ("In Turkey, jobs for Syrians under temporary protection: 300 Syrians start businesses.", ["TR"]),
        ("Gaziantep in Turkey is home to many of the 3.4 million Syrians who sought refuge.", ["TR"]),
        ("The course in Almaty looked at the needs of displaced Afghans.", ["KZ"]),
        ("Officials in Dushanbe spoke of Afghans fleeing across the border.", ["TJ"]),
        # a war named by its country, or still going on there; people counted where they are now
        ("Boats landed in Aceh, Indonesia, the most since Myanmar's military crackdown in 2017.", ["ID"]),
        ("UNESCO trains young Jordanians affected by the Syria crisis in Amman.", ["JO"]),
        ("While war rages in Ukraine, refugees still reach Italy safely.", ["IT"]),
        ("Violence in Iraq has dropped, but few refugees in Jordan go back.", ["JO"]),
        ("Poland plans the long-term integration of Ukrainians.", ["PL"]),
        ("In Warsaw, 1.4 million Ukrainians have registered for temporary protection.", ["PL"]),
        ("Six years on, Iraqis are still in Jordan in large numbers.", ["JO"]),
        ("Turkey began to register Syrians living in towns and cities.", ["TR"]),
        ("Peru and Ecuador host many of the 7.1 million Venezuelans who have left.", ["EC", "PE"]),
        # a nationality said of people: the people noun, another nationality, the predicate
        ("The centre in Lima serves Venezuelan families and their hosts.", ["PE"]),
        ("The EU programme helps Syrian Armenians settle in Armenia.", ["AM"]),
        ("In Turkey many undocumented arrivals are Moldovan, Ukrainian or Georgian.", ["TR"]),
        ("At the airport in Kathmandu, 25 forged Bangladeshi passports were found on one flight.", ["NP"]),
        # the war people fled, and a state leading a campaign
        ("Chad opened a site for families who escaped the war in neighbouring Sudan.", ["TD"]),
        ("Provinces of Chad affected by the Sudanese crisis receive help.", ["TD"]),
        ("Jordan's offices deal with the consequences of the Syrian conflict.", ["JO"]),
        ("Since the Saudi-led air campaign began, boats have reached Djibouti.", ["DJ"]),
        # once the text says who these people are, its other mentions of that nationality are the same people,
        # adjectives included: "Syrian workers", "work permits for Syrians"
        ("Jordan feels the Syrian refugee crisis. Donors met Syrian and Jordanian workers in Mafraq.", ["JO"]),
        ("Lebanon hosts displaced Syrians. Syrian and Lebanese workers met in Beirut.", ["LB"]),
        ("Turkey registered Syrian refugees in Hatay. Work permits for Syrians followed.", ["TR"]),
    ],
)
def test_people_elsewhere_are_context(clf: Classifier, text: str, expected: list[str]) -> None:
    assert codes(clf, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # going home: the nationality is where they return to
        ("IOM flew 120 stranded Ethiopian families home from Yemen on a voluntary return flight.", ["ET", "YE"]),
        # a count of emigrants is their country's story
        ("In 2022, 3,522 Uzbeks found jobs in Russia through the agency.", ["RU", "UZ"]),
        # workers in a labour agreement are one end of the corridor
        ("Saudi Arabia and the Philippines agreed that Filipino workers may again be sent.", ["PH", "SA"]),
        # nothing else is the subject: the nationality stays
        ("Registered Syrian refugees told their stories to the press.", ["SY"]),
        # officials are whom a training is for
        ("Kenya hosted a course for Somali border officials.", ["KE", "SO"]),
    ],
)
def test_people_who_are_the_story_stay(clf: Classifier, text: str, expected: list[str]) -> None:
    assert codes(clf, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # named only by its people in the plural, while the story is placed elsewhere: where they come from
        ("Colombia reports on its temporary protection statute for Venezuelans.", ["CO"]),
        ("The Quito Process, meeting in Buenos Aires, adopts a road map for integrating Venezuelans.", ["AR"]),
        # ... unless they go home, the story is told from the emigrants' side, or they are labour migrants
        ("In Bogota, 300 Venezuelans went back home on a bus.", ["CO", "VE"]),
        ("Venezuelans abroad reach 3.4 million; Colombia hosts the most.", ["CO", "VE"]),
        ("In Moscow, officials counted 600,000 Tajik seasonal workers.", ["RU", "TJ"]),
        # ... or the nationality is said only in the singular, of whom the work is for
        ("A course in Peru for Venezuelan doctors.", ["PE", "VE"]),
    ],
)
def test_a_country_named_only_by_its_people_elsewhere_is_where_they_come_from(
    clf: Classifier, text: str, expected: list[str]
) -> None:
    assert codes(clf, text) == expected
