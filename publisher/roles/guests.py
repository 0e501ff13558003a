"""Find who came to teach and what was only an example: trainers' countries and case studies (context)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from publisher.gazetteer import PlaceMatch
from publisher.roles.core import Role
from publisher.roles.lists import SENTENCE_END

# People who teach, lead, speak or look on at the event, named after the list of who they are: "with a judge of the
# Supreme Court of Serbia and a prosecutor from Israel as facilitators". The event is for someone else.
_AS_GUESTS = re.compile(
    r"\bas\s+(?:co-?)?(?:facilitators?|trainers?|moderators?|speakers?|resource\s+persons?|lecturers?|instructors?"
    r"|panell?ists?|keynote\s+speakers?|mentors?|coaches|observers?|guests?)\b",
    re.IGNORECASE,
)
# ... or said of a list of states with a verb of taking part: "France, Sweden and Switzerland attended as
# observers", "... the sending countries A and B, and Malaysia and Singapore as observers".
_OBSERVED = re.compile(
    r"(?:,?\s+(?:(?:also|have|has|had|all)\s+)?(?:attended|took\s+part|participated|joined|came|were\s+present)"
    r"(?:\s+(?:the|this|that|its|their|meeting|conference|session|talks|dialogue)){0,3})?,?\s+as\s+(?:special\s+)?"
    r"(?:observers?|guests?|observer\s+(?:states|countries))\b",
    re.IGNORECASE,
)
_WITH = re.compile(r"\bwith\b", re.IGNORECASE)
_TRAINED = re.compile(r"\btrain(?:s|ed|ing)?\b", re.IGNORECASE)
_NEAR = 150  # how far "with" and "as facilitators" may stand from the place
# A nationality of a teaching professional, said of who taught: "joined by an Italian judge and an Italian
# prosecutor", "a course led by two Dutch experts". A nationality of who was taught ("training for Moldovan
# judges", "Moldovan judges took part") has no "by" before it.
_BY_BEFORE = re.compile(
    r"\b(?:joined|led|delivered|facilitated|given|taught|conducted|moderated|presented|run|trained|coached|mentored)"
    r"\s+by\s+[^.;!?]{0,60}$",
    re.IGNORECASE,
)
_PROFESSION_AFTER = re.compile(
    r"\s+(?:judges?|prosecutors?|experts?|trainers?|lecturers?|facilitators?|specialists?|consultants?"
    r"|instructors?|practitioners?|professors?|researchers?|police\s+officers?|border\s+guards?)\b",
    re.IGNORECASE,
)
# Places given as examples to learn from (the cue ends where the first place starts): "a workshop with case studies from Tajikistan, Kyrgyzstan and Albania".
_EXAMPLES_BEFORE = re.compile(
    r"\b(?:case\s+stud(?:y|ies)|examples?|lessons(?:\s+learn[te]d)?|(?:good|best|promising)\s+practices?"
    r"|experiences?)\s+(?:from|of|in)\s+(?:the\s+)?",
    re.IGNORECASE,
)
# ... and so are the countries a group "from countries such as A and B" comes from, named to show its mix: where
# people left from is context beside where the story happens.
_EXAMPLES_BEFORE = re.compile(
    _EXAMPLES_BEFORE.pattern + r"|\bfrom\s+(?:other\s+|many\s+|several\s+|various\s+)?(?:countries|nations)"
    r"\s+(?:including|such\s+as|like)\s+(?:the\s+)?",
    re.IGNORECASE,
)
_EXAMPLE_WORDS = ("case stud", "example", "lesson", "practice", "experience", "countries", "nations")
# Where teachers came from, as a list of whatever they belong to: "trainers came from UNODC's maritime crime
# teams, the US Coast Guard and the New Zealand High Commission", "trainers come from its regional office in
# Dakar and its centre in Tanzania". Every place up to the end of that clause is theirs, organisations and all
# (the cue list of `roles` stops at the first word that is no name); an infinitive or a relative clause ends it
# ("trainers came from Austria to train police in Tirana").
_TEACHERS_FROM = re.compile(
    r"\b(?:trainers|instructors|lecturers|facilitators|teachers|mentors|coaches|experts|specialists|speakers)"
    r"\s+(?:came|come|travell?ed)\s+from\b",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r"[.!?;](?=\s)|\n|\s+to\s+[a-z]|,?\s+(?:where|who|which|while|whereas)\b")
_LIST_SEP = re.compile(r"(?:\s*,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+|\s*&\s*)(?:the\s+)?")
_WINDOW = 200


def guest_roles(text: str, matches: Sequence[PlaceMatch], roles: Sequence[Role]) -> list[Role]:
    """`roles` with the subject mentions that only say where trainers, facilitators or speakers come from made
    ACTOR (foreigners at work, never the attendees of a regional meeting), and those of places given as
    examples ("case studies from A and B") made BACKGROUND. A place named elsewhere as a subject stays one, and
    a text with no other place keeps them (both roles are kept then)."""
    out = list(roles)
    # Substring tests on the whole text first: most texts have none of these words.
    low = text.lower()
    by = " by " in low
    guests = " as " in low and _AS_GUESTS.search(text) is not None
    observers = guests and ("observer" in low or "guest" in low)
    examples = any(w in low for w in _EXAMPLE_WORDS)
    teachers = " from" in low and _teachers_from(text)
    if not (by or guests or examples or teachers):
        return out
    observed = _observers(text, matches) if observers else set()
    # Where a cue for examples ends: a mention that starts there opens a list of examples.
    example_cues = {c.end() for c in _EXAMPLES_BEFORE.finditer(text)} if examples else set()
    example_until = -1  # the end of the current list of examples
    for i, m in enumerate(matches):
        if out[i] is not Role.SUBJECT:
            continue
        if (
            (by and _taught_by(text, m))
            or (guests and _facilitates(text, m))
            or i in observed
            or any(a <= m.start < b for a, b in teachers or ())
        ):
            out[i] = Role.ACTOR
        elif m.start <= example_until or m.start in example_cues:
            out[i] = Role.BACKGROUND
            example_until = _list_end(text, matches, i)
    return out


def _sentence_start(text: str, pos: int) -> int:
    start = 0
    for end in SENTENCE_END.finditer(text, max(0, pos - _WINDOW), pos):
        start = end.end()
    return start


def _teachers_from(text: str) -> list[tuple[int, int]]:
    """The spans of the clauses that say where teachers came from (see _TEACHERS_FROM)."""
    spans = []
    for cue in _TEACHERS_FROM.finditer(text):
        end = _CLAUSE_END.search(text, cue.end())
        spans.append((cue.end(), end.start() if end else len(text)))
    return spans


def _taught_by(text: str, m: PlaceMatch) -> bool:
    """Whether `m` is the nationality of a teaching professional after "by" ("joined by an Italian judge")."""
    if m.kind != "demonym" or not _PROFESSION_AFTER.match(text, m.end):
        return False
    return _BY_BEFORE.search(text[max(_sentence_start(text, m.start), m.start - _WINDOW) : m.start]) is not None


def _facilitates(text: str, m: PlaceMatch) -> bool:
    """Whether `m` stands between "with" and "as facilitators" (or the like) in its sentence."""
    stop = SENTENCE_END.search(text, m.end)
    guests = _AS_GUESTS.search(text, m.end, min(stop.start() if stop else len(text), m.end + _NEAR))
    if guests is None:
        return False
    withs = list(_WITH.finditer(text, max(_sentence_start(text, m.start), m.start - _NEAR), m.start))
    # "trained officers from Moldova as trainers" is a course for Moldova, not one given by it
    return bool(withs) and not _TRAINED.search(text, withs[-1].end(), guests.start())


def _observers(text: str, matches: Sequence[PlaceMatch]) -> set[int]:
    """The indexes of the places in the lists said to attend as observers (see _OBSERVED). Such a list runs back
    from the cue to its one "and": "the sending countries A, B, and Malaysia, Singapore and Korea as observers"
    are two lists, and only the second looks on."""
    found: set[int] = set()
    for j, m in enumerate(matches):
        if _OBSERVED.match(text, m.end) is None:
            continue
        k, ands = j, 0
        while k > 0:
            sep = _LIST_SEP.match(text, matches[k - 1].end, matches[k].start)
            if sep is None or sep.end() != matches[k].start:
                break
            ands += " and " in f" {sep.group()} "
            if ands > 1:
                break
            k -= 1
        found.update(range(k, j + 1))
    return found


def _list_end(text: str, matches: Sequence[PlaceMatch], i: int) -> int:
    """Where the list of places that starts at match `i` ends ("Tajikistan, Kyrgyzstan and Albania")."""
    j = i
    while j + 1 < len(matches):
        sep = _LIST_SEP.match(text, matches[j].end, matches[j + 1].start)
        if sep is None or sep.end() != matches[j + 1].start:
            break
        j += 1
    return matches[j].start
