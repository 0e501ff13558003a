"""Drop country names and demonyms that only name a currency ("two million US dollars", "Swiss francs")."""

from __future__ import annotations

import re
from collections.abc import Sequence

from publisher.gazetteer import PlaceMatch

# Currency units written after a country's name or demonym. Units that are also ordinary English words after
# a demonym ("Brazilian real estate", "the Peruvian sol", "Korean won the vote") are left out, except "reais".
_UNITS = (
    r"dollars?|francs?|yen|yuan|renminbi|pounds?(?:\s+sterling)?|sterling|rupees?|rupiahs?|dinars?|dirhams?"
    r"|riyals?|rials?|liras?|lira|lire|pesos?|shillings?|rand|kron(?:a|or|e|er)|korun[ay]|roubles?|rubles?"
    r"|naira|cedis?|birr|taka|afghanis?|tenge|manats?|lari|drams?|leks?|lek[eë]|denars?|denari|lei|leu"
    r"|hryvni?as?|zloty(?:s|ch)?|forints?|somoni|som|soms|kwachas?|kwanzas?|dalasis?|leones?|ouguiyas?"
    r"|ariary|baht|dong|ringgits?|reais|pula|maloti|loti|emalangeni|lilangeni|nakfa|riels?|kip|kyats?"
    r"|ngultrum|rufiyaa|quetzal(?:es|s)?|lempiras?|balboas?|guaran[ií]s?|euros?"
)
# Right after the name: "US dollars", "US$", "Swiss-franc loans", "Kenyan shillings".
_CURRENCY_AFTER = re.compile(r"(?:\s?\$|[\s-]+(?:" + _UNITS + r")\b)", re.IGNORECASE)


def drop_currencies(text: str, matches: Sequence[PlaceMatch]) -> list[PlaceMatch]:
    """`matches` without the country mentions that are part of a currency's name: an amount paid in US
    dollars says nothing about the United States. Region aliases are kept ("West African CFA francs" is
    still about West Africa's money, and names no one country)."""
    return [m for m in matches if m.code is None or _CURRENCY_AFTER.match(text, m.end) is None]
