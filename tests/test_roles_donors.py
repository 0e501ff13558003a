"""A donor stays a donor: once a text says a country pays, its other mentions are context while another is the subject."""

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
        (
            "Paid for by the Government of Japan, the new immigration building in Mogadishu opened on Sunday. "
            "'Japan has worked with IOM for five years,' the ambassador said.",
            ["SO"],
        ),
        ("Norway gives NOK 4 million to a return programme in Morocco. Norway's delegation attended.", ["MA"]),
        # "the Dutch donor" is a donor; "the donor and the Tanzanian government" is no list of donors
        (
            "Liberian officers began a course in Moshi. The chief of mission thanked the Dutch donor and the "
            "Tanzanian government for hosting the centre.",
            ["LR", "TZ"],
        ),
        # a country that pays for work at home is still the subject
        ("The project in Moldova is co-funded by the Government of Moldova.", ["MD"]),
    ],
)
def test_a_donor_is_a_donor_throughout(clf: Classifier, text: str, expected: list[str]) -> None:
    assert codes(clf, text) == expected


def test_a_donor_named_far_more_often_than_any_other_country_is_the_subject(clf: Classifier) -> None:
    text = (
        "A survey on migration in Armenia, made in Yerevan with Armenia's statistics office, was funded by "
        "Armenia's science committee; a chapter compares Georgia."
    )
    assert codes(clf, text) == ["AM", "GE"]
    # named as often as the other country, it is the donor
    assert codes(clf, "Funded by Japan, a centre in Somalia opened; Japan's ambassador spoke.") == ["SO"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a government that does the work with an agency abroad pays for it
        ("Japan and IOM launch a reintegration project for young returnees in Guatemala.", ["GT"]),
        ("The ILO and Switzerland launch a migration project in Dhaka.", ["BD"]),
        # ... its own ministry announcing the work abroad is the same partner
        (
            "Canada and the ILO launch a project for women in Peru; a director of Canada's immigration ministry spoke.",
            ["PE"],
        ),
        # at home, the country is where the work is: named again, or nothing else is
        ("UNHCR and the Government of Honduras signed an agreement in Tegucigalpa.", ["HN"]),
        ("Bangladesh and the ILO sign a reintegration project in Bangladesh; Switzerland pays for it.", ["BD"]),
        # a partner that is a place is no agency; a country after "in" is where an office is
        ("Qatar and the UAE sign a labour agreement for Nepali workers in Kathmandu.", ["AE", "NP", "QA"]),
        ("The ILO country office in Ethiopia and IGAD opened a workshop in Djibouti.", ["DJ", "ET"]),
    ],
)
def test_a_country_beside_an_agency_abroad_is_a_donor(clf: Classifier, text: str, expected: list[str]) -> None:
    assert codes(clf, text) == expected
