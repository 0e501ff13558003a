"""Decide what each place mention does in its sentence: the subject of the story, or context around it."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from enum import StrEnum

from publisher.casefold import lower_for_patterns, lowered
from publisher.gazetteer import PlaceMatch
from publisher.roles.cues import CUE_ROLE, MIGRANT_WINDOW, MIGRANT_WORD, find_cues
from publisher.roles.lists import is_list_gap, item_start, list_size, lists_of


class Role(StrEnum):
    """What a country mention does; only SUBJECT mentions make a country tag, unless none is (see FALLBACK)."""

    SUBJECT = "subject"  # where the action happens or whom it is for
    NAMED = "named"  # inside a proper name: "Vienna Migration Conference", "DCAF Ljubljana", "Osh province of"
    ATTENDEE = "attendee"  # among the participants ("delegates from Hungary, Malta and ...")
    ACTOR = "actor"  # a foreign institution at work ("the Danish Refugee Council", "the ambassador of Spain")
    BACKGROUND = "background"  # where an office is, where a story's migrants live or work abroad
    DESTINATION = "destination"  # where migrants go, named in passing
    DONOR = "donor"  # who pays ("funded by the German government")
    LANGUAGE = "language"  # a language, not a country ("courses in English and Russian")


# When no mention is a subject, the countries of the first role here that occurs are kept: an event's
# venue says more about a story than the people at it, and they more than whoever paid. A language never.
FALLBACK = (Role.NAMED, Role.ATTENDEE, Role.ACTOR, Role.BACKGROUND, Role.DESTINATION, Role.DONOR)


def _words(block: str) -> list[str]:
    """The words of a block of text: long word lists read better written as prose."""
    return block.split()


_INSTITUTION = re.compile(
    r"\b(?:Ministry|Ministries|Service|Police|Guard|Border|Interior|Committee|Directorate|Department|Authority"
    r"|Authorities|Agency|Office|Council|Commission|Centre|Center|Institute|University|Municipality)\b"
)
_SENTENCE_END = re.compile(r"(?:[.!?;:](?=\s)|\n)")
_BEFORE = 160  # how far back a cue may be (characters), inside the same sentence

# Right after the mention (or after the rest of its list: "Netherlands and Germany fund ...").
_AFTER: tuple[tuple[Role, re.Pattern[str]], ...] = (
    (
        Role.DONOR,
        re.compile(
            r"(?:[-‐]|\s+(?:has\s+|have\s+)?)?(?:funded|financed|sponsored)\b|[-‐](?:supported|backed)\b"
            r"|(?:’s|'s)?\s+(?:government(?:’s|'s)?\s+)?"
            r"(?:funding|financial\s+support|financing|contribution|donation|grants?|donors?|money)\b"
            r"|\s+(?:government\s+)?(?:will\s+|to\s+)?(?:fund|funds|finance|finances|co-?funds?|donates?|donated"
            r"|pays?\s+for|paid\s+for)\b"
            r"|\s+backs\b"  # "Switzerland backs safer labour migration towards Kazakhstan"
            # "Norway pays part of its running costs", "Japan will cover the costs of the training"
            r"|\s+(?:(?:will|also)\s+)?(?:pays?|paid|covers?|covered|meets?)\s+(?:(?:part|most|half|all)\s+of\s+)?"
            r"(?:the|its|their)\s+(?:[\w-]+\s+){0,2}?costs?\b"
            # "The Kingdom of the Netherlands supported the trainings"
            r"|\s+(?:has\s+|have\s+)?supported\s+(?:the|this|these|its|their)\s+(?:[\w-]+\s+){0,2}?(?:trainings?"
            r"|courses?|projects?|programmes?|workshops?|activities|initiative|events?|seminars?)\b"
            # "the Netherlands will give EUR 4 million and Germany EUR 6 million"
            r"|\s+(?:(?:will|has|have|is|are)\s+)?(?:(?:give[sn]?|gave|giving|provide[sd]?|providing|pledge[sd]?"
            r"|pledging|contribute[sd]?|contributing|allocate[sd]?|donate[sd]?|invest(?:s|ed|ing)?)\s+)?"
            r"(?:up\s+to\s+|about\s+|some\s+|over\s+|more\s+than\s+|nearly\s+|almost\s+)?"
            r"(?:EUR|USD|CHF|GBP|NOK|SEK|DKK|CAD|US|€|\$|£)\s?\$?\s?\d",
            re.IGNORECASE,
        ),
    ),
    # who gives money to whom: "Japan is giving Mauritania three million US dollars", "the German government
    # grants UNDP just over six million euros"; "Germany's support to ..." is its aid
    (
        Role.DONOR,
        re.compile(
            r"(?:\s+government)?\s+(?:(?:will|has|have|is|are|was)\s+)?(?:give[sn]?|gave|giving|grants?|granted"
            r"|granting|provide[sd]?|providing|pledge[sd]?|pledging|donate[sd]?|donating|allocate[sd]?|allocating)"
            r"\s+(?:(?:[A-Z][\w-]*|the|its|their|a\s+further|another)\s+){0,4}?"
            r"(?:(?:just\s+)?(?:over|about|some|nearly|almost|more\s+than|up\s+to)\s+)?"
            r"(?:(?:EUR|USD|CHF|GBP|US|€|\$|£)\s?\$?\s?\d|(?:\d[\d.,]*|one|two|three|four|five|six|seven|eight|nine|ten"
            r"|twelve|fifteen|twenty|fifty|a|half\s+a)\s+(?:million|billion|thousand)\b)"
            r"|(?:’s|'s)\s+(?:continued\s+|generous\s+|financial\s+and\s+technical\s+)?support\s+(?:to|for)\b"
            # a pledge list without its verb: "the EU 50 million euros, France 8 million euros and ..." (the next
            # item must follow: "has given Morocco 32.3 million euros to ..." names the recipient)
            r"|\s+\d[\d.,]*\s+(?:million|billion)\s+(?:euros|dollars|francs|pounds|yen)"
            r"(?=\s*(?:,|and)\s+(?:the\s+)?[A-Z])"
        ),
    ),
    # who gives things: "Germany gives virtual reality welding machines to ...", "Japan hands (over) patrol boats";
    # the goods say it is a gift (a state that "gives legal status" or "provides shelter" acts at home)
    (
        Role.DONOR,
        re.compile(
            r"(?:(?:’s|'s)\s+government|\s+government)?\s+(?:(?:will|has|have|is|are|was|had)\s+)?(?:donate[sd]?|donating"
            r"|give[sn]?|gave|giving|hand(?:s|ed)?(?:\s+over)?|handing\s+over|deliver(?:s|ed)?|delivering|provide[sd]?"
            r"|providing)\s+(?:[\w-]+\s+){0,5}?(?:equipment|vehicles?|cars|trucks|motorcycles|motorbikes|boats|vessels"
            r"|drones|computers|laptops|tablets|servers|scanners|machines|generators|ambulances|uniforms|furniture"
            r"|devices|cameras|kits)\b",
            re.IGNORECASE,
        ),
    ),
    # after an organisation's name that starts with the place: "the US Bureau of ... Affairs paid for it"
    # ... or after its possessive, an acronym in brackets: "which Switzerland's State Secretariat for Migration
    # (SEM) funds"; or after an apposition: "Japan, an OSCE Partner for Co-operation, paid for the project"
    (
        Role.DONOR,
        re.compile(
            r"(?:(?:’s|'s)?\s+[A-Z][\w’'-]*(?:,?\s+(?:[A-Z][\w’'-]*|of|and|for|on|the|&))*?(?:\s+\([A-Z]{2,}\))?"
            r"|,\s+(?:an?|the|its|one)\s+[^,.;:()]{1,45},)\s+(?:(?:has|have)\s+)?"
            # "the programme, paid for with Swiss money" is what is paid for, not who pays
            r"(?:paid\s+for|pays\s+for|funds|funded|financed|finances|sponsored|sponsors)\b"
            r"(?!\s+(?:with|by|through|from|out\s+of|under)\b)"
        ),
    ),
    (
        Role.ACTOR,
        re.compile(
            r"(?:’s|'s)?\s+(?:(?:federal|national)\s+)?(?:development\s+minist\w+|foreign\s+minist\w+"
            r"|minist\w+\s+(?:of|for)\s+foreign\s+affairs|(?:federal\s+)?foreign\s+office|embass(?:y|ies)"
            r"|ambassadors?|consulates?|development\s+agency|agency\s+for\s+(?:international\s+)?development"
            r"|development\s+cooperation|cooperation\s+(?:agency|office)|red\s+cross|red\s+crescent|refugee\s+council"
            r"|council\s+for\s+refugees|special\s+initiative|aid\s+(?:agency|programme|program)|development\s+bank"
            r"|high\s+commission(?:er)?|(?:federal\s+)?office\s+for\s+\w+"
            r"|institute\s+(?:for|of)\s+\w+|foundation"
            # the press that reports a story ("a Montenegrin daily reports") is not where it happens
            r"|dail(?:y|ies)|newspapers?|weekly|broadcaster|news\s+(?:site|agency|portal|outlet|channel)"
            r"|(?:tv|television)\s+(?:channel|station|news))\b",
            re.IGNORECASE,
        ),
    ),
    (
        Role.DESTINATION,
        re.compile(r"\s+(?:is|was|remains|remained|has\s+become|became)\s+(?:\w+\s+){0,3}?destinations?\b"),
    ),
    # "the Osh, Batken and Jalalabad provinces of Kyrgyzstan": the country is the one named next.
    (Role.NAMED, re.compile(r"\s+(?:provinces?|regions?|districts?|oblasts?|governorates?)\s+of\b")),
)
# The same in lower case (lower_for_patterns): those compiled with IGNORECASE, lowered, are matched against it.
_AFTER_LOW = tuple((role, lowered(p), True) if p.flags & re.IGNORECASE else (role, p, False) for role, p in _AFTER)
# A city followed by words in capitals ending in one of these is the name of an event or process.
_EVENT_AFTER = re.compile(
    r"(?:[\s-]+(?:[A-Z][\w’'-]*|on|of|for|and|&|\d{4}))*?[\s-]+(?:Process|Conference|Declaration|Action\s+Plan"
    r"|Plan|Dialogue|Summit|Forum|Agenda|Convention|Protocol|Compact|Commitments?|Charter|Principles|Meeting"
    r"|Talks|Consultations|Platform|Initiative|Statement|Accords?|Agreement|Group|Ministerial(?:\s+Council)?)\b",
)
# An opening quote before the mention and a closing one after, on the same line and not far: a title.
_QUOTE_OPEN = re.compile(r"[“‘\"](?:[A-Z][^“”‘\"\n]{0,100})?$")
_QUOTE_CLOSE = re.compile(r"[^“”\"\n]{0,60}[”’\"]")
# Words that a title leaves in lower case; any other word in lower case makes a quote speech, not a title.
_TITLE_SMALL = frozenset(_words("a an and as at by for from in into of on or the to with"))


def _is_title(quoted: str) -> bool:
    words = re.findall(r"[^\W\d_][\w’'-]*", quoted)
    return bool(words) and all(w[0].isupper() or w in _TITLE_SMALL for w in words)


# A country joined by a hyphen to another party and followed by an instrument's name: "the EU-Turkey Statement".
_PARTY_BEFORE = re.compile(r"\b(?:[A-Z]{2,}|[A-Z][a-z]+)[-‐–]$")
_PARTY_AFTER = re.compile(r"[-‐–](?:[A-Z]{2,}|[A-Z][a-z]+)\b")
# A country's name inside the name of a lake, gulf, sea or bay: "the Lake Chad region", "the Gulf of Guinea".
_WATER_BEFORE = re.compile(r"\b(?:Lake|(?:Gulf|Sea|Bay)\s+of(?:\s+the)?)\s+$")
# A landmark that says where a place lies: "Fiji, 1,800 miles east of Australia", "a boat 30 nautical miles south
# of Lampedusa". The place it locates is the story's; the landmark is background.
_LANDMARK_BEFORE = re.compile(
    r"\b(?:miles|kilometres|kilometers|km)\s+(?:[a-z-]+\s+)?(?:north|south|east|west)(?:-?(?:east|west))?\s+of\s+"
    r"(?:the\s+)?$"
)
# A demonym that names a word of a language: "'Ura', the Albanian word for bridge".
_WORD_OF_LANGUAGE = re.compile(r"\s+(?:words?|terms?|expressions?|phrases?)\s+(?:for|meaning)\b")
# A nationality qualifying an institution at work: "the Spanish National Police", "the French agency CIVIPOL",
# "the Italian NGO CISP".
# (The subject's own institutions are named so too, but a text about them names the country elsewhere.)
_NATIONALITY_AT_WORK = re.compile(
    r"(?:\s+(?:[A-Z][\w-]*|national|federal|partner))*\s+(?i:police|gendarmerie|agency|agencies|side|unit|experts"
    r"|specialists|cooperation|NGOs?|non-governmental|charit(?:y|ies)|partners?|universit(?:y|ies)|foundations?"
    r"|professionals|bodies|institutions|counterparts|presidency|invasion|aggression|occupation|mission|customs"
    r"|administrations?)\b"
    # what a state does abroad: "German support for Venezuelans in Peru", "a German response in Colombia", "the
    # German host-communities programme"
    r"|(?:\s+[a-z][\w-]*){0,2}?\s+(?:support|response|programmes?|aid|assistance|funding)\s+(?:for|in|to)\b"
)
# A country's short form used as an adjective for its state at work: "US diplomats", "the UK Home Office", "the
# US Government Accountability Office" (its own people and places are named otherwise: "Americans", "Texas").
_ABBREVIATION = re.compile(r"[A-Z](?:\.?[A-Z]){1,3}\.?")
_STATE_AT_WORK = re.compile(
    r"(?:\s+[A-Z][\w-]*)*\s+(?i:diplomats?|senators?|congress\w*|officials|government|administration|bureau"
    r"|department|embassy|ambassador|envoy|agency|office|ministry|troops?|forces|military|army|soldiers)\b"
)
# A neighbour's border that says where a place is: "near Bihać, close to the Croatian border" (its border
# police or crossing points are that country at work, and stay).
_BORDER_AFTER = re.compile(
    r"\s+borders?\b(?!\s+(?:police|guards?|services?|agency|agencies|management|crossings?|control|officials|officers"
    r"|authorities|security|forces|posts?|points?|troops))"
)
_NEAR_BEFORE = re.compile(r"\b(?:near|close\s+to|towards|along|across|on|at|to|from)\s+the\s+$", re.IGNORECASE)
# An organisation's acronym right before a city names its office there ("DCAF Ljubljana", "IOM Kyiv").
_ACRONYM_BEFORE = re.compile(r"\b[A-Z]{2,}\s+$")
# An institution named after its city: "the Peace Research Institute Oslo", "the University of Nairobi".
_INSTITUTION_BEFORE = re.compile(r"\b(?:Institute|University|College|School|Academy|Foundation)(?:\s+of)?\s+$")
_UNIVERSITY_OF = re.compile(r"\bUniversity\s+of\s+(?:the\s+)?$")
_A_NATIONAL = re.compile(r"\b(?:an?|one)\s+$", re.IGNORECASE)
_SUPPORT_AFTER = re.compile(r"\s+(?:financial\s+|technical\s+)?(?:support|backing|funding|funds|money)\b")
_WITH_BEFORE = re.compile(r"\b(?:with|thanks\s+to|through)\s+(?:the\s+)?(?:generous\s+)?$", re.IGNORECASE)
# What a country produces, said by its adjective, is where the goods come from: "the smuggling of Afghan opiates
# along the northern route", "Afghan heroin exports". A region of a state named by a people ("Ethiopia's Somali
# Regional State", "the Afar Region") is inside another country.
_GOODS_AFTER = re.compile(
    r"\s+(?:opiates|opium|heroin|cocaine|methamphetamines?|hashish|cannabis|drugs|narcotics)\b"
    r"|\s+Region(?:al\s+State)?\b"
)
_NATIONAL_AFTER = re.compile(r"\s+(?:national|citizen)\b")
_OFFICE_AFTER = re.compile(r"\s+(?:country\s+|field\s+|sub-?)?office\b")
_OWNER_BEFORE = re.compile(r"(?:’s|'s|\bthe)\s+$")
_LANGUAGES = (
    r"English|Arabic|Dari|Pashto|Farsi|Persian|Urdu|Hindi|Bengali|Tigrinya|Amharic|Swahili|Hausa|Somali|Kurdish"
    r"|Sorani|Kurmanji|Wolof|Fula|Berber|Tamazight|Creole|Chinese|Mandarin"
)
_LANGUAGE_BEFORE = re.compile(
    r"\b(?:in|into|languages?:?|speak(?:s|ing)?|translat(?:ed|ion)\s+(?:in)?to|interpret(?:ed|ation)\s+(?:in)?to)"
    r"\s+(?:(?:[A-Z][a-z]+|" + _LANGUAGES + r")(?:\s*,\s*|\s+and\s+|\s+or\s+))*$",
)
_LANGUAGE_AFTER = re.compile(
    r"(?:[-‐\s]+(?:language|languages|speaking|speakers|translations?|interpret\w*|subtitles|versions?)\b)"
    r"|(?:\s*(?:[,.;:)!?]|$)|\s+(?:and|or|as|to|for|by|at|with|on|in|is|are|was|were|from)\b)",
)

# A language and its noun, through the rest of a list: "an English, French or Portuguese translation", "Russian-
# and Kazakh-language courses".
_LANGUAGE_NOUN_AFTER = re.compile(
    r"(?:-?(?:\s*,\s*|\s+and\s+|\s+or\s+)[A-Z][a-z]+)*[-‐\s]+(?:language|languages|speaking|translations?"
    r"|subtitles|interpreters?|interpretation)\b"
)


def mention_roles(text: str, matches: Sequence[PlaceMatch]) -> list[Role]:
    """The role of each place match in `text` (same order). Looks only at a bounded window around each
    mention, so the cost per mention does not grow with the gazetteer."""
    roles: list[Role] = []
    if not matches:
        return roles
    # One pass over the text for every cue, instead of one per mention over its window.
    low = lower_for_patterns(text)
    cues = find_cues(text, low)
    cue_ends = [c.end() for c in cues]
    lists = lists_of(text, matches)
    for i in range(len(matches)):
        k = bisect.bisect_right(cue_ends, matches[i].start)
        role = _role(text, low, i, matches, lists, cues[k - 1] if k else None)
        if role is Role.SUBJECT and i and roles[-1] in _LISTED and lists[i] == lists[i - 1]:
            role = roles[-1]  # a long list outruns the cue window: "delegates from A, B, ... and N"
        elif role is Role.SUBJECT and i and _city_and_its_country(text, matches[i - 1], matches[i]):
            role = roles[-1]  # "based in Nairobi, Kenya": the country says where the city is, in the city's role
        roles.append(role)
    for i in range(len(matches)):
        # Attendees who sign are parties to what they sign: "the ministers of A, B and C have signed ..."; and
        # those who meet or agree are the meeting: "delegations from A, B and C, which host ..., met in Nairobi"
        end = matches[lists[i]].end
        if roles[i] is Role.ATTENDEE and (_SIGN_AFTER.match(text, end) or _MEET_AFTER.match(text, end)):
            roles[i] = Role.SUBJECT
    return roles


_SIGN_AFTER = re.compile(
    r"\s+(?:(?:have|has|had|will|formally|jointly|today|yesterday)\s+){0,2}(?:signed|sign|initialled|ratified"
    r"|put\s+their\s+names?\s+to)\b(?!\s+(?:up|in)\b)"  # who "signed up" or "signed in" attends
)


_MEET_AFTER = re.compile(
    r"(?:\s*,(?:[^.;,]|(?<=\d)[.,](?=\d)){0,120},)?\s+(?:(?:have|has|had|all|jointly|formally|together|then|also|today|yesterday)\s+){0,2}"
    r"(?:met|agreed|adopted|endorsed|committed|pledged|resolved|decided)\b"
)


def _city_and_its_country(text: str, city: PlaceMatch, country: PlaceMatch) -> bool:
    return (
        city.kind == "city"
        and country.kind == "name"
        and city.code == country.code
        and text[city.end : country.start] in (", ", " (")
    )


# Before the people of an attendee list: the event is for them ("a course ... for diplomats, judges and officers from").
_FOR_PEOPLE = re.compile(r"\bfor\s+(?:\d[\d,]*\s+)?(?:[\w-]+,?\s+){0,6}$")
# Roles a cue gives to a whole list of places.
_LISTED = frozenset({Role.ATTENDEE, Role.ACTOR, Role.BACKGROUND, Role.DESTINATION, Role.DONOR})


def _role(
    text: str, low: str | None, i: int, matches: Sequence[PlaceMatch], lists: Sequence[int], cue: re.Match[str] | None
) -> Role:
    """The role of match `i`; `low` as from lower_for_patterns, `lists` as from _lists, `cue` the last cue phrase
    that ends before it, if any."""
    m = matches[i]
    head = text[max(0, m.start - _BEFORE) : m.start]
    ends = list(_SENTENCE_END.finditer(head))
    if ends:
        head = head[ends[-1].end() :]
    after = text[m.end : m.end + 80]
    if m.kind == "demonym" and (
        (_LANGUAGE_BEFORE.search(head) and _LANGUAGE_AFTER.match(after))
        or _WORD_OF_LANGUAGE.match(after)
        or _LANGUAGE_NOUN_AFTER.match(after)
    ):
        return Role.LANGUAGE
    if m.kind == "city" and (
        _EVENT_AFTER.match(after) or _ACRONYM_BEFORE.search(head) or _INSTITUTION_BEFORE.search(head)
    ):
        return Role.NAMED
    if m.kind == "name" and _UNIVERSITY_OF.search(head):
        return Role.NAMED  # "the University of Ghana": a university's name, as "the University of Nairobi"
    if m.kind == "demonym" and _A_NATIONAL.search(head) and _NATIONAL_AFTER.match(after):
        return Role.BACKGROUND  # a person's nationality: "Mr Kwenin, a Ghanaian national who succeeds ..."
    if m.kind == "name" and _OFFICE_AFTER.match(after) and _OWNER_BEFORE.search(head):
        return Role.BACKGROUND  # an office named by its country: "head of IOM's Mauritius office"
    if _WATER_BEFORE.search(head):
        return Role.NAMED
    if _LANDMARK_BEFORE.search(head):
        return Role.BACKGROUND
    party = _PARTY_AFTER.match(after)
    if (party or _PARTY_BEFORE.search(head)) and _EVENT_AFTER.match(after, party.end() if party else 0):
        return Role.NAMED
    opened = _QUOTE_OPEN.search(head)
    if opened and (closed := _QUOTE_CLOSE.match(after)) and _is_title(opened.group() + closed.group()):
        return Role.NAMED  # inside a quoted title: "the “Sweden-Iraq Cooperation on Migration” project"
    if m.kind == "demonym" and _GOODS_AFTER.match(after):
        return Role.BACKGROUND
    if m.kind == "demonym" and _SUPPORT_AFTER.match(after) and _WITH_BEFORE.search(head):
        return Role.DONOR  # "trained with Japanese support", "thanks to Swiss funding"
    if m.kind == "demonym" and _NATIONALITY_AT_WORK.match(text, m.end, m.end + 80):
        return Role.ACTOR
    last = matches[lists[i]]
    if m.kind == "demonym" == last.kind and last is not m and _NATIONALITY_AT_WORK.match(text, last.end, last.end + 80):
        return Role.ACTOR  # "Dutch and Bosnian professionals": the list's noun is said of every nationality in it
    if _ABBREVIATION.fullmatch(m.text) and _STATE_AT_WORK.match(text, m.end, m.end + 80):
        return Role.ACTOR
    if m.kind == "demonym" and _BORDER_AFTER.match(text, m.end) and _NEAR_BEFORE.search(head):
        return Role.BACKGROUND
    tail = matches[lists[i]].end
    if low is None:
        for role, pattern in _AFTER:
            if pattern.match(text, tail, tail + 80):
                return role
    else:
        for role, pattern, folded in _AFTER_LOW:
            if pattern.match(low if folded else text, tail, tail + 80):
                return role
    sentence = m.start - len(head)
    # A cue that ends in a colon ("participating states: A, B") introduces the list the colon opens.
    introduces = cue is not None and cue.end() >= sentence and cue.group().rstrip().endswith(":")
    if cue is None or cue.lastgroup is None or (cue.start() < sentence and not introduces):
        return Role.SUBJECT  # no cue, or not in this sentence and window
    gap_start = cue.end()
    if not is_list_gap(text, gap_start, m.start, matches):
        return Role.SUBJECT
    kind = cue.lastgroup
    if kind in ("support", "implementer", "attendee_list", Role.ATTENDEE) and _INSTITUTION.search(
        text, item_start(text, gap_start, m.start), m.start
    ):
        return Role.SUBJECT  # "officials from the State Migration Service of Kyrgyzstan" are whom it is for
    if kind == "attendee_list" and list_size(i, matches, lists) < 2:
        return Role.SUBJECT
    if kind == "attendee_list" and _FOR_PEOPLE.search(text, max(sentence, cue.start() - 60), cue.start()):
        return Role.SUBJECT  # "a course for judges and police officers from A, B and C" is whom it is for
    if kind.startswith("migrant_") and not MIGRANT_WORD.search(
        text, max(sentence, cue.start() - MIGRANT_WINDOW), cue.start()
    ):
        return Role.SUBJECT
    return Role(CUE_ROLE.get(kind, kind))
