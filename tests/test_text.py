"""Derived fields: headline titles, summaries, slugs and tag URIs."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from publisher.text import TITLE_MAX, cut_at_word, derive_summary, derive_title, first_sentence, slugify, tag_uri


def test_title_is_first_sentence() -> None:
    assert derive_title("Today is the International Migrants Day. We celebrate.") == (
        "Today is the International Migrants Day"
    )


def test_title_ignores_abbreviations_and_quoted_full_stops() -> None:
    assert first_sentence("Dr. Smith met the U.S. delegation. Then left.") == "Dr. Smith met the U.S. delegation"
    body = "The project “Re-thinking labour migration. Potential and gaps” mapped needs. More text."
    assert first_sentence(body) == "The project “Re-thinking labour migration. Potential and gaps” mapped needs"


def test_long_title_cut_at_word_boundary() -> None:
    body = (
        "ICMPD and the Ministry of Interior of Tunisia hosted the seventh International Border Management "
        "Conference (IBMC) in Tunis, on 27-28 November 2024."
    )
    title = derive_title(body)
    assert title.endswith("…") and len(title) <= TITLE_MAX
    assert (
        title == "ICMPD and the Ministry of Interior of Tunisia hosted the seventh International Border "
        "Management Conference…"
    )


def test_summary_prefers_whole_sentences() -> None:
    body = ("A" * 150 + ". ") + ("B" * 100 + ". ") + ("C" * 100 + ".")
    s = derive_summary(body)
    assert s == "A" * 150 + ". " + "B" * 100 + "."


def test_slug_and_tag_uri() -> None:
    assert slugify("Ukraine’s Vice Prime Minister & ICMPD: «Talks»") == "ukraines-vice-prime-minister-icmpd-talks"
    assert slugify("!!!") == "item"
    assert tag_uri("news.example.org", dt.date(2025, 1, 2), "a-b") == "tag:news.example.org,2025-01-02:news/a-b"


@given(st.text(min_size=1, max_size=600))
def test_title_and_cut_bounds(text: str) -> None:
    assert len(derive_title(text)) <= TITLE_MAX
    assert len(cut_at_word(text, 50)) <= 50
    assert len(derive_summary(text)) <= 281


@given(st.text(max_size=200))
def test_slug_shape(text: str) -> None:
    s = slugify(text)
    assert s and len(s) <= 80
    assert all(c.isascii() and (c.isalnum() or c == "-") for c in s)
    assert not s.startswith("-") and not s.endswith("-") and "--" not in s
