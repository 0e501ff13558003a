"""A country's name or demonym inside a currency's name is no mention of that country."""

from __future__ import annotations

from pathlib import Path

import pytest

from publisher.classify import Classifier
from publisher.config import config_from_dict


@pytest.fixture(scope="module")
def clf() -> Classifier:
    return Classifier(config_from_dict({}, root=Path(".")).taxonomy)


@pytest.mark.parametrize(
    "text",
    [
        "Two million US dollars will help returnees in Sudan.",
        "The fund pays USD 2 million to returnees in Sudan.",
        "A grant of US$ 3 million helps returnees in Sudan.",
        "A grant of 500,000 Swiss francs helps returnees in Sudan.",
        "Donations in Canadian dollars and Japanese yen help returnees in Sudan.",
        "A Swiss-franc loan helps returnees in Sudan.",
        "Remittances of 40 billion Indian rupees and Kenyan shillings reached Sudan.",
        "Prices in United States dollars rose for returnees in Sudan.",
    ],
)
def test_a_currency_names_no_country(clf: Classifier, text: str) -> None:
    assert [t.slug for t in clf.classify(text).countries] == ["SD"]
    assert clf.countries_in(text) == ["SD"]


def test_the_country_itself_is_still_found(clf: Classifier) -> None:
    text = "Talks in Switzerland and the United States set prices in US dollars."
    assert [t.slug for t in clf.classify(text).countries] == ["CH", "US"]
    # a currency alone is not the story's place, even when nothing else is named
    assert [t.slug for t in clf.classify("The loan was paid in Swiss francs.").countries] == []
