"""Case-insensitive patterns matched in lower case against text in lower case, where that finds the same."""

from __future__ import annotations

import re

# The characters that match an ASCII letter only case-insensitively without being one in lower case ("ı" matches
# "i", "ſ" matches "s"; "İ" turns into two characters). A text holding none, whose lower case keeps its length,
# matches `lowered` patterns in lower case exactly where it matches the originals (tests/test_classify.py checks
# this against every character).
CASE_SPECIAL = ("\u0130", "\u0131", "\u017f")


def lowered(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """A pattern compiled with IGNORECASE as one for text in lower case: its letters in lower case (escapes and
    group names kept), compiled without the flag. Case-insensitive matching folds every character and gives up
    the quick first-letter test of each alternative: roles' cue pattern, tried at every key word, cost as much as
    the rest of a mention's role."""
    src, out, i = pattern.pattern, [], 0
    while i < len(src):
        step = 2 if src[i] == "\\" else 3 if src.startswith("(?P", i) else 1  # an escape, a named group
        out.append(src[i : i + step] if step > 1 else src[i].lower())
        i += step
    return re.compile("".join(out), pattern.flags & ~re.IGNORECASE)


def lower_for_patterns(text: str) -> str | None:
    """`text` in lower case, for `lowered` patterns; None when it must be matched case-insensitively."""
    low = text.lower()
    if len(low) != len(text) or any(c in text for c in CASE_SPECIAL):
        return None
    return low
