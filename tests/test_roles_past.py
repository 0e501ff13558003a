"""The venues of earlier events, dated to a year before the text's own, are background."""

from __future__ import annotations

import datetime as dt

import pytest

from publisher.classify import Classifier

ON = dt.date(2018, 3, 1)


def codes(clf: Classifier, text: str, on: dt.date | None = ON) -> list[str]:
    return [t.slug for t in clf.classify(text, on).countries]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nepal, which took over the chair in Geneva in March 2017, hosts the meeting in Kathmandu.", ["NP"]),
        ("The dialogue first met in Brussels in April 2008; this year's round is in Colombo.", ["LK"]),
        (
            "Since the founding consultation in Manila in 2003, ministers have met every two years; Dhaka hosts now.",
            ["BD"],
        ),
        # a country, as where something took place, set against another of the same sentence
        ("IOM first used the campaign in Ukraine in 2014 before bringing it to Georgia.", ["GE"]),
        ("Frontex now works in Montenegro, and its first operation began in Albania last year.", ["ME"]),
    ],
)
def test_earlier_venues_are_background(default_classifier: Classifier, text: str, expected: list[str]) -> None:
    assert codes(default_classifier, text) == expected


@pytest.mark.parametrize(
    ("text", "expected", "on"),
    [
        # this year's date, or a month without a year, may be this story's own event
        ("The meeting in Geneva in March 2018 agreed on a plan; Nepal chairs.", ["CH", "NP"], ON),
        ("The meeting in Geneva in March agreed on a plan; Nepal chairs.", ["CH", "NP"], ON),
        # without the text's date nothing is earlier
        ("Nepal took over the chair in Geneva in March 2017.", ["CH", "NP"], None),
        # the only place left is kept
        ("The consultation met in Manila in 2003.", ["PH"], ON),
        # alone in its sentence, a dated country is the history of the story's own country
        ("Germany runs the points. The first point opened in Kosovo in April 2015.", ["DE", "XK"], ON),
        ("Kosovo in 2015 had no such point; Albania now has one.", ["AL", "XK"], ON),
    ],
)
def test_what_is_not_an_earlier_venue_stays(
    default_classifier: Classifier, text: str, expected: list[str], on: dt.date | None
) -> None:
    assert codes(default_classifier, text, on) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Serbia initialled the agreement, the third after Albania in February and the former Yugoslav Republic of "
            "Macedonia in July.",
            ["RS"],
        ),
        ("Serbia signed today, while talks with Montenegro and Bosnia and Herzegovina continue.", ["RS"]),
        # alone, or talks that are the story, stay
        ("Talks with Montenegro continue.", ["ME"]),
        ("Serbia held talks with Montenegro on border crossings.", ["ME", "RS"]),
    ],
)
def test_other_instances_are_background(default_classifier: Classifier, text: str, expected: list[str]) -> None:
    assert codes(default_classifier, text) == expected
