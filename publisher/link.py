"""Score how related each project is to a press release and keep the best links, with reasons."""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from publisher.classify import Classification, Classifier, country_name
from publisher.config import LinkingConfig
from publisher.gazetteer import gazetteer
from publisher.sources.base import ProjectRecord

# Evidence weights; a score is their sum, capped at 1. Calibrated so that the default threshold 0.5
# means "named explicitly" or "same country and clearly the same subject", never geography alone.
W_MENTION = 0.6  # the release names the project (acronym or full name)
W_MENTION_PHASE = 0.55  # ... or another phase of it ("BOMCA 10" for "BOMCA 9")
W_COUNTRY = 0.3  # shares a country with the project
W_COUNTRY_FOCUS = 0.1  # ... scaled by how much of both country lists the shared ones cover
W_REGION = 0.1  # shares only a region
W_TOPIC = 0.15  # per shared core topic
W_TOPIC_MAX = 0.25
W_TEXT = 0.3  # TF-IDF cosine, reaching full weight at TEXT_FULL
TEXT_FULL = 0.3
W_DATE = 0.05  # published while the project ran (or within DATE_GRACE after)
DATE_GRACE = dt.timedelta(days=365)
# A project topic is "core" when it scores at least this share of the project's strongest topic:
# long project texts touch many topics in passing, and those must not drive links.
CORE_TOPIC_SHARE = 0.35
# Without an anchor (a mention or a shared country), topic and wording overlap only says "similar
# subject elsewhere" (a Rabat Process meeting is not a Prague Process event), so it counts this much.
NO_ANCHOR_FACTOR = 0.5
MAX_TERMS = 3
# Wording counts fully only when at least this many content words are shared (unless the project is named).
MIN_SHARED_TERMS = 3

_WORD = re.compile(r"[a-zà-ÿ][a-zà-ÿ'’-]+[a-zà-ÿ]")
# Function words plus words every text in this domain uses; they say nothing about which project.
_STOP = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "ours",
        "within",
        "well",
        "new",
        "year",
        "years",
        "one",
        "two",
        "three",
        "first",
        "second",
        "also",
        "including",
        "icmpd",
        "international",
        "centre",
        "center",
        "migration",
        "policy",
        "development",
        "project",
        "projects",
        "programme",
        "program",
        "initiative",
        "action",
        "objective",
        "objectives",
        "specific",
        "overall",
        "aim",
        "support",
        "activities",
        "implementation",
        "implement",
        "implemented",
        "through",
        "area",
        "areas",
        "level",
        "national",
        "partner",
        "partners",
        "partnership",
        "government",
        "country",
        "countries",
        "ministry",
        "state",
        "states",
        "organisation",
        "organisations",
        "organization",
        "based",
        "further",
        "mr",
        "ms",
        "held",
        "took",
        "place",
        "launched",
        "launch",
        "launches",
        "hosted",
        "organised",
        "organized",
        "published",
        "announced",
        "opened",
        "presented",
        "discussed",
        "gathered",
        "met",
        "today",
        "week",
        "month",
        "participant",
        "participants",
        "representative",
        "representatives",
        "event",
    ]
)
# A phase number after an acronym: "BOMCA 10", "ENIGMMA-2", "MIEUX Phase IV". Roman numerals need a
# separator, or "MIEUX" would read as "MIEU" phase 10.
_PHASE_SUFFIX = r"(?:[\s-]+(?:[Pp]hase\s*)?(?:\d{1,2}|[IVX]{1,4})|\d{1,2})?"
_PHASE = re.compile(r"^(?P<base>.*?[A-Za-z])(?:[\s-]+(?:phase\s*)?(?:\d{1,2}|[IVX]{1,4})|\d{1,2})$", re.IGNORECASE)


@dataclass(frozen=True)
class ProjectProfile:
    key: str  # the project's slug (stable id)
    name: str
    acronym: str
    text: str  # objective + description etc.
    countries: frozenset[str]
    regions: frozenset[str]
    topics: frozenset[str]
    start_date: dt.date | None
    end_date: dt.date | None


@dataclass(frozen=True)
class ReleaseProfile:
    title: str
    text: str
    published: dt.date
    countries: frozenset[str]
    regions: frozenset[str]
    topics: frozenset[str]


@dataclass(frozen=True)
class LinkResult:
    key: str
    score: float  # 0..1, rounded to 4 decimals
    reasons: tuple[str, ...]


# ---------------------------------------------------------------- building profiles


def project_text(record: ProjectRecord) -> str:
    """The words of a project that describe what it is about (for classification and similarity)."""
    parts = [record.name, record.objective, *record.specific_objectives, record.description]
    return "\n\n".join(p for p in parts if p)


def core_topics(classification: Classification) -> frozenset[str]:
    """Topics that are central to a long text, not merely touched on."""
    if not classification.topics:
        return frozenset()
    top = max(t.score for t in classification.topics)
    return frozenset(t.slug for t in classification.topics if t.score >= CORE_TOPIC_SHARE * top)


def build_project_profile(key: str, record: ProjectRecord, classifier: Classifier) -> ProjectProfile:
    """A project's profile: countries from its Country field, else from its text; regions and core topics
    from classifying its text."""
    text = project_text(record)
    cls = classifier.classify(text)
    countries = frozenset(record.countries) or frozenset(t.slug for t in cls.countries)
    regions = set(t.slug for t in cls.regions)
    for code in countries:  # the Country field's countries place the project in their regions too
        regions.update(classifier.regions_of(code))
    return ProjectProfile(
        key=key,
        name=record.name,
        acronym=record.acronym,
        text=text,
        countries=countries,
        regions=frozenset(regions),
        topics=core_topics(cls),
        start_date=record.start_date,
        end_date=record.end_date,
    )


def build_release_profile(title: str, text: str, published: dt.date, classifier: Classifier) -> ReleaseProfile:
    return release_profile(title, text, published, classifier.classify(f"{title}\n\n{text}" if title else text))


def release_profile(title: str, text: str, published: dt.date, cls: Classification) -> ReleaseProfile:
    """A release's profile from its already computed classification."""
    return ReleaseProfile(
        title=title,
        text=text,
        published=published,
        countries=frozenset(t.slug for t in cls.countries),
        regions=frozenset(t.slug for t in cls.regions),
        topics=frozenset(t.slug for t in cls.topics),
    )


# ---------------------------------------------------------------- text similarity


@functools.cache
def _place_words() -> frozenset[str]:
    return gazetteer().place_words()


def _terms(text: str) -> list[str]:
    """Content words for similarity. Place names are left out: geography is scored once, as shared countries,
    and "Azerbaijan" in both texts says nothing more about whether they share a subject."""
    places = _place_words()
    out = []
    for w in _WORD.findall(text.lower().replace("’", "'")):
        w = w.strip("'-")
        if w.endswith("'s"):
            w = w[:-2]
        if len(w) < 3 or w in _STOP or w in places:
            continue
        # A light plural fold: enough for "borders"/"border", harmless elsewhere.
        if len(w) > 4 and w.endswith("ies"):
            w = w[:-3] + "y"
        elif len(w) > 4 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
            w = w[:-1]
        if w not in _STOP:
            out.append(w)
    return out


def _phrase_pattern(phrase: str, *, ignore_case: bool) -> str:
    words = [re.escape(w) for w in re.findall(r"[^\s]+", phrase)]
    body = r"[\s\-–:,]+".join(words)
    return ("(?i:" + body + ")") if ignore_case else body


@dataclass
class _Compiled:
    profile: ProjectProfile
    vector: dict[str, float]
    norm: float


def _mention_key(text: str) -> str:
    return re.sub(r"[\s\-–:,]+", " ", text).strip()


class Linker:
    """Precomputes mention patterns and a TF-IDF inverted index over the projects; `link` is pure and
    deterministic."""

    def __init__(self, projects: Sequence[ProjectProfile], config: LinkingConfig) -> None:
        self.config = config
        docs = [Counter(_terms(f"{p.name} {p.acronym} {p.text}")) for p in projects]
        df: Counter[str] = Counter()
        for d in docs:
            df.update(d.keys())
        n = len(docs)
        # Smoothed IDF: with few projects, a word in all of them still carries a little weight.
        self._idf = {t: math.log((n + 1) / (c + 0.5)) + 0.1 for t, c in df.items()}
        self._projects: list[_Compiled] = []
        self._postings: dict[str, list[tuple[int, float]]] = {}
        for i, (p, counts) in enumerate(zip(projects, docs, strict=True)):
            vec = self._weigh(counts)
            for term, weight in vec.items():
                self._postings.setdefault(term, []).append((i, weight))
            self._projects.append(_Compiled(p, vec, math.sqrt(sum(v * v for v in vec.values()))))
        # One regex for all names and acronyms; a match is mapped back to projects by its normalised text.
        self._exact: dict[str, list[int]] = {}
        self._phase: dict[str, list[int]] = {}
        alts: set[str] = set()
        for i, p in enumerate(projects):
            acronym = p.acronym.strip()
            if acronym and sum(c.isupper() for c in acronym) >= 2:
                self._exact.setdefault(_mention_key(acronym), []).append(i)
                alts.add(_phrase_pattern(acronym, ignore_case=False))
                m = _PHASE.match(acronym)
                if m and sum(c.isupper() for c in m.group("base")) >= 2:
                    self._phase.setdefault(_mention_key(m.group("base")), []).append(i)
                    alts.add(_phrase_pattern(m.group("base"), ignore_case=False) + _PHASE_SUFFIX)
            name = p.name.strip()
            # A name is only distinctive with at least two capitalised words ("Prague Process").
            if len(name.split()) >= 2 and sum(1 for w in name.split() if w[:1].isupper()) >= 2:
                self._exact.setdefault(_mention_key(name), []).append(i)
                alts.add(_phrase_pattern(name, ignore_case=False))
        ordered = sorted(alts, key=lambda a: (-len(a), a))  # longest first: "PP DATA" before "PP"
        self._mention_re = re.compile(r"(?<!\w)(?:" + "|".join(ordered) + r")(?!\w)") if ordered else None

    def _weigh(self, counts: Counter[str]) -> dict[str, float]:
        return {t: (1 + math.log(c)) * self._idf[t] for t, c in counts.items() if t in self._idf}

    def _mentions(self, full: str) -> dict[int, tuple[float, str]]:
        """project index -> (weight, matched text) of its strongest mention."""
        found: dict[int, tuple[float, str]] = {}
        if self._mention_re is None:
            return found
        for m in self._mention_re.finditer(full):
            key = _mention_key(m.group())
            for i in self._exact.get(key, ()):
                if found.get(i, (0.0, ""))[0] < W_MENTION:
                    found[i] = (W_MENTION, m.group())
            pm = _PHASE.match(key)
            for base in {key, pm.group("base").strip() if pm else key}:
                for i in self._phase.get(base, ()):
                    if i not in found:
                        found[i] = (W_MENTION_PHASE, m.group())
        return found

    def _evaluate(self, release: ReleaseProfile) -> list[tuple[float, int, list[str]]]:
        full = f"{release.title}\n\n{release.text}"
        rvec = self._weigh(Counter(_terms(full)))
        rnorm = math.sqrt(sum(v * v for v in rvec.values()))
        dots: dict[int, float] = {}
        for term, weight in rvec.items():
            for i, pw in self._postings.get(term, ()):
                dots[i] = dots.get(i, 0.0) + weight * pw
        mentions = self._mentions(full)
        out = []
        for i, c in enumerate(self._projects):
            cosine = dots.get(i, 0.0) / (rnorm * c.norm) if rnorm and c.norm else 0.0
            score, reasons = self._score(c, release, mentions.get(i), cosine, rvec)
            out.append((round(min(score, 1.0), 4), i, reasons))
        return out

    def link(self, release: ReleaseProfile) -> list[LinkResult]:
        """Projects related to `release` above the threshold, best first, ties by key, at most max_links."""
        results = [
            LinkResult(self._projects[i].profile.key, score, tuple(reasons))
            for score, i, reasons in self._evaluate(release)
            if score >= self.config.threshold and score > 0
        ]
        results.sort(key=lambda r: (-r.score, r.key))
        return results[: self.config.max_links]

    def explain(self, release: ReleaseProfile) -> list[LinkResult]:
        """Every project's score for `release`, unfiltered (for debugging and calibration)."""
        out = [LinkResult(self._projects[i].profile.key, s, tuple(r)) for s, i, r in self._evaluate(release)]
        return sorted(out, key=lambda r: (-r.score, r.key))

    def _score(
        self,
        c: _Compiled,
        r: ReleaseProfile,
        mention: tuple[float, str] | None,
        cosine: float,
        rvec: dict[str, float],
    ) -> tuple[float, list[str]]:
        p = c.profile
        score = 0.0
        reasons: list[str] = []
        if mention is not None:
            score += mention[0]
            reasons.append(f'mentions "{mention[1]}"')

        shared = sorted(r.countries & p.countries)
        if shared:
            cover = len(shared) / len(r.countries | p.countries)
            score += W_COUNTRY + W_COUNTRY_FOCUS * cover
            reasons.extend(f"same country: {country_name(code)}" for code in shared[:MAX_TERMS])
        else:
            regions = sorted(r.regions & p.regions)
            if regions:
                score += W_REGION
                reasons.append(f"same region: {regions[0]}")

        topics = sorted(r.topics & p.topics)
        if topics:
            score += min(W_TOPIC_MAX, W_TOPIC * len(topics))
            reasons.extend(f"shared topic: {t}" for t in topics)

        if cosine > 0:
            products = {t: w * c.vector[t] for t, w in rvec.items() if t in c.vector}
            text_score = W_TEXT * min(1.0, cosine / TEXT_FULL)
            if mention is None and len(products) < MIN_SHARED_TERMS:
                # One rare word in common makes a short release look "similar"; it is not a shared subject.
                text_score *= len(products) / MIN_SHARED_TERMS
            score += text_score
            if cosine >= 0.05:
                top = sorted(products, key=lambda t: (-products[t], t))[:MAX_TERMS]
                reasons.append("similar wording: " + ", ".join(f'"{t}"' for t in top))

        ran = p.start_date is not None and p.start_date <= r.published
        if ran and (p.end_date is None or r.published <= p.end_date + DATE_GRACE):
            score += W_DATE
            reasons.append("published while the project ran")
        if mention is None and not shared:
            score *= NO_ANCHOR_FACTOR
        return score, reasons
