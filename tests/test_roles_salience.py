"""A country named once, late in a story whose lead names another, is background (the inverted pyramid)."""

from __future__ import annotations

import pytest

from publisher.classify import Classifier
from publisher.text import sentence_starts

LEAD = (
    "Border guards of Moldova finished a course on document checks. The course ran for two weeks in Chisinau. "
    "Trainers came from the national police academy. "
)


def codes(clf: Classifier, text: str) -> list[str]:
    return [t.slug for t in clf.classify(text).countries]


def test_a_country_named_once_from_the_fourth_sentence_on_is_background(default_classifier: Classifier) -> None:
    text = LEAD + "The academy also works with the police of Armenia."
    assert codes(default_classifier, text) == ["MD"]


@pytest.mark.parametrize(
    "text",
    [
        # named twice: the story comes back to it
        LEAD + "A similar course will follow in Armenia. Armenia asked for it.",
        # in the third sentence: still the lead's story
        "Border guards of Moldova finished a course. It ran in Chisinau and in Armenia. Trainers were local. Fine.",
        # the lead names no other country: nothing to set it against
        "Border guards finished a course. It ran for two weeks. Trainers came from the academy. It was in Armenia.",
    ],
)
def test_a_country_named_twice_early_or_alone_stays(default_classifier: Classifier, text: str) -> None:
    assert "AM" in codes(default_classifier, text)


def test_a_headline_is_not_counted_as_a_body_sentence(default_classifier: Classifier) -> None:
    text = "Moldovan guards trained\n\nBorder guards finished a course. It ran in Chisinau. Trainers came. Armenia too."
    assert "AM" not in codes(default_classifier, text)
    shorter = "Moldovan guards trained\n\nBorder guards finished a course. It ran in Chisinau. Armenia joined."
    assert "AM" in codes(default_classifier, shorter)


def test_initials_and_abbreviations_do_not_end_a_sentence() -> None:
    assert len(sentence_starts("Mr. Smith met John F. Kennedy. Then he left.")) == 2
    assert len(sentence_starts("It ended. “Next”, he said. (Later) it began.")) == 3
