"""Measure tagging and linking against gold labels: country, link, region and topic scores with every mistake."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from publisher.classify import Classifier, Tag, country_name
from publisher.config import Config, SourceConfig
from publisher.errors import SourceError
from publisher.ingest import clean_record
from publisher.link import Evidence as LinkEvidence
from publisher.link import Linker, build_project_profile, release_profile
from publisher.sources.base import ProjectRecord, ReleaseRecord, make_source
from publisher.text import derive_title

# ---------------------------------------------------------------- what the tagger said (the adapter)


@dataclass(frozen=True)
class Evidence:
    """A score and the reasons behind it, as the tagger or linker gave them."""

    score: float
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Prediction:
    """Everything the pipeline decided about one release."""

    countries: Mapping[str, Evidence]
    regions: Mapping[str, Evidence]
    topics: Mapping[str, Evidence]
    links: Mapping[str, Evidence]  # the links it kept, by project key
    candidates: Mapping[str, Evidence] = field(default_factory=dict)  # every project's score, kept or not


Predictor = Callable[[Config, Sequence[ReleaseRecord], Sequence[ProjectRecord]], list[Prediction]]


def project_key(record: ProjectRecord) -> str:
    """How gold rows name a project: its acronym, or its name when it has none."""
    return record.acronym or record.name


def _tags(tags: Iterable[Tag]) -> dict[str, Evidence]:
    return {t.slug: Evidence(t.score, tuple(t.reasons)) for t in tags}


def _evidence(e: LinkEvidence) -> str:
    return f"{e.kind} {e.weight:+.2f} {e.detail}"


def predict(cfg: Config, releases: Sequence[ReleaseRecord], projects: Sequence[ProjectRecord]) -> list[Prediction]:
    """Tag and link each release the way ingest does. The only place that knows the classify/link API, so changes
    to those steps touch this function and nothing else of the evaluation."""
    classifier = Classifier(cfg.taxonomy)
    profiles = [build_project_profile(project_key(p), clean_record(p), classifier) for p in projects]
    linker = Linker(profiles, cfg.linking)
    out = []
    for raw in releases:
        rec = clean_record(raw)
        title = rec.title.strip() or derive_title(rec.body)
        cls = classifier.classify(f"{title}\n\n{rec.body}")
        profile = release_profile(title, rec.body, rec.published, cls)
        links = {r.key: Evidence(r.score, (*r.reasons, *map(_evidence, r.evidence))) for r in linker.link(profile)}
        candidates = {c.key: Evidence(c.score, (c.why, *map(_evidence, c.evidence))) for c in linker.explain(profile)}
        out.append(Prediction(_tags(cls.countries), _tags(cls.regions), _tags(cls.topics), links, candidates))
    return out


# ---------------------------------------------------------------- gold labels


@dataclass(frozen=True)
class GoldRow:
    """The labels of one release. It is found by the source's id, or (seed format) by date and a phrase of its text."""

    countries: frozenset[str]
    countries_optional: frozenset[str] = frozenset()
    projects_must: frozenset[str] = frozenset()
    projects_ok: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    topics: frozenset[str] = frozenset()
    release_id: str = ""
    date: dt.date | None = None
    contains: str = ""
    note: str = ""

    @property
    def label(self) -> str:
        return self.release_id or f"{self.date} {self.contains!r}"


def parse_gold(lines: Iterable[str], source: str = "gold") -> list[GoldRow]:
    """Gold rows from JSON lines; a malformed row fails with `source:line`."""
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError("expected a JSON object")
            rows.append(_gold_row(obj))
        except (ValueError, TypeError) as exc:
            raise SourceError(str(exc), source=source, line=number) from None
    return rows


def _codes(obj: dict[str, Any], key: str) -> frozenset[str]:
    value = obj.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key}: expected a list of strings")
    return frozenset(value)


def _gold_row(obj: dict[str, Any]) -> GoldRow:
    release_id, contains = str(obj.get("id", "")).strip(), str(obj.get("contains", ""))
    date = dt.date.fromisoformat(obj["date"]) if obj.get("date") else None
    if not release_id and not (date and contains):
        raise ValueError("a gold row needs an id, or a date and a phrase the release contains")
    row = GoldRow(
        countries=_codes(obj, "countries"),
        countries_optional=_codes(obj, "countries_optional"),
        projects_must=_codes(obj, "projects_must"),
        projects_ok=_codes(obj, "projects_ok"),
        regions=_codes(obj, "regions"),
        topics=_codes(obj, "topics"),
        release_id=release_id,
        date=date,
        contains=contains,
        note=str(obj.get("note", "")),
    )
    if row.countries & row.countries_optional:
        raise ValueError(f"{row.label}: a country is both required and optional")
    return row


# ---------------------------------------------------------------- scores and the report


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


# ---------------------------------------------------------------- evaluation


def match_gold(gold: Sequence[GoldRow], releases: Sequence[ReleaseRecord]) -> list[int]:
    """For each gold row, the index of its release; a row matching none or several is an error."""
    by_id: dict[str, list[int]] = {}
    for i, r in enumerate(releases):
        if r.external_id:
            by_id.setdefault(r.external_id, []).append(i)
    out = []
    for row in gold:
        if row.release_id:
            found = by_id.get(row.release_id, [])
        else:
            found = [
                i
                for i, r in enumerate(releases)
                if r.published == row.date and (row.contains in r.body or row.contains in r.title)
            ]
        if len(found) != 1:
            raise SourceError(f"gold row {row.label} matches {len(found)} releases (expected exactly one)")
        out.append(found[0])
    return out


def _project_refs(projects: Sequence[ProjectRecord]) -> dict[str, str]:
    """Gold may name a project by its key, any acronym, its name or an alias (any case); all map to its key."""
    refs: dict[str, str] = {}
    keys = [project_key(p) for p in projects]
    if len(set(keys)) != len(keys):
        raise SourceError("two projects share an acronym (or a name without acronym): gold could not tell them apart")
    for key, p in zip(keys, projects, strict=True):
        for ref in (key, p.acronym, p.name, *p.acronyms, *p.aliases):
            if ref:
                refs.setdefault(ref.casefold(), key)
    return refs


def _resolve(refs: Mapping[str, str], names: Iterable[str], row: GoldRow) -> frozenset[str]:
    out = set()
    for name in names:
        key = refs.get(name.casefold())
        if key is None:
            raise SourceError(f"gold row {row.label}: no project {name!r} in the project list")
        out.add(key)
    return frozenset(out)


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
) -> Report:
    """Compare predictions with gold rows (same order). Pure: counts and mistakes only."""
    counts = {k: [0, 0, 0] for k in ("countries", "regions", "topics")}
    produced = acceptable = must_total = must_found = 0
    mistakes: list[Mistake] = []
    for row, pred in zip(gold, predictions, strict=True):
        parts = [
            ("countries", pred.countries, row.countries, row.countries_optional, MistakeKind.COUNTRY_MISSING),
            ("regions", pred.regions, row.regions, frozenset(), MistakeKind.REGION_MISSING),
            ("topics", pred.topics, row.topics, frozenset(), MistakeKind.TOPIC_MISSING),
        ]
        for name, found, want, optional, missing in parts:
            extra = MistakeKind(missing.value.replace("missing", "extra"))
            tp, fp, fn, found_mistakes = _set_mistakes(row, found, want, optional, missing, extra)
            counts[name][0] += tp
            counts[name][1] += fp
            counts[name][2] += fn
            mistakes.extend(found_mistakes)
        must = _resolve(project_refs, row.projects_must, row)
        ok = must | _resolve(project_refs, row.projects_ok, row)
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


def evaluate(
    cfg: Config,
    releases: Sequence[ReleaseRecord],
    projects: Sequence[ProjectRecord],
    gold: Sequence[GoldRow],
    predictor: Predictor = predict,
) -> Report:
    """Tag and link the releases that have gold rows and score the result."""
    refs = _project_refs(projects)
    indexes = match_gold(gold, releases)
    predictions = predictor(cfg, [releases[i] for i in indexes], projects)
    return score_predictions(gold, predictions, refs, projects=len(projects))


# ---------------------------------------------------------------- files and text output

_RELEASE_KINDS = {".jsonl": "jsonl", ".txt": "release-text", ".xml": "feed", ".rss": "feed", ".atom": "feed"}
_PROJECT_KINDS = {".toml": "projects-file", ".json": "projects-file", ".txt": "project-pages"}


def read_records(cfg: Config, path: Path, kind: str | None, *, projects: bool) -> list[Any]:
    """Every record of one file, read by the source kind named or guessed from the file's extension."""
    kinds = _PROJECT_KINDS if projects else _RELEASE_KINDS
    kind = kind or kinds.get(path.suffix.lower())
    if kind is None:
        raise SourceError(
            f"cannot tell the source kind from the extension (give one of: {', '.join(sorted(set(kinds.values())))})",
            source=path,
        )
    source = make_source(SourceConfig(name=path.name, kind=kind, path=path), cfg)
    return list(source.read())


def read_gold(path: Path) -> list[GoldRow]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror}", source=path) from None
    return parse_gold(text.splitlines(), source=str(path))


def evaluate_files(
    cfg: Config,
    releases: Path,
    projects: Path,
    gold: Path,
    *,
    releases_kind: str | None = None,
    projects_kind: str | None = None,
) -> Report:
    return evaluate(
        cfg,
        read_records(cfg, releases, releases_kind, projects=False),
        read_records(cfg, projects, projects_kind, projects=True),
        read_gold(gold),
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
