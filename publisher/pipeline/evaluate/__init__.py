"""Measure tagging and linking against gold labels: country, link, region and topic scores with every mistake."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from publisher.config import Config, SourceConfig
from publisher.errors import SourceError
from publisher.pipeline.evaluate.gold import GoldRow, match_gold, parse_gold, project_refs
from publisher.pipeline.evaluate.predict import Evidence, Prediction, Predictor, predict, project_key
from publisher.pipeline.evaluate.scores import (
    LinkScore,
    Mistake,
    MistakeKind,
    Report,
    Score,
    format_report,
    score_predictions,
)
from publisher.sources.base import ProjectRecord, ReleaseRecord, make_source

__all__ = [
    "Evidence",
    "GoldRow",
    "LinkScore",
    "Mistake",
    "MistakeKind",
    "Prediction",
    "Predictor",
    "Report",
    "Score",
    "evaluate",
    "evaluate_files",
    "format_report",
    "match_gold",
    "parse_gold",
    "predict",
    "project_key",
    "read_gold",
    "read_records",
    "score_predictions",
]


def evaluate(
    cfg: Config,
    releases: Sequence[ReleaseRecord],
    projects: Sequence[ProjectRecord],
    gold: Sequence[GoldRow],
    predictor: Predictor = predict,
) -> Report:
    """Tag and link the releases that have gold rows and score the result."""
    refs = project_refs(projects)
    indexes = match_gold(gold, releases)
    predictions = predictor(cfg, [releases[i] for i in indexes], projects)
    members = {slug: {c.upper() for c in region.countries} for slug, region in cfg.taxonomy.regions.items()}
    return score_predictions(gold, predictions, refs, projects=len(projects), region_members=members)


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
