"""Scores from counts, the mistakes behind them, and the report as text."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from publisher.classify import country_name
from publisher.pipeline.evaluate.gold import GoldRow, resolve_projects
from publisher.pipeline.evaluate.predict import Evidence, Prediction


@dataclass(frozen=True)
class Score:
    """Precision and recall from counts. With nothing predicted precision is 1, with nothing wanted recall is 1."""

    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class LinkScore:
    """Precision counts every kept link that gold accepts (must or ok); recall counts only must-links found."""

    produced: int
    acceptable: int
    must: int
    must_found: int

    @property
    def precision(self) -> float:
        return self.acceptable / self.produced if self.produced else 1.0

    @property
    def recall(self) -> float:
        return self.must_found / self.must if self.must else 1.0


class MistakeKind(StrEnum):
    COUNTRY_MISSING = "country-missing"
    COUNTRY_EXTRA = "country-extra"
    LINK_WRONG = "link-wrong"
    LINK_MISSING = "link-missing"
    REGION_MISSING = "region-missing"
    REGION_EXTRA = "region-extra"
    TOPIC_MISSING = "topic-missing"
    TOPIC_EXTRA = "topic-extra"


@dataclass(frozen=True)
class Mistake:
    release: str  # the gold row's label: release id, or date and phrase
    kind: MistakeKind
    item: str  # country code, project key, region or topic slug
    score: float | None = None  # what the tagger or linker gave it (None: not scored at all)
    reasons: tuple[str, ...] = ()
    note: str = ""  # the gold row's note: which hard case this release is

    @property
    def what(self) -> str:
        kind, item = self.kind.value.split("-")[0], self.item
        if kind == "country":
            item = f"{country_name(item)} ({item})"
        verb = {
            MistakeKind.COUNTRY_MISSING: "missed",
            MistakeKind.COUNTRY_EXTRA: "extra",
            MistakeKind.LINK_WRONG: "wrong link to",
            MistakeKind.LINK_MISSING: "missing link to",
            MistakeKind.REGION_MISSING: "missed region",
            MistakeKind.REGION_EXTRA: "extra region",
            MistakeKind.TOPIC_MISSING: "missed topic",
            MistakeKind.TOPIC_EXTRA: "extra topic",
        }[self.kind]
        return f"{verb} {item}"


@dataclass(frozen=True)
class Report:
    releases: int
    projects: int
    countries: Score
    links: LinkScore
    regions: Score
    topics: Score
    mistakes: tuple[Mistake, ...]

    def to_dict(self) -> dict[str, Any]:
        def score(s: Score) -> dict[str, Any]:
            return {**dataclasses.asdict(s), "precision": s.precision, "recall": s.recall, "f1": s.f1}

        return {
            "releases": self.releases,
            "projects": self.projects,
            "countries": score(self.countries),
            "links": {**dataclasses.asdict(self.links), "precision": self.links.precision, "recall": self.links.recall},
            "regions": score(self.regions),
            "topics": score(self.topics),
            "mistakes": [{**dataclasses.asdict(m), "kind": m.kind.value, "what": m.what} for m in self.mistakes],
        }


def _set_mistakes(
    row: GoldRow,
    found: Mapping[str, Evidence],
    want: frozenset[str],
    optional: frozenset[str],
    missing: MistakeKind,
    extra: MistakeKind,
) -> tuple[int, int, int, list[Mistake]]:
    got = set(found)
    mistakes = [Mistake(row.label, missing, code, note=row.note) for code in sorted(want - got)]
    for code in sorted(got - want - optional):
        mistakes.append(Mistake(row.label, extra, code, found[code].score, found[code].reasons, row.note))
    return len(got & want), len(got - want - optional), len(want - got), mistakes


def score_predictions(
    gold: Sequence[GoldRow],
    predictions: Sequence[Prediction],
    project_refs: Mapping[str, str],
    *,
    projects: int = 0,
    region_members: Mapping[str, Collection[str]] | None = None,
) -> Report:
    """Compare predictions with gold rows (same order). Pure: counts and mistakes only.

    `region_members` (region slug → member codes, from the taxonomy in use) adds to a row's regions those of
    its required countries, and makes those of its optional countries optional: a gold row labelled under an
    older taxonomy then still says which regions its countries are in."""
    counts = {k: [0, 0, 0] for k in ("countries", "regions", "topics")}
    produced = acceptable = must_total = must_found = 0
    mistakes: list[Mistake] = []
    members = region_members or {}
    for row, pred in zip(gold, predictions, strict=True):
        want_regions = row.regions | {slug for slug, codes in members.items() if row.countries & set(codes)}
        maybe_regions = {slug for slug, codes in members.items() if row.countries_optional & set(codes)}
        parts = [
            ("countries", pred.countries, row.countries, row.countries_optional, MistakeKind.COUNTRY_MISSING),
            ("regions", pred.regions, want_regions, frozenset(maybe_regions), MistakeKind.REGION_MISSING),
            ("topics", pred.topics, row.topics, frozenset(), MistakeKind.TOPIC_MISSING),
        ]
        for name, found, want, optional, missing in parts:
            extra = MistakeKind(missing.value.replace("missing", "extra"))
            tp, fp, fn, found_mistakes = _set_mistakes(row, found, want, optional, missing, extra)
            counts[name][0] += tp
            counts[name][1] += fp
            counts[name][2] += fn
            mistakes.extend(found_mistakes)
        must = resolve_projects(project_refs, row.projects_must, row)
        ok = must | resolve_projects(project_refs, row.projects_ok, row)
        produced += len(pred.links)
        acceptable += len(set(pred.links) & ok)
        must_total += len(must)
        must_found += len(set(pred.links) & must)
        for key, ev in sorted(pred.links.items()):
            if key not in ok:
                mistakes.append(Mistake(row.label, MistakeKind.LINK_WRONG, key, ev.score, ev.reasons, row.note))
        for key in sorted(must - set(pred.links)):
            cand = pred.candidates.get(key)
            score, reasons = (cand.score, cand.reasons) if cand else (None, ())
            mistakes.append(Mistake(row.label, MistakeKind.LINK_MISSING, key, score, reasons, row.note))
    return Report(
        releases=len(gold),
        projects=projects,
        countries=Score(*counts["countries"]),
        links=LinkScore(produced, acceptable, must_total, must_found),
        regions=Score(*counts["regions"]),
        topics=Score(*counts["topics"]),
        mistakes=tuple(mistakes),
    )


def format_report(report: Report, *, title: str = "", kinds: Iterable[MistakeKind] | None = None) -> str:
    """The scores as a small table, then every mistake (of `kinds`, default all) with its score and reasons."""
    c, lk, rg, tp = report.countries, report.links, report.regions, report.topics
    lines = [title] if title else []
    lines += [
        f"{report.releases} releases, {report.projects} projects",
        f"{'':10} {'P':>6} {'R':>6} {'F1':>6}",
        f"{'countries':10} {c.precision:6.3f} {c.recall:6.3f} {c.f1:6.3f}   tp {c.tp}, fp {c.fp}, fn {c.fn}",
        f"{'links':10} {lk.precision:6.3f} {lk.recall:6.3f} {'':6}   {lk.produced} kept, {lk.acceptable} acceptable, "
        f"{lk.must_found} of {lk.must} must-links",
        f"{'regions':10} {rg.precision:6.3f} {rg.recall:6.3f} {rg.f1:6.3f}   tp {rg.tp}, fp {rg.fp}, fn {rg.fn}",
        f"{'topics':10} {tp.precision:6.3f} {tp.recall:6.3f} {tp.f1:6.3f}   tp {tp.tp}, fp {tp.fp}, fn {tp.fn}",
    ]
    wanted = set(kinds) if kinds is not None else set(MistakeKind)
    shown = [m for m in report.mistakes if m.kind in wanted]
    lines.append(f"mistakes ({len(shown)}):" if shown else "no mistakes")
    for m in shown:
        score = f" [{m.score:.2f}]" if m.score is not None else ""
        why = f": {'; '.join(m.reasons)}" if m.reasons else ""
        lines.append(f"  {m.release}  {m.what}{score}{why}")
    return "\n".join(lines)
