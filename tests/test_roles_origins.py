"""Tests for origin lists: where the people a story counts come from is context when the text acts elsewhere."""

from __future__ import annotations

import pytest

from publisher.classify import Classifier
from tests.conftest import country_codes

codes = country_codes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a share of the people counted, and where they came from
        ("Over 1,200 people drowned off Libya last year, many of them from Sudan, Chad and the Gambia.", ["LY"]),
        ("The shelter in Tunisia took in 300 migrants, most of whom were nationals of Guinea and Mali.", ["TN"]),
        ("Of the 4,000 people who reached Cyprus by boat, half came from Syria and Lebanon.", ["CY"]),
        # a nationality with a noun of its own is an item of the list too
        ("Some 900 people died off Greece, many of them from Iraq, the Palestinian territories and Yemen.", ["GR"]),
        ("Boats reached Greece, most from Egypt, the occupied Palestinian territory, Sudan and Libya.", ["GR"]),
        # mostly / mainly, before a place or before a nationality
        ("Reception centres in Malta are full with arrivals, mostly from Bangladesh and Egypt.", ["MT"]),
        ("A boat carrying 60 mostly Senegalese passengers was rescued off Mauritania.", ["MR"]),
        # the main nationalities, the top countries of origin
        ("Border guards in Poland recorded 9,000 crossings; the main nationalities were Iraqis and Yemenis.", ["PL"]),
        ("In Italy the top countries of origin of new arrivals were Tunisia, Egypt and Pakistan.", ["IT"]),
        # a breakdown of the people counted, a count before each nationality (the list starts at the first count)
        ("Among the 669 who reached Assamaka in Niger were 286 Malians, 166 Guineans and 37 Burkinabè.", ["NE"]),
        (
            "They were turned back by Algeria, officials said; in Niger, the 669 were 286 Malians, 166 Guineans and "
            "37 Burkinabè.",
            ["DZ", "NE"],
        ),
        ("Border guards in Poland detained 62 people: 50 Iraqis, 11 Iranians and one Cameroonian.", ["PL"]),
        (
            "Kenya hosted 586,224 refugees, among them 422,591 from Somalia, 92,317 from South Sudan and 6,707 from Burundi.",
            ["KE"],
        ),
        # ... but the passengers of a flight home are where it goes
        (
            "A voluntary return flight left Tripoli in Libya with 52 Malians, 12 Senegalese and 17 Guineans.",
            ["GN", "LY", "ML", "SN"],
        ),
        # ... with a figure after each, and said again
        ("Claims in Malta rose; most of them came from Afghanistan (453), Pakistan (395) and Syria (104).", ["MT"]),
        ("Claims in Austria fell; the main countries of origin were again Syria (631), Iran (189) and Iraq.", ["AT"]),
        ("Asylum claims in Belgium rose; nationalities such as Eritreans and Somalis topped the list.", ["BE"]),
        # arrivals from a list, people fleeing a list
        ("Arrivals from Venezuela, Haiti and Cuba strained shelters in Costa Rica.", ["CR"]),
        ("The camp in Uganda hosts people fleeing South Sudan and the Congo.", ["UG"]),
        ("Schools in Moldova enrolled children who fled the war in Ukraine.", ["MD"]),
        # refugees from a country, a nationality of refugees or migrants, people who left it, a war in passing
        ("Equipment helps Moldova respond to the arrival of refugees from Ukraine.", ["MD"]),
        ("Judges in Chisinau study the rights of people displaced from Ukraine.", ["MD"]),
        ("An online course guides Syrian refugees in Jordan through labour law.", ["JO"]),
        ("The ILO helps Venezuelan migrants and refugees in Ecuador and Peru.", ["EC", "PE"]),
        ("By March some 3.7 million people had left Venezuela; Colombia hosts most of them.", ["CO"]),
        ("Since the war in Ukraine began, the border police of Moldova got new vehicles.", ["MD"]),
        ("Schools in Poland enrolled children who fled the invasion of Ukraine.", ["PL"]),
        ("The platform for refugees and migrants from Venezuela presented its plan in Quito.", ["EC"]),
        # nationals counted where they are, in another country or in the host the text is about
        ("The platform counts 508,935 Venezuelans in Ecuador.", ["EC"]),
        ("Ecuador gave the Venezuelans who remain on its territory access to schools.", ["EC"]),
        ("The agency deploys to Bulgaria as over 530,000 Ukrainians enter the country.", ["BG"]),
        # after the list: a nationality's share, a country's rank as an origin
        ("Germany registered 90,000 first-time applicants. Syrians, Afghans and Iraqis accounted for half.", ["DE"]),
        ("Spain's Canary Islands saw record landings; Mali was again the top country of origin.", ["ES"]),
    ],
)
def test_origin_lists_are_context(default_classifier: Classifier, text: str, expected: list[str]) -> None:
    assert codes(default_classifier, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the country the text acts in is named as a subject too: it stays, the others go
        ("In Niger, migrants mostly from Mali and Guinea were helped to return home to Guinea.", ["GN", "NE"]),
        ("Food aid in Syria reached 80,000 people, many of them from Syria and Iraq.", ["SY"]),
        ("Syrian refugees from Lebanon went home to Syria, where aid reached them in Homs.", ["SY"]),
        # nationals who come home, or go abroad, are whom the text is for
        ("More than 3,300 Gambians have returned from Libya since 2017.", ["GM"]),
        ("In the first quarter, 3,522 Uzbeks found jobs abroad through organised channels.", ["UZ"]),
        # the origin list is all the text has: it is kept (nothing else is left)
        ("Arrivals from Syria, Afghanistan and Iraq rose in the first quarter.", ["AF", "IQ", "SY"]),
        ("Most of them came from Eritrea and Somalia, the survivors said.", ["ER", "SO"]),
        ("Syrians and Afghans accounted for most of the new claims.", ["AF", "SY"]),
        # a dialogue of states that lists its countries of origin names its members, not migrants' origins
        ("The countries of origin are Nepal and Bangladesh; they met in Kuwait.", ["BD", "KW", "NP"]),
        ("Mauritania is a country of origin and of transit; the project works in Senegal.", ["MR", "SN"]),
        # commas alone make no list: the country after the comma is a subject of its own
        ("Boats kept arriving, many of them from Syria, Lebanon opened two more shelters.", ["LB"]),
        # a bare 'mostly' before a country is no origin list ("the programme covers, mostly, A and B")
        ("The programme covers the Sahel, mainly Niger and Chad.", ["NE", "TD"]),
        # a country that accounts for a share is where things happen; only nationalities account for origins
        ("Greece accounted for most arrivals by sea, Italy for the rest.", ["GR", "IT"]),
    ],
)
def test_origin_lists_kept_when_they_are_the_subject(
    default_classifier: Classifier, text: str, expected: list[str]
) -> None:
    assert codes(default_classifier, text) == expected
