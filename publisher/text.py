"""Derive display fields from release text: headline title, summary, slug, tag-URI GUID, hashes; spot acronyms."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import unicodedata

# Words that do not count when checking that a name is written as a name (capitalised) or when
# matching an acronym against a name's initials.
SMALL_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "by",
        "de",
        "des",
        "du",
        "et",
        "for",
        "from",
        "in",
        "into",
        "la",
        "of",
        "on",
        "or",
        "the",
        "to",
        "through",
        "towards",
        "under",
        "via",
        "with",
        "between",
        "against",
    ]
)

TITLE_MAX = 110
SUMMARY_MAX = 280

# Abbreviations whose trailing dot does not end a sentence.
_ABBREV = {
    "e.g",
    "i.e",
    "etc",
    "dr",
    "mr",
    "mrs",
    "ms",
    "prof",
    "no",
    "nos",
    "vs",
    "st",
    "jr",
    "sr",
    "inc",
    "ltd",
    "co",
    "corp",
    "dept",
    "gen",
    "gov",
    "h.e",
    "u.s",
    "u.k",
    "e.u",
    "approx",
    "fig",
    "vol",
    "art",
    "para",
}
_SENTENCE_END = re.compile(r"([.!?…])([\"'”’)\]]*)\s+(?=[\"'“‘(\[]?[A-Z0-9])")


# Characters XML 1.0 forbids (C0 controls but tab/newline/return, U+FFFE/U+FFFF) and lone surrogates (from JSON
# escapes): lxml refuses the former when writing feeds, UTF-8 cannot encode the latter, PostgreSQL refuses NUL.
_LINE_SPACE = str.maketrans({"\x0b": " ", "\x0c": " "})
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_NOT_XML = re.compile("[\x00-\x08\x0e-\x1f\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """`text` safe for XML, UTF-8 and every store: vertical tab and form feed become spaces, other forbidden
    control characters are dropped, lone surrogates become U+FFFD (as undecodable bytes do)."""
    if not _UNSAFE.search(text):
        return text
    return _SURROGATE.sub("\ufffd", _NOT_XML.sub("", text.translate(_LINE_SPACE)))


def collapse_spaces(text: str) -> str:
    """`re.sub(r"\\s+", " ", text)`, three times faster: every run of whitespace becomes one space, including
    a leading or trailing one (str.split and `\\s` agree on what whitespace is)."""
    parts = text.split()
    out = " ".join(parts)
    if text[:1].isspace():
        out = " " + out
    if parts and text[-1:].isspace():
        out += " "
    return out


# Cached: ingest asks for the first sentence of the same body three times (key, headline, summary), first for
# the keys of a whole batch (500 records), then for each headline: the cache holds more than a batch.
@functools.lru_cache(maxsize=1024)
def first_sentence(text: str) -> str:
    text = " ".join(text.split())
    for m in _SENTENCE_END.finditer(text):
        before = text[: m.start(1)]
        if m.group(1) == "." and _abbreviated(text, m.start(1)):
            continue
        # A full stop inside an open typographic quote belongs to a quoted title, not the sentence.
        if before.count("“") > before.count("”"):
            continue
        return before.strip()
    return text.strip().rstrip(".")


def _abbreviated(text: str, dot: int) -> bool:
    """Whether the full stop at `dot` closes an abbreviation or an initial ("Dr.", "e.g.", "John F. Kennedy")."""
    word = text[max(0, dot - 12) : dot].rsplit(" ", 1)[-1].lower().lstrip("(\"'“")  # none is longer than 12
    return word in _ABBREV or (len(word) == 1 and word.isalpha())


def sentence_starts(text: str) -> list[int]:
    """Where each sentence of `text` starts (the first at 0), as offsets into `text` itself: after a full stop,
    question or exclamation mark before a capital or a digit (not after an abbreviation or an initial), and after
    a line break (a headline, a paragraph)."""
    starts = [0]
    for m in _SENTENCE_BREAK.finditer(text):
        if m.group(1) != "." or not _abbreviated(text, m.start(1)):
            starts.append(m.end())
    return starts


_SENTENCE_BREAK = re.compile(_SENTENCE_END.pattern + r"|\n+")


def cut_at_word(text: str, limit: int) -> str:
    """`text` if short enough, else cut at the last word boundary before `limit` with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:–-(") + "…"


def identity_title(body: str) -> str:
    """The first sentence cut at a word boundary at about 110 characters: what release keys and slugs derive
    from (headlines used to be exactly this), so a release ingested again gets the key and slug it always had.
    Not shown to readers: see `derive_title`."""
    return cut_at_word(first_sentence(body), TITLE_MAX)


TITLE_MIN = 40  # a shorter clause says too little to stand as the headline
TITLE_LONG = 150  # a headline may run this long when it cannot end sooner without splitting a quote or a name
TITLE_SHORT = 66  # a phrase headline shorter than this gives way to a whole clause of up to TITLE_LONG
# Where a long first sentence may end as a headline: after a clause (",", ";", ":", a closing bracket), before a
# dash, or before a word that starts a new phrase ("in", "with", "to"...). The headline is then a whole phrase.
_CLAUSE_BREAK = re.compile(r"[,;:)](?=\s)|\s(?=[–—-]\s)")
_PHRASE_WORDS = (
    "in|on|at|with|for|from|to|during|through|between|under|within|after|before|as|which|who|where|while|by|"
    "following|including|among|against|across|toward|towards|via|amid|despite|under|upon"
)
_PHRASE_BREAK = re.compile(rf"\s(?=(?:{_PHRASE_WORDS})\s+(\S))")
_PAIRS = (("“", "”"), ("«", "»"), ("(", ")"), ("[", "]"))
_CLAUSE_BONUS = 15  # a clause boundary reads better than a phrase boundary this many characters further on


def _balanced(text: str) -> bool:
    return text.count('"') % 2 == 0 and all(text.count(a) == text.count(b) for a, b in _PAIRS)


def _headline_ends(sentence: str) -> list[tuple[int, bool]]:
    """(length of the headline, ends at a clause?) for every place a headline may end, shortest first, up to
    TITLE_LONG (no longer headline is ever taken)."""
    ends = [(m.end() if m[0] in ",;:)" else m.start(), True) for m in _CLAUSE_BREAK.finditer(sentence)]
    for m in _PHRASE_BREAK.finditer(sentence):
        # "Centre for Migration Policy", "Ministry of Interior": a word between two capitalised ones is in a name.
        before = sentence[sentence.rfind(" ", 0, m.start()) + 1 : m.start()]
        # "… taking on the chair", "building on": after a gerund the word belongs to it, not to a new phrase.
        if not (before[:1].isupper() and m[1][:1].isupper()) and not before.endswith("ing"):
            ends.append((m.start(), False))
    out = []
    for n, clause in sorted(ends):
        head = sentence[:n].rstrip(" ,;:–—-")
        if TITLE_MIN <= len(head) <= TITLE_LONG and _balanced(head):
            out.append((len(head), clause))
    return out


def derive_title(body: str) -> str:
    """The headline: the body's first sentence; a longer one ends at a clause or phrase boundary before about
    110 characters (whole words, quotes, brackets and names; no ellipsis), or the first clause up to 150 when
    only a short phrase or nothing shorter keeps a quote or a name whole. Only a sentence with no such boundary is cut at a word,
    with "…"."""
    sentence = first_sentence(body)
    if len(sentence) <= TITLE_MAX:
        return sentence
    ends = _headline_ends(sentence)
    fitting = [(n + (_CLAUSE_BONUS if clause else 0), n) for n, clause in ends if n <= TITLE_MAX]
    best = max(fitting)[1] if fitting else 0
    if best < TITLE_SHORT:
        # Nothing but a short phrase fits ("… of Sweden taking"): a whole clause a little longer says more.
        best = next((n for n, clause in ends if clause and best < n <= TITLE_LONG), best)
    if best == 0:
        best = next((n for n, _clause in ends if n <= TITLE_LONG), 0)
    return sentence[:best] if best else cut_at_word(sentence, TITLE_MAX)


def _after_headline(text: str, title: str) -> str | None:
    """What follows `title` at the start of `text` (both whitespace-normalised), or None when it does not start it."""
    head = title.removesuffix("…")  # a headline cut at a word: the summary carries on from the cut
    if not head or not text.startswith(head):
        return None
    rest = text[len(head) :]
    if head == title and title == first_sentence(text):
        # The whole first sentence: skip its end mark and closing quotes to the next sentence.
        return re.sub(r"^[.!?…]*[\"'”’)\]]*\s*", "", rest)
    # A part of it: the summary carries the sentence on, and says so with a leading ellipsis.
    rest = re.sub(r"^[\s,;:–—-]*", "", rest)
    return f"…{rest}" if rest else ""


def _summarise(text: str) -> str:
    if len(text) <= SUMMARY_MAX:
        return text
    # Prefer whole sentences when they fit.
    best = ""
    for m in _SENTENCE_END.finditer(text):
        if m.start(1) + 1 > SUMMARY_MAX:
            break
        best = text[: m.start(1) + 1]
    return best if len(best) >= SUMMARY_MAX // 2 else cut_at_word(text, SUMMARY_MAX)


def derive_summary(body: str, title: str | None = None) -> str:
    """What the headline does not say yet, at about 280 characters (whole sentences when they fit): the text
    after the headline (`title`, derived from the body when not given) — the next sentences when the headline
    is the whole first sentence, the rest of that sentence when it is a clause of it; empty when the body says
    no more. A headline that is not the start of the body leaves the first paragraph as the summary."""
    text = " ".join(body.split())
    rest = _after_headline(text, derive_title(body) if title is None else " ".join(title.split()))
    if rest is None:
        rest = " ".join(body.strip().split("\n\n", 1)[0].split())
    return _summarise(rest)


def tagged_text(title: str, body: str) -> str:
    """The text that tagging reads: the headline, then the body, unless the headline is the body's own start
    (derived from it, or a feed that repeats it). A repeated headline would count its places twice, and a
    headline cut inside a list ("… from Germany, the Netherlands, Romania") would read as another sentence."""
    head = " ".join(title.removesuffix("…").split())
    if not head:
        return body
    start = " ".join(body[: len(title) * 2 + 200].split())
    return body if start.startswith(head) else f"{title}\n\n{body}"


def _ascii_char(ch: str) -> str:
    """ASCII letters for one character: accents dropped (NFKD), any other script transliterated (Cyrillic
    "М" → "M", an ideograph "北" → " Bei ": one word each)."""
    plain = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii")
    if plain or not ch.isalnum():
        return plain
    from anyascii import anyascii  # deferred: only non-Latin titles need it

    spelled = anyascii(ch)
    # Ideographs are words of their own; letters of an alphabet join up into words.
    return f" {spelled} " if unicodedata.east_asian_width(ch) in "WF" else spelled


class _AsciiTable(dict[int, str]):
    """str.translate table of _ascii_char, filled on first use of each character: texts share their characters,
    so a title costs one C-speed translate instead of a normalisation per character."""

    def __missing__(self, code: int) -> str:
        out = self[code] = _ascii_char(chr(code))
        return out


_ASCII = _AsciiTable()


def _ascii(text: str) -> str:
    """ASCII letters for `text`: accents dropped as before (NFKD), any other script transliterated (Cyrillic
    "Москва" → "moskva", Chinese "北京" → "bei jing": one word per ideograph). Text whose letters all decompose
    to ASCII comes out exactly as it always did, so slugs derived again stay the same."""
    if text.isascii():
        return text  # NFKD leaves ASCII as it is: the common case costs nothing
    return text.translate(_ASCII)


def slugify(text: str, max_len: int = 80) -> str:
    """ASCII, lower-case, hyphen-separated, non-Latin scripts transliterated; cut at a word boundary."""
    words = re.findall(r"[a-z0-9]+", _ascii(text).lower())
    slug = ""
    for w in words:
        candidate = f"{slug}-{w}" if slug else w
        if len(candidate) > max_len:
            break
        slug = candidate
    return slug or "item"


def normalise_words(text: str) -> str:
    # NFKD leaves ASCII as it is, and the ASCII encoding drops nothing of it.
    norm = (
        text if text.isascii() else unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    ).lower()
    return " ".join(re.findall(r"[a-z0-9]+", norm))


def sha256(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()


def tag_uri(authority: str, published: dt.date, slug: str) -> str:
    """An RFC 4151 tag URI: tag:<authority>,<date>:<specific>."""
    return f"tag:{authority},{published.isoformat()}:news/{slug}"


def looks_like_acronym(text: str) -> bool:
    """ "BOMCA 9", "PP DATA", "EaP IBM CaBuiPro", "R&R": short, with at least two capitals, mostly capitals."""
    text = text.strip()
    words = text.split()
    if not words or len(words) > 5 or not re.fullmatch(r"[A-Za-z0-9&./+\- ]+", text):
        return False
    upper = sum(1 for c in text if c.isupper())
    return upper >= 2 and upper >= sum(1 for c in text if c.islower()) / 2
