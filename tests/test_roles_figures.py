"""A sentence that gives three or more countries a figure each, or lists three peoples, is a table written as prose:
context, unless the story names them elsewhere or the figures are its own people's moves."""

from __future__ import annotations

import pytest

from publisher.classify import Classifier
from publisher.roles.core import Role, mention_roles
from publisher.roles.figures import figures_roles

LEAD = "Moldova opened a centre that advises people who plan to work abroad. "


def codes(clf: Classifier, text: str) -> list[str]:
    return [t.slug for t in clf.classify(text).countries]


@pytest.mark.parametrize(
    "figures",
    [
        "Applicants had mostly worked in Italy (40 percent), Russia (15 percent) and Spain (7 percent).",
        "At the end of 2015 there were 520,000 in Russia, 113,000 in Kazakhstan and 14,000 in South Korea.",
        "Arrivals by June: Hungary over 731,000, Romania over 613,000 and Slovakia over 484,000.",
        "The bureau counted Oman with 34,140, Qatar with 35,637 and Bahrain with 7,441 workers.",
        "Of the rest, 7,002 went to South Korea, 9,211 to Israel and 8,251 to Japan.",
        # a count of people by nationality
        "Abroad there were 7.7 million Colombians, 4.7 million Afghans and 4.2 million Iraqis.",
        # a list of peoples is the mix of a group, figures or not
        "Its boats found 154 people at sea: Bangladeshis, Egyptians, Pakistanis and Syrians.",
    ],
)
def test_countries_that_only_carry_a_figure_each_are_context(default_classifier: Classifier, figures: str) -> None:
    assert codes(default_classifier, LEAD + figures) == ["MD"]


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        # two figures are a comparison, not a table
        (LEAD + "Most went to Italy (40 percent) and Russia (15 percent).", {"IT", "RU"}),
        # the story's own returns, share by share, are where it happens
        (
            "IOM in Tunisia helped 392 stranded migrants return home: 163 to Burkina Faso, 165 to Mali and 23 to Senegal.",
            {"BF", "ML", "SN"},
        ),
        # the story's own people, counted once before where they went, are a table of their own
        ("A study in Geneva finds 3,522 Uzbeks abroad: 2,183 in Russia, 44 in Kazakhstan and 93 in Korea.", {"UZ"}),
        # a country the story names elsewhere keeps its tag
        (LEAD + "There were 520,000 in Russia, 113,000 in Kazakhstan and 14,000 in Korea. Russia agreed.", {"RU"}),
        # no figures: a plain list of countries
        (LEAD + "The centre signed agreements with Italy, Russia and Spain.", {"IT", "RU", "ES"}),
    ],
)
def test_a_comparison_the_story_s_own_moves_and_plain_lists_stay(
    default_classifier: Classifier, text: str, kept: set[str]
) -> None:
    assert kept <= set(codes(default_classifier, text))


@pytest.mark.parametrize(
    "text",
    [
        # the passengers of the story's own flight
        "A charter flight left Tripoli for Bamako with 153 migrants: 52 Malians, 12 Senegalese and 30 Ivorians.",
        # a list of peoples that is whom the work is for
        "A course in Chisinau trains Ukrainians, Georgians and Armenians.",
    ],
)
def test_the_story_s_own_people_are_no_table(default_classifier: Classifier, text: str) -> None:
    matches = default_classifier._gazetteer.find(text)
    roles = mention_roles(text, matches)
    assert figures_roles(text, matches, roles) == roles


def test_a_table_of_peoples_is_background(default_classifier: Classifier) -> None:
    table = "Abroad there were 52,000 Malians, 12,000 Senegalese and 30,000 Ivorians."
    matches = default_classifier._gazetteer.find(table)
    assert set(figures_roles(table, matches, mention_roles(table, matches))) == {Role.BACKGROUND}
