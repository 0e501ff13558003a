"""Derive display fields from release text: headline title, summary, slug, tag-URI GUID, hashes."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata

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


def first_sentence(text: str) -> str:
    text = " ".join(text.split())
    for m in _SENTENCE_END.finditer(text):
        before = text[: m.start(1)]
        if m.group(1) == ".":
            word = before.rsplit(" ", 1)[-1].lower().lstrip("(\"'“")
            if word in _ABBREV or (len(word) == 1 and word.isalpha()):
                continue
        # A full stop inside an open typographic quote belongs to a quoted title, not the sentence.
        if before.count("“") > before.count("”"):
            continue
        return before.strip()
    return text.strip().rstrip(".")


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


def derive_title(body: str) -> str:
    """The headline: the body's first sentence, cut at a word boundary at about 110 characters."""
    return cut_at_word(first_sentence(body), TITLE_MAX)


def derive_summary(body: str) -> str:
    """The first paragraph, cut at a sentence or word boundary at about 280 characters."""
    para = body.strip().split("\n\n", 1)[0]
    para = " ".join(para.split())
    if len(para) <= SUMMARY_MAX:
        return para
    # Prefer whole sentences when they fit.
    best = ""
    for m in _SENTENCE_END.finditer(para):
        if m.start(1) + 1 > SUMMARY_MAX:
            break
        best = para[: m.start(1) + 1]
    return best if len(best) >= SUMMARY_MAX // 2 else cut_at_word(para, SUMMARY_MAX)


def slugify(text: str, max_len: int = 80) -> str:
    """ASCII, lower-case, hyphen-separated; cut at a word boundary."""
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    words = re.findall(r"[a-z0-9]+", norm)
    slug = ""
    for w in words:
        candidate = f"{slug}-{w}" if slug else w
        if len(candidate) > max_len:
            break
        slug = candidate
    return slug or "item"


def normalise_words(text: str) -> str:
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
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
