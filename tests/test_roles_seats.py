"""Datelines and the seat of whoever speaks are context; places migration news names without their country."""

from __future__ import annotations

import pytest

from publisher.classify import Classifier
from tests.conftest import country_codes

codes = country_codes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a dateline: the city (and country) before the dash says where the press office is
        ("STRASBOURG, 13 September 2012 – The experts met officials in Chisinau on trafficking.", ["MD"]),
        ("TUNIS, Tunisia – The bank approved a loan for jobs for young people in Mauritania.", ["MR"]),
        ("Sarajevo/Geneva – UNHCR welcomed the asylum law adopted by Albania.", ["AL"]),
        ("Nairobi (Kenya), 7 September 2020 – UNODC signed an agreement with Ethiopia.", ["ET"]),
        ("Damascus/Beirut, 3 May 2019 (UNHCR) – Few refugees returned to Syria this year.", ["SY"]),
        # ... or a colon: "GENEVA: IOM warns", "Geneva/N'Djamena: Up to 20,000 people"
        ("GENEVA: IOM warns that a crisis is unfolding in Yemen and Djibouti.", ["DJ", "YE"]),
        ("London: IOM said it helped 167 stranded migrants home from Libya.", ["LY"]),
        # a city naming a regional office
        ("The Director of IOM's Vienna regional office visited Bishkek and Osh.", ["KG"]),
        # a city alone before a full stop
        ("Berlin. Many of the nurses placed come from Serbia.", ["RS"]),
        # in the body after a title, too
        ("New asylum law\n\nGENEVA (5 March 2019) – The agency praised the law passed in Ecuador.", ["EC"]),
        # the seat of an organisation or of its spokesperson
        ("The agency trained officers in Accra, Ghana. It is headquartered in Vienna.", ["GH"]),
        ("Officers in Ghana were trained. The agency, with a mission in Brussels, runs it.", ["GH"]),
        ('"We are concerned," said a UNHCR spokesman in Geneva about pushbacks at the border of Greece.', ["GR"]),
        ("The figures were given at a press briefing in Geneva on returns to Afghanistan.", ["AF"]),
        ("The Geneva-based agency trained border police in Albania.", ["AL"]),
    ],
)
def test_datelines_and_seats_are_context(default_classifier: Classifier, text: str, expected: list[str]) -> None:
    assert codes(default_classifier, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the only place left is kept: a dateline that is the venue
        ("KYIV, 3 May – The agency delivered equipment to the border guards.", ["UA"]),
        # named again in the body as the place of action: kept
        ("TUNIS, 28 November – The Ministry of Interior of Tunisia hosted a conference on borders.", ["TN"]),
        # a spokesperson in a field office speaks where the story is
        ("About 380,000 refugees returned to Afghanistan, a UNHCR spokesman in Peshawar said.", ["AF", "PK"]),
        # a headline about two countries is no dateline: it starts with a country, not a city
        ("Moldova – Ukraine: a new joint border crossing point was opened.", ["MD", "UA"]),
        # a dash later in a sentence is no dateline, and a venue stays a subject
        ("The conference in Geneva – the first of its kind – gathered officials from Nigeria.", ["CH", "NG"]),
        # a city alone inside a paragraph is no dateline; at its start, if it is the only place, it is kept
        ("Officials met in Kyiv. Tunis. The next round goes there.", ["TN", "UA"]),
        ("Kyiv. The agency delivered equipment to the border guards.", ["UA"]),
        ("Kyiv: the agency delivered equipment to the border guards.", ["UA"]),
        # a colon dateline of a field office is where the story is
        ("Athens: Close to 8,000 migrants have returned home to Pakistan and Iraq.", ["GR", "IQ", "PK"]),
        # a colon inside a sentence after a city is no dateline
        ("Officials met in Chisinau and Odesa: Two crossings reopened.", ["MD", "UA"]),
        # a city in lower-case prose before a dash is no dateline
        ("Training in Skopje and in the rest of the country – a first – reached 40 officers.", ["MK"]),
    ],
)
def test_what_is_no_dateline_or_seat_stays(default_classifier: Classifier, text: str, expected: list[str]) -> None:
    assert codes(default_classifier, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Families in El Geneina in West Darfur received emergency shelter.", ["SD"]),
        ("The delegation visited the development agency in Berne.", ["CH"]),
        ("Volunteers in Danlí, south-east of Tegucigalpa, handed out water.", ["HN"]),
        ("Rohingya refugees in Cox's Bazar face cuts in food rations.", ["BD"]),
        ("The migrants crossed the Darién jungle on foot.", ["PA"]),
        ("The officials met counterparts in Washington, D.C. and in Quito.", ["EC", "US"]),
    ],
)
def test_places_named_without_their_country(default_classifier: Classifier, text: str, expected: list[str]) -> None:
    assert codes(default_classifier, text) == expected


def test_washington_alone_is_no_place(default_classifier: Classifier) -> None:
    # a surname and a US state as often as the capital: only "Washington, D.C." and its spellings count
    assert codes(default_classifier, "Ms Washington of the agency opened the office in Lima.") == ["PE"]
