"""Find the countries a story names only once, late, while its lead names another: background, not the story."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from publisher.gazetteer import PlaceMatch
from publisher.roles.core import Role
from publisher.text import sentence_starts

# A news story says what it is about first (the inverted pyramid): its headline and first two sentences. A
# country named once from the fourth sentence on, in a story whose lead names another subject, is a comparison,
# an example or a backdrop ("Similar courses were held in Armenia last year"). Counted from the body's start,
# so a headline does not push the body's lead down.
LEAD_SENTENCES = 2
LATE_SENTENCE = 3


def salience_roles(text: str, matches: Sequence[PlaceMatch], roles: Sequence[Role]) -> list[Role]:
    """`roles` with the one subject mention of a country named nowhere else made BACKGROUND when it comes from the
    fourth body sentence on and the headline or the body's first two sentences name another country as a subject.
    A short story has no late sentences, so nothing changes there."""
    out = list(roles)
    split = text.find("\n\n")  # the headline's end, when the text has one (publisher.text.tagged_text)
    body = 0 if split < 0 else split + 2
    starts = [body, *(s for s in sentence_starts(text) if s > body)]
    if len(starts) <= LATE_SENTENCE:
        return out
    lead_end, late_start = starts[LEAD_SENTENCES], starts[LATE_SENTENCE]
    named = Counter(m.code for m in matches if m.code is not None)
    lead = {m.code for m, r in zip(matches, out, strict=True) if r is Role.SUBJECT and m.start < lead_end}
    for i, m in enumerate(matches):
        if (
            out[i] is Role.SUBJECT
            and m.code is not None
            and m.start >= late_start
            and named[m.code] == 1
            and lead - {m.code, None}
        ):
            out[i] = Role.BACKGROUND
    return out
