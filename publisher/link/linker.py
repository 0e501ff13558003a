"""Decide which projects a release is about: named ones first, otherwise at most one clear winner."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from publisher.classify import country_name
from publisher.config import LinkingConfig
from publisher.link import wording
from publisher.link.forms import name_forms, short_names
from publisher.link.names import MentionIndex, MentionKind, phase_base, tokens
from publisher.link.profiles import Candidate, Evidence, EvidenceKind, LinkResult, ProjectProfile, ReleaseProfile
from publisher.link.reasons import join, reader_reasons, sentence_case, years

# Evidence weights; a score is their sum, capped at 1. With the default threshold 0.5 a name alone links,
# geography alone never does, and geography plus subject links only when it clearly beats the runner-up.
W_MENTION = 0.6  # the release names the project (acronym, name or alias)
W_PHASE = 0.55  # ... or another phase of it ("BOMCA 10" for "BOMCA 9")
W_FAMILY = 0.3  # ... or a project whose name is part of this one's name, or the other way round
W_COUNTRY = 0.25  # shares a country with the project
W_COUNTRY_FOCUS = 0.1  # ... scaled by how much of both country lists the shared ones cover
W_REGION = 0.08  # shares only a region
W_TOPIC = 0.15  # per shared core topic
W_TOPIC_MAX = 0.25
W_TEXT = 0.25  # distinctive-wording cosine, reaching full weight at TEXT_FULL
TEXT_FULL = 0.25
MIN_SHARED_TERMS = 2  # fewer shared distinctive words scale the wording weight down
W_DATE = 0.05  # published while the project ran
# A release may announce a project shortly before it starts, and report on it for a while after it ends.
GRACE_BEFORE = dt.timedelta(days=120)
GRACE_AFTER = dt.timedelta(days=365)
# A release that does not name a project and comes out before it starts is not about its work (a launch names
# what it launches); the month allows for start dates rounded to the month.
GRACE_BEFORE_UNNAMED = dt.timedelta(days=30)
# Without a name, a link must beat the runner-up by this much: siblings sharing country and topic tie.
MARGIN = 0.12
FOCUS = 0.5  # without a mention, at least this share of the release's countries must be the project's


@dataclass
class _Scored:
    index: int
    evidence: list[Evidence] = field(default_factory=list)
    mention: Evidence | None = None  # MENTION, PHASE or FAMILY
    family_of: int | None = None  # the named project for FAMILY
    anchored: bool = False  # shares a country (or a region, for a project without countries)
    in_dates: bool | None = None  # None: the project has no dates
    subject: bool = False  # shares a topic and distinctive wording
    topic: bool = False
    focus: float = 1.0  # the share of the release's countries that are the project's

    @property
    def score(self) -> float:
        return round(min(1.0, sum(e.weight for e in self.evidence)), 4)


_country = functools.cache(country_name)
# A release announcing a project of its own, new: "signed a grant agreement for a new UNODC project".
_NEW_PROJECT = re.compile(r"\ba\s+new\s+(?:[\w-]+\s+){0,3}?(?:project|programme|program|initiative)\b", re.IGNORECASE)
NEW_AFTER_DAYS = 365  # a project that started this long before a release announcing "a new project" is not it
_PHASES = re.compile(
    r"\b(?:all|both|each\s+of|(?:\w+\s+)?(?:consecutive|successive|its|their))\s+phases\b", re.IGNORECASE
)


class Linker:
    """Precomputes mention forms, country/region indexes and term vectors of the projects; `link` and `explain`
    are pure and deterministic, and cost what the release's candidates cost, not what all projects do."""

    def __init__(
        self,
        projects: Sequence[ProjectProfile],
        config: LinkingConfig,
        *,
        topic_names: Mapping[str, str] | None = None,
        region_names: Mapping[str, str] | None = None,
        topic_words: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        self.config = config
        self.projects = list(projects)
        self._topic_names = dict(topic_names or {})
        # The terms of each topic's keywords: a shared topic already counts them, so they are no wording evidence
        # for that topic's projects ("trafficking, smuggling" is what every trafficking project says).
        self._topic_terms = {slug: wording.keyword_terms(words) for slug, words in (topic_words or {}).items()}
        self._region_names = dict(region_names or {})
        forms = [name_forms(p.name, p.acronym, p.aliases, p.acronyms) for p in self.projects]
        shorts = short_names([names[0] for _, names in forms], wording.place_words())
        self._mentions = MentionIndex([(a, [*n, s] if s else n) for (a, n), s in zip(forms, shorts, strict=True)])
        # The phase-free base of each form ("bomca" of "BOMCA 9"): projects sharing one are phases of each other.
        self._bases = [{" ".join(phase_base(tokens(f))).lower() for f in (*acr, *names)} for acr, names in forms]
        # Variants by region or country of one programme ("GLOJAT-BD", "GLOJAT-AME" of "GLOJAT") compete like
        # phases: naming one does not name the others, and the others are not its family.
        acronyms = {a.lower() for acr, _ in forms for a in acr}
        for bases, (acr, _) in zip(self._bases, forms, strict=True):
            bases.update(
                head for a in acr if (head := re.split(r"[-‐–\s]", a.lower())[0]) != a.lower() and head in acronyms
            )
        self._name_tokens = [[tuple(t.lower() for t in tokens(n)) for n in names] for _, names in forms]
        docs = [Counter(wording.terms(f"{p.name} {p.text}")) for p in self.projects]
        self._space = wording.TermSpace(docs)
        self._vectors = [self._space.vector(d) for d in docs]
        self._norms = [wording.norm(v) for v in self._vectors]
        self._by_country: dict[str, list[int]] = {}
        self._by_region: dict[str, list[int]] = {}
        # (country, topic) → projects, and (region, topic) for projects without countries: the candidates a
        # release without a name can have.
        self._by_place_topic: dict[tuple[str, str], list[int]] = {}
        for i, p in enumerate(self.projects):
            for c in p.countries:
                self._by_country.setdefault(c, []).append(i)
            for r in p.regions:
                self._by_region.setdefault(r, []).append(i)
            for place in p.countries or p.regions:
                for t in p.topics:
                    self._by_place_topic.setdefault((place, t), []).append(i)
        self._family = self._families()
        # For the quick test of unnamed candidates: each project's dates with the grace as day numbers (undated
        # ends are open), and its distinctive terms as a set.
        self._window = [self._day_window(p) for p in self.projects]
        self._term_sets = [frozenset(v) for v in self._vectors]

    @staticmethod
    def _day_window(p: ProjectProfile) -> tuple[int, int]:
        lo = (p.start_date - GRACE_BEFORE_UNNAMED).toordinal() if p.start_date else 0
        hi = (p.end_date + GRACE_AFTER).toordinal() if p.end_date else 10**9
        return lo, hi

    def _families(self) -> dict[int, list[int]]:
        """Projects whose name contains another project's name ("Prague Process" in "Prague Process: Dialogue,
        Analyses and Trainings in Action"): naming one says the other's subject is the same."""
        out: dict[int, list[int]] = {}
        by_first: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
        for i, names in enumerate(self._name_tokens):
            for n in names:
                if len(n) >= 2:
                    by_first.setdefault(n[0], []).append((i, n))
        for i, names in enumerate(self._name_tokens):
            for n in names:
                for start, tok in enumerate(n):
                    for j, other in by_first.get(tok, ()):
                        # Phases share a base ("X" and "X II"): they compete as phases, not as one family.
                        if j == i or self._bases[i] & self._bases[j]:
                            continue
                        if len(other) < len(n) and n[start : start + len(other)] == other:
                            out.setdefault(i, []).append(j)
                            out.setdefault(j, []).append(i)
        return {k: sorted(set(v)) for k, v in out.items()}

    # -- evidence

    def _named(self, release: ReleaseProfile) -> dict[int, _Scored]:
        """Projects the release names, with phase variants resolved: an exact name beats another project's
        phase of the same base, and among several phases the one running at publication wins. A project named
        only as what another named phase continues ("NORTHAM Plus, the second phase of <NORTHAM's name>") is
        not named for itself."""
        found: dict[int, _Scored] = {}
        pointed: dict[int, bool] = {}  # project -> named only as what another phase continues
        for m in self._mentions.scan(f"{release.title}\n\n{release.text}"):
            kind = EvidenceKind.MENTION if m.kind is MentionKind.EXACT else EvidenceKind.PHASE
            weight = W_MENTION if kind is EvidenceKind.MENTION else W_PHASE
            pointed[m.project] = pointed.get(m.project, True) and m.continued
            have = found.get(m.project)
            if have is None or (have.mention is not None and have.mention.weight < weight):
                found[m.project] = _Scored(m.project, mention=Evidence(kind, weight, m.text))
        for i in [i for i in found if pointed[i]]:
            if any(j != i and not pointed[j] and self._bases[i] & self._bases[j] for j in found):
                del found[i]
        exact = [i for i, s in found.items() if s.mention is not None and s.mention.kind is EvidenceKind.MENTION]
        phase = [i for i, s in found.items() if s.mention is not None and s.mention.kind is EvidenceKind.PHASE]
        # "the programme ... through four consecutive phases": a text about every phase names each of them
        every_phase = bool(phase) and "phases" in release.text and _PHASES.search(release.text) is not None
        for i in phase:
            rivals = [j for j in phase if self._bases[i] & self._bases[j]]
            nearest = min(self.projects[j].days_from(release.published) for j in rivals)
            if any(self._bases[i] & self._bases[j] for j in exact) or (
                not every_phase and self.projects[i].days_from(release.published) > nearest
            ):
                del found[i]
        return found

    def _started_long_before(self, s: _Scored, r: ReleaseProfile) -> bool:
        start = self.projects[s.index].start_date
        return start is not None and (r.published - start).days > NEW_AFTER_DAYS

    def _in_dates(self, p: ProjectProfile, day: dt.date, *, named: bool) -> bool | None:
        if p.start_date is None and p.end_date is None:
            return None
        if p.start_date is not None and day < p.start_date - (GRACE_BEFORE if named else GRACE_BEFORE_UNNAMED):
            return False
        return not (p.end_date is not None and day > p.end_date + GRACE_AFTER)

    def _hopeful(self, js: set[int], r: ReleaseProfile, rvec: dict[str, float]) -> list[int]:
        """Of these unnamed candidates (sharing a place and a topic), the ones that could be linked: inside their
        dates and with at least two distinctive words in common. Set and integer tests only, before any
        evidence is built."""
        day = r.published.toordinal()
        rterms = rvec.keys()
        window, terms = self._window, self._term_sets
        return [
            j for j in sorted(js) if window[j][0] <= day <= window[j][1] and len(terms[j] & rterms) >= MIN_SHARED_TERMS
        ]

    def _score(self, s: _Scored, r: ReleaseProfile, rvec: dict[str, float], rnorm: float) -> _Scored:
        p = self.projects[s.index]
        if s.mention is not None:
            s.evidence.append(s.mention)
        shared = sorted(r.countries & p.countries)
        if shared:
            cover = len(shared) / len(r.countries | p.countries)
            s.focus = len(shared) / len(r.countries)
            names = [_country(c) for c in shared]
            s.evidence.append(
                Evidence(EvidenceKind.COUNTRY, round(W_COUNTRY + W_COUNTRY_FOCUS * cover, 4), join(names))
            )
            s.anchored = True
        else:
            regions = sorted(r.regions & p.regions)
            if regions:
                s.evidence.append(
                    Evidence(EvidenceKind.REGION, W_REGION, self._region_names.get(regions[0], regions[0]))
                )
                s.anchored = not p.countries
        topics = sorted(r.topics & p.topics)
        if topics:
            names = [sentence_case(self._topic_names.get(t, t.replace("-", " "))) for t in topics]
            s.evidence.append(Evidence(EvidenceKind.TOPIC, min(W_TOPIC_MAX, W_TOPIC * len(topics)), join(names)))
        pvec = self._vectors[s.index]
        products = wording.shared(rvec, pvec)
        if products and rnorm and self._norms[s.index]:
            cosine = sum(products.values()) / (rnorm * self._norms[s.index])
            words = wording.distinctive(products)
            weight = W_TEXT * min(1.0, cosine / TEXT_FULL) * min(1.0, len(words) / MIN_SHARED_TERMS)
            if weight >= 0.01:
                s.evidence.append(Evidence(EvidenceKind.WORDING, round(weight, 4), ", ".join(words[:5])))
            # Without a name, "clearly the same subject" takes a shared topic and at least two shared distinctive
            # words beyond that topic's own keywords: a topic alone is every sibling project's topic, its
            # keywords ("trafficking, smuggling") are what every project of it says, one rare word is chance.
            for terms in self._topic_terms.values():
                words = wording.without_keywords(words, terms)
            s.subject = bool(topics) and len(words) >= MIN_SHARED_TERMS
        s.topic = bool(topics)
        s.in_dates = self._in_dates(p, r.published, named=s.mention is not None)
        if s.in_dates:
            s.evidence.append(Evidence(EvidenceKind.DATES, W_DATE, years(p)))
        return s

    def _candidates(self, r: ReleaseProfile, *, full: bool) -> list[_Scored]:
        text = f"{r.title}\n\n{r.text}"
        rvec = self._space.vector(Counter(wording.terms(text)))
        rnorm = wording.norm(rvec)
        found = self._named(r)
        for i in list(found):
            for j in self._family.get(i, ()):
                if j not in found:
                    named = self.projects[i]
                    kind = "dialogue" if tokens(named.name)[-1:] in (["Process"], ["Dialogue"]) else "programme"
                    found[j] = _Scored(j, mention=Evidence(EvidenceKind.FAMILY, W_FAMILY, f"{kind}: {named.display}"))
                    found[j].family_of = i
        if full:  # `explain`: every project sharing a country (or a region, when it has no countries)
            for c in r.countries:
                for j in self._by_country.get(c, ()):
                    found.setdefault(j, _Scored(j))
            for reg in r.regions:
                for j in self._by_region.get(reg, ()):
                    if not self.projects[j].countries:
                        found.setdefault(j, _Scored(j))
        else:
            # `link` needs only unnamed candidates that could win or be the runner-up: those sharing a place
            # *and* a topic (one index lookup per pair), in their dates, with two distinctive words in common.
            js: set[int] = set()
            for place in (*r.countries, *r.regions):
                for t in r.topics:
                    js.update(self._by_place_topic.get((place, t), ()))
            for j in self._hopeful(js - found.keys(), r, rvec):
                found[j] = _Scored(j)
        return [self._score(s, r, rvec, rnorm) for s in found.values()]

    # -- decisions

    def _decide(self, r: ReleaseProfile, *, full: bool = False) -> list[tuple[_Scored, bool, str]]:
        """Every candidate with (linked?, why); without `full`, hopeless unnamed candidates are left out."""
        scored = sorted(self._candidates(r, full=full), key=lambda s: (-s.score, self.projects[s.index].key))
        named = [s for s in scored if s.mention is not None and s.mention.kind is not EvidenceKind.FAMILY]
        threshold = self.config.threshold
        out: list[tuple[_Scored, bool, str]] = []
        if named:
            names = join([self.projects[s.index].display for s in named][:3])
            for s in scored:
                if s.mention is not None and s.mention.kind is not EvidenceKind.FAMILY:
                    ok = s.score >= threshold
                    out.append((s, ok, "" if ok else f"score {s.score:.2f} below the threshold {threshold:.2f}"))
                elif s.mention is not None:
                    ok = s.score >= threshold
                    out.append(
                        (
                            s,
                            ok,
                            "" if ok else f"same {s.mention.detail}, but score {s.score:.2f} is below the threshold",
                        )
                    )
                else:
                    # A release that names its project is about that one; an unnamed sibling sharing its country,
                    # topic and wording is the usual neighbour, not a second subject (across the dev and held-out
                    # sets such a link was never right).
                    out.append((s, False, f"the release names {names}, not this project"))
            return out
        eligible = []
        for s in scored:
            if not self.config.unnamed:
                out.append((s, False, "not named (linking.unnamed is off)"))
            elif not s.anchored:
                out.append((s, False, "no shared country and not named"))
            elif s.in_dates is False:
                p = self.projects[s.index]
                out.append((s, False, f"published {r.published.isoformat()}, outside the project's dates ({years(p)})"))
            elif not s.subject:
                why = "shares a topic but not its distinctive words" if s.topic else "shares only geography"
                out.append((s, False, why))
            elif s.focus < FOCUS:
                out.append((s, False, "the release is about more countries than the project works in"))
            elif s.in_dates is None:
                # Country, topic and wording are what siblings share; only the dates can tell a release about
                # this project from one about its neighbour, so an unnamed undated project is never linked.
                out.append((s, False, "not named, and the project has no dates to place the release in"))
            elif self._started_long_before(s, r) and _NEW_PROJECT.search(r.text):
                # "a grant agreement for a new project that will ...": not the one that started years ago
                out.append(
                    (s, False, f"the release announces a new project; this one ran {years(self.projects[s.index])}")
                )
            else:
                eligible.append(s)

        eligible.sort(key=lambda s: (-s.score, self.projects[s.index].key))
        for n, s in enumerate(eligible):
            if n == 0:
                runner = eligible[1].score if len(eligible) > 1 else 0.0
                if s.score < threshold:
                    out.append((s, False, f"score {s.score:.2f} below the threshold {threshold:.2f}"))
                elif s.score - runner < MARGIN:
                    rival = self.projects[eligible[1].index].display
                    out.append((s, False, f"does not clearly beat {rival} ({s.score:.2f} vs {runner:.2f})"))
                else:
                    out.append((s, True, ""))
            else:
                out.append(
                    (
                        s,
                        False,
                        f"{self.projects[eligible[0].index].display} fits better; without a name at most one link",
                    )
                )
        return out

    def link(self, release: ReleaseProfile) -> list[LinkResult]:
        """Projects related to `release`, best first, ties by key, at most max_links."""
        results = [
            LinkResult(self.projects[s.index].key, s.score, reader_reasons(s.mention, s.evidence), tuple(s.evidence))
            for s, ok, _ in self._decide(release)
            if ok
        ]
        results.sort(key=lambda x: (-x.score, x.key))
        return results[: self.config.max_links]

    def explain(self, release: ReleaseProfile) -> list[Candidate]:
        """Every candidate project (named, or sharing a country or region) with its evidence and verdict."""
        linked = {x.key for x in self.link(release)}
        out = []
        for s, ok, why in self._decide(release, full=True):
            p = self.projects[s.index]
            if ok and p.key not in linked:
                why = f"more than linking.max_links={self.config.max_links} links"
            out.append(
                Candidate(
                    p.key,
                    p.display,
                    s.score,
                    tuple(s.evidence),
                    p.key in linked,
                    "; ".join(reader_reasons(s.mention, s.evidence)) if p.key in linked else why,
                )
            )
        return out
