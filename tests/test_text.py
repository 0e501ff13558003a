"""Derived fields: headline titles, summaries, slugs and tag URIs."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from publisher.text import (
    TITLE_LONG,
    TITLE_MAX,
    collapse_spaces,
    cut_at_word,
    derive_summary,
    derive_title,
    first_sentence,
    identity_title,
    slugify,
    tag_uri,
    tagged_text,
)


def test_title_is_first_sentence() -> None:
    assert derive_title("Today is the International Migrants Day. We celebrate.") == (
        "Today is the International Migrants Day"
    )


def test_title_ignores_abbreviations_and_quoted_full_stops() -> None:
    assert first_sentence("Dr. Smith met the U.S. delegation. Then left.") == "Dr. Smith met the U.S. delegation"
    body = "The project “Re-thinking labour migration. Potential and gaps” mapped needs. More text."
    assert first_sentence(body) == "The project “Re-thinking labour migration. Potential and gaps” mapped needs"


def test_a_sentence_with_no_boundary_is_cut_at_a_word() -> None:
    body = "Aaaa " * 40 + "end."
    title = derive_title(body)
    assert title.endswith("…") and len(title) <= TITLE_MAX


def test_summary_prefers_whole_sentences() -> None:
    body = ("A" * 150 + ". ") + ("B" * 100 + ". ") + ("C" * 100 + ".")
    s = derive_summary(body, "A title of its own")
    assert s == "A" * 150 + ". " + "B" * 100 + "."


def test_slug_and_tag_uri() -> None:
    assert slugify("Ukraine’s Vice Prime Minister & ICMPD: «Talks»") == "ukraines-vice-prime-minister-icmpd-talks"
    assert slugify("!!!") == "item"
    assert tag_uri("news.example.org", dt.date(2025, 1, 2), "a-b") == "tag:news.example.org,2025-01-02:news/a-b"


@given(st.text(min_size=1, max_size=600))
def test_title_and_cut_bounds(text: str) -> None:
    assert len(derive_title(text)) <= TITLE_LONG
    assert len(identity_title(text)) <= TITLE_MAX
    assert len(cut_at_word(text, 50)) <= 50
    assert len(derive_summary(text)) <= 281


@given(st.text(max_size=200))
def test_slug_shape(text: str) -> None:
    s = slugify(text)
    assert s and len(s) <= 80
    assert all(c.isascii() and (c.isalnum() or c == "-") for c in s)
    assert not s.startswith("-") and not s.endswith("-") and "--" not in s


# ---------------------------------------------------------------- headline and summary add to each other

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "releases.txt"


def _sample_bodies() -> list[str]:
    text = SAMPLE.read_text(encoding="utf-8")
    return [part.split("\n", 1)[1].strip() for part in re.split(r"(?m)^(?=Released )", text) if part.strip()]


def test_headline_and_summary_do_not_repeat_each_other() -> None:
    bodies = _sample_bodies()
    assert len(bodies) == 25
    for body in bodies:
        title, summary = derive_title(body), derive_summary(body)
        assert summary, title
        assert title not in summary and not summary.startswith(title[:40]), (title, summary)


def test_no_sample_headline_is_cut_mid_phrase() -> None:
    """Every sample headline is a whole phrase: a prefix of the first sentence that ends where a clause or phrase
    ends (no "…"), except one sentence whose only boundaries lie inside a 120-character quoted title."""
    cut = []
    for body in _sample_bodies():
        title, sentence = derive_title(body), first_sentence(body)
        if title.endswith("…"):
            cut.append(title)
            continue
        assert sentence.startswith(title) and len(title) <= TITLE_LONG
        rest = sentence[len(title) :]
        assert rest == "" or rest[0] in " ,;:", (title, rest[:20])
    assert cut == [
        'On 28 May 2024, ICMPD and the HEROES project launched the "Manual for Early Identification of Potential…'
    ]


def test_a_long_first_sentence_gives_a_clause_headline_and_a_summary_that_carries_on() -> None:
    body = (
        "ICMPD and the Ministry of Interior of Tunisia hosted the seventh International Border Management "
        "Conference (IBMC) in Tunis, on 27-28 November 2024. Delegations from 40 countries attended."
    )
    assert derive_title(body) == (
        "ICMPD and the Ministry of Interior of Tunisia hosted the seventh International Border Management "
        "Conference (IBMC)"
    )
    assert derive_summary(body) == "…in Tunis, on 27-28 November 2024. Delegations from 40 countries attended."


def test_a_short_first_sentence_is_the_headline_and_the_summary_is_what_follows() -> None:
    body = "Today is the International Migrants Day. We celebrate.\n\nA second paragraph."
    assert derive_title(body) == "Today is the International Migrants Day"
    assert derive_summary(body) == "We celebrate. A second paragraph."
    assert derive_summary("One sentence only.") == ""


def test_names_and_quotes_are_not_split() -> None:
    body = (
        "On the occasion of the Kingdom of Sweden taking on the Chairmanship of the International Centre for "
        "Migration Policy Development Steering Group for 2025, the Commissioner spoke."
    )
    # Not "… of Sweden taking" (a gerund keeps its word), not "… International Centre" (inside a name).
    assert derive_title(body) == (
        "On the occasion of the Kingdom of Sweden taking on the Chairmanship of the International Centre for "
        "Migration Policy Development Steering Group"
    )
    quoted = "The project “Re-thinking approaches to labour migration in all of the EU Member States and beyond” mapped needs across the EU, with partners."
    assert derive_title(quoted).count("“") == derive_title(quoted).count("”")


def test_an_explicit_title_keeps_the_first_paragraph_as_summary() -> None:
    body = "The body starts differently. It goes on.\n\nSecond paragraph."
    assert derive_summary(body, "A headline from the source") == "The body starts differently. It goes on."


def test_keys_and_slugs_still_derive_from_the_first_sentence_cut_at_110() -> None:
    """Release keys and slugs are built from identity_title, which is what headlines used to be: a release ingested
    again (or into a new store) gets the key, slug and GUID it always had."""
    body = (
        "ICMPD and the Ministry of Interior of Tunisia hosted the seventh International Border Management "
        "Conference (IBMC) in Tunis, on 27-28 November 2024."
    )
    assert identity_title(body) == (
        "ICMPD and the Ministry of Interior of Tunisia hosted the seventh International Border Management Conference…"
    )
    assert (
        slugify(identity_title(body))
        == "icmpd-and-the-ministry-of-interior-of-tunisia-hosted-the-seventh-international"
    )


# ---------------------------------------------------------------- slugs for every script


def _old_slugify(text: str, max_len: int = 80) -> str:
    """slugify as it was before transliteration (frozen here): Latin text must keep exactly these slugs."""
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    slug = ""
    for w in re.findall(r"[a-z0-9]+", norm):
        candidate = f"{slug}-{w}" if slug else w
        if len(candidate) > max_len:
            break
        slug = candidate
    return slug or "item"


def test_non_latin_titles_get_transliterated_slugs() -> None:
    assert slugify("Москва и Киев: новые проекты") == "moskva-i-kiev-novye-proekty"
    assert slugify("中国与欧盟合作") == "zhong-guo-yu-ou-meng-he-zuo"
    assert slugify("Ελληνικά νέα") == "ellinika-nea"
    assert slugify("Straße in Łódź") == "strasse-in-lodz"
    assert slugify("Ukraine’s Vice Prime Minister & ICMPD: «Talks»") == "ukraines-vice-prime-minister-icmpd-talks"


@given(st.text(alphabet=st.characters(codec="latin-1"), max_size=200))
def test_latin_text_keeps_the_slug_it_always_had(text: str) -> None:
    # Latin-1 letters all decompose to ASCII except a few (ß, ø, æ, ð, þ...) that used to vanish.
    if all(not ch.isalnum() or unicodedata.normalize("NFKD", ch).encode("ascii", "ignore") for ch in text):
        assert slugify(text) == _old_slugify(text)


# ---------------------------------------------------------------- fast helpers equal the plain ones


@given(st.text(alphabet=st.sampled_from(" \t\n\r\x0b\x0c\x1c\x85\xa0\u2003\u2028\u3000\u200bab-"), max_size=40))
def test_collapse_spaces_is_the_whitespace_regex(text: str) -> None:
    assert collapse_spaces(text) == re.sub(r"\s+", " ", text)


def test_collapse_spaces_knows_every_whitespace_character() -> None:
    for ch in map(chr, range(0x3100)):
        text = f" a{ch}{ch}b{ch}"
        assert collapse_spaces(text) == re.sub(r"\s+", " ", text), hex(ord(ch))


@given(st.text(max_size=80))
def test_ascii_text_slugs_as_before(text: str) -> None:
    # The ASCII shortcut of slugify must give what decomposing character by character gave.
    plain = "".join(unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode() for ch in text)
    assert slugify(plain) == _old_slugify(plain)


def _old_ascii(text: str) -> str:
    """_ascii as it was before its translate table (frozen here), one character at a time."""
    from anyascii import anyascii

    out = []
    for ch in text:
        plain = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii")
        if plain or not ch.isalnum():
            out.append(plain)
        else:
            out.append(f" {anyascii(ch)} " if unicodedata.east_asian_width(ch) in "WF" else anyascii(ch))
    return "".join(out)


@given(st.text(max_size=80))
def test_transliteration_table_gives_what_per_character_decomposition_gave(text: str) -> None:
    from publisher.text import _ascii

    assert _ascii(text) == _old_ascii(text)


def test_tagged_text_reads_a_headline_the_body_starts_with_once() -> None:
    body = "Fifty practitioners from Germany, the Netherlands, Romania, Poland and Bulgaria trained in Bonn."
    assert tagged_text(derive_title(body), body) == body
    assert tagged_text("Fifty practitioners from Germany, the Netherlands, Romania…", body) == body
    # a headline of its own is read before the body
    assert tagged_text("Anti-trafficking course in Bonn", body) == f"Anti-trafficking course in Bonn\n\n{body}"
    assert tagged_text("", body) == body


def test_a_headline_cut_inside_a_list_adds_no_country(default_classifier: Any) -> None:
    body = (
        "Fifty anti-trafficking practitioners from Germany, the Netherlands, Romania, Poland and Bulgaria "
        "completed a five-day simulation training today in Brühl, Germany."
    )
    title = derive_title(body)
    assert [t.slug for t in default_classifier.classify(tagged_text(title, body)).countries] == ["DE"]
