"""Trainers' and facilitators' countries, and places given only as examples, are context."""

from __future__ import annotations

import pytest

from publisher.classify import Classifier
from tests.conftest import country_codes

codes = country_codes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the nationality of who taught, after "by"
        ("At the seminar in Skopje the officials were joined by an Italian judge and an Italian prosecutor.", ["MK"]),
        ("Border guards of Moldova took a course led by two Dutch experts.", ["MD"]),
        # a list of who they are, then "as facilitators"
        (
            "The course in Tashkent went ahead with a judge from Serbia and a prosecutor from Israel as facilitators.",
            ["UZ"],
        ),
        ("A workshop in Accra, with a judge of the Supreme Court of Kenya as trainer, opened on Monday.", ["GH"]),
        # observers and guests of a meeting
        ("The meeting in Astana went ahead with Iran as observer and China and the United States as guests.", ["KZ"]),
        # ... said with a verb of taking part, and only the list before the cue back to its one "and"
        (
            "Delegations came from Nepal, India and Pakistan; France and Sweden attended as observers.",
            ["IN", "NP", "PK"],
        ),
        (
            "Twenty countries took part: the sending countries Nepal, India, and Malaysia, Singapore and Korea as "
            "observers.",
            ["IN", "NP"],
        ),
        # places given as examples
        ("A workshop in Dushanbe used case studies from Kyrgyzstan, Albania and Georgia.", ["TJ"]),
        ("Lessons learned from Italy and Spain were shared with officials in Rabat.", ["MA"]),
        # where trainers came from, as a list of organisations, up to the end of the clause
        (
            "A course opened in Jakarta; trainers came from UNODC's maritime crime teams, the US Coast Guard and "
            "the New Zealand High Commission.",
            ["ID"],
        ),
        ("In Dakar, trainers come from IOM's regional office there and its centre in Tanzania.", ["SN"]),
        # a regional meeting's trainers stay context even when the region is what the text is about
        ("A course in Skopje for the Western Balkans was given by Italian experts of the police.", ["MK"]),
    ],
)
def test_trainers_and_examples_are_context(default_classifier: Classifier, text: str, expected: list[str]) -> None:
    assert codes(default_classifier, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # whom a course is for keeps its country
        ("The training for Moldovan judges and prosecutors took place in Chisinau.", ["MD"]),
        ("Moldovan judges were trained by Dutch experts in The Hague.", ["MD", "NL"]),
        # a train-the-trainers course is for the trainers' country
        ("The course, organised with Ghana's police, trained officers from Ghana as trainers.", ["GH"]),
        # the clause of where trainers came from ends at an infinitive: whom they train stays
        ("Trainers came from Austria to train border police of Albania in Tirana.", ["AL"]),
        # the only place left is kept
        ("The seminar heard case studies from Albania.", ["AL"]),
    ],
)
def test_who_is_taught_stays(default_classifier: Classifier, text: str, expected: list[str]) -> None:
    assert codes(default_classifier, text) == expected
