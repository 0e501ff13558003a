"""Cue phrases of context roles: who pays, signs, serves abroad, is deported from, wants to reach a place."""

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
        ("The border project in Moldova runs with money from the Government of Italy.", ["MD"]),
        ("Zimbabwe has received 18,000 people, including deportees from Eswatini and Lesotho.", ["ZW"]),
        ("The second phase was launched in Dhaka; the deputy director signed for Switzerland.", ["BD"]),
        ("In Albania, border guards from Austria, Croatia and Slovenia will serve alongside local officers.", ["AL"]),
        (
            "The new chief of mission for Benin, formerly head of IOM in Guinea, will work from her residence in "
            "Accra; she served in Senegal, Niger and Norway.",
            ["BJ"],
        ),
        ("Many migrants stranded in Yemen had hoped to reach Saudi Arabia.", ["YE"]),
        ("The people crossing Panama are mostly men seeking work in Mexico and the United States.", ["PA"]),
        # going back is a return, whose destination is a subject; going on is a destination
        ("In Pakistan, IOM counted undocumented migrants going back to Afghanistan.", ["AF", "PK"]),
        ("In Pakistan, IOM counted undocumented migrants going on to Iran.", ["PK"]),
        # a region's adjective inside an agency's name does not make the text about that region, so guards
        # from its countries stay contributors
        (
            "The operation in Albania is the first of the European Border and Coast Guard outside the Union: "
            "border guards from Austria, Croatia and Slovenia will serve there.",
            ["AL"],
        ),
    ],
)
def test_context_cues(clf: Classifier, text: str, expected: list[str]) -> None:
    assert codes(clf, text) == expected


def test_a_regional_meeting_still_makes_its_attendees_subjects(clf: Classifier) -> None:
    text = "A conference on the Western Balkans brought together experts from Albania, Montenegro and Serbia."
    assert codes(clf, text) == ["AL", "ME", "RS"]
