"""The project-pages source: assemble project records from the blocks of the seed project-page text format."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from publisher.config import Config, SourceConfig
from publisher.countries import resolve_places
from publisher.errors import SourceError
from publisher.gazetteer import Gazetteer, gazetteer
from publisher.sources.base import ProjectRecord, RecordKind, Skipped, register
from publisher.sources.durations import parse_duration
from publisher.sources.files import open_binary, source_label
from publisher.sources.project_blocks import (
    SECTION,
    SENTENCE_OPENERS,
    SO_PREFIX,
    SPECIFIC_INTRO,
    Block,
    heading_candidate,
    numbered_lines,
    to_blocks,
)
from publisher.sources.project_fields import split_countries, split_heading, split_list

# parse_duration, split_heading and split_list have always been importable from here.
__all__ = ["ProjectPagesSource", "parse_duration", "split_countries", "split_heading", "split_list"]


_ALREADY_REPORTED = SourceError("already reported")


@dataclass
class _Project:
    heading: str
    line: int
    objective: list[str] = field(default_factory=list)
    specific: list[str] = field(default_factory=list)
    description: list[str] = field(default_factory=list)
    fields: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # attr -> (line, label, value)
    extra: dict[str, list[str]] = field(default_factory=dict)
    target: str = "description"  # where the next paragraph goes
    error: SourceError | None = None


class ProjectPagesSource:
    kind = RecordKind.PROJECT

    def __init__(self, config: SourceConfig, cfg: Config) -> None:
        self.config = config
        tax = cfg.taxonomy
        self._taxonomy = tax
        self._gazetteer: Gazetteer = gazetteer(tax.extra_places, {s: r.aliases for s, r in tax.regions.items()})

    # -- blocks to records

    def read(self, on_invalid: Callable[[Skipped], None] | None = None) -> Iterator[ProjectRecord]:
        label = source_label(self.config)
        with open_binary(self.config) as stream:
            blocks = to_blocks(numbered_lines(stream, label, on_invalid))
            project: _Project | None = None
            pending: Block | None = None  # a heading candidate waiting for what follows it

            def fail(reason: str, line: int) -> None:
                err = SourceError(reason, source=label, line=line)
                if on_invalid is None:
                    raise err
                if project is None:
                    if on_invalid is None:
                        raise err
                    on_invalid(Skipped(f"{label}:{line}", reason))
                elif project.error is None:
                    project.error = err

            def finish(p: _Project | None) -> ProjectRecord | None:
                if p is None:
                    return None
                if p.error is _ALREADY_REPORTED:
                    return None  # its broken line was reported when read; the project is dropped
                try:
                    if p.error is not None:
                        raise p.error
                    return self._record(p, label)
                except SourceError as exc:
                    if on_invalid is None:
                        raise
                    on_invalid(Skipped(f"{label}:{exc.line}", exc.reason))
                    return None

            for block in blocks:
                if pending is not None:
                    if block.kind == "field" or (block.kind == "text" and not heading_candidate(block)):
                        rec = finish(project)
                        if rec is not None:
                            yield rec
                        project = _Project(pending.text, pending.line)
                    elif block.kind == "text" and heading_candidate(block):
                        pass  # the pending line was a group title ("Central Asia"); the new one may be a heading
                    elif project is not None:
                        self._add(project, pending, fail)
                    else:
                        fail("text before the first project heading", pending.line)
                    pending = None
                if block.kind == "text" and (SECTION.match(block.text) and block.blank_before):
                    continue
                if heading_candidate(block):
                    pending = block
                    continue
                if block.kind == "bad":
                    if project is not None:
                        project.error = project.error or _ALREADY_REPORTED
                    continue
                if project is None:
                    what = f"field {block.label!r}" if block.kind == "field" else "text"
                    fail(f"{what} before the first project heading", block.line)
                    continue
                self._add(project, block, fail)
            if pending is not None:
                if project is None:
                    fail("text before the first project heading", pending.line)
                else:
                    self._add(project, pending, fail)
            rec = finish(project)
            if rec is not None:
                yield rec

    @staticmethod
    def _add(p: _Project, block: Block, fail: Callable[[str, int], None]) -> None:
        if block.kind == "field":
            attr = block.attr
            if attr == "extra":
                p.extra.setdefault(block.label, [])
                if block.value:
                    p.extra[block.label].append(block.value)
                p.target = "extra:" + block.label
                return
            if attr == "specific_objectives":
                if block.value:
                    p.specific.append(block.value)
                p.target = "specific"
                return
            if attr == "objective" and "objective" in p.fields and not block.value:
                p.target = "objective"
                return
            if attr in p.fields:
                fail(f"duplicate field {block.label!r} in project {p.heading!r}", block.line)
                return
            p.fields[attr] = (block.line, block.label, block.value)
            if attr == "objective":
                if block.value:
                    p.objective.append(block.value)
                p.target = "objective"
            else:
                # A bare "Donors:" collects the following lines; a filled one-line field ends there.
                p.target = ("field:" + attr) if not block.value else "description"
            return
        if block.kind == "bullet":
            target = p.target
            if target == "specific":
                p.specific.append(SO_PREFIX.sub("", block.text))
            elif target.startswith("extra:"):
                p.extra[target[6:]].append(block.text)
            elif target.startswith("field:"):
                line, label, value = p.fields[target[6:]]
                p.fields[target[6:]] = (line, label, (value + "; " if value else "") + block.text)
            elif target == "objective":
                p.objective.append("• " + block.text)
            else:
                p.description.append("• " + block.text)
            return
        text = block.text.replace("\n", " ")
        if SPECIFIC_INTRO.search(text) and len(text) <= 120 and text.rstrip()[-1:] in ":;":
            p.target = "specific"
            return
        if p.target.startswith("field:"):
            line, label, value = p.fields[p.target[6:]]
            p.fields[p.target[6:]] = (line, label, text)
            p.target = "description"
            return
        if p.target.startswith("extra:") and not _looks_like_prose(text) and not SENTENCE_OPENERS.match(text):
            p.extra[p.target[6:]].append(text)
            return
        if p.target == "objective":
            p.objective.append(text)
            return
        p.target = "description"
        p.description.append(text)

    def _record(self, p: _Project, label: str) -> ProjectRecord:
        name, acronym = split_heading(p.heading)
        values = {attr: v for attr, (_, _, v) in p.fields.items()}
        # Several acronyms: "(MIEUX / MIEUX+)" in the heading, or an "Acronyms:" field.
        acronyms = [a for a in re.split(r"\s*[/,;]\s*", acronym) if a]
        acronyms += [a for a in re.split(r"\s*[/,;]\s*", values.get("acronyms", "")) if a]
        acronym = acronyms[0] if acronyms else ""
        start = end = None
        duration = values.get("duration", "")
        if duration:
            try:
                start, end = parse_duration(duration)
            except ValueError as exc:
                raise SourceError(str(exc), source=label, line=p.fields["duration"][0]) from None
        country_names: tuple[str, ...] = ()
        codes: dict[str, None] = {}
        if values.get("countries"):
            country_names = split_countries(values["countries"])
            for cname in country_names:
                # Country names first (one resolver everywhere), then the gazetteer's cities and extra places.
                # a country, a group (its members during the project), a region, or "Global"
                places = resolve_places(cname, self._taxonomy, (start, end))
                code = None if places is not None else self._gazetteer.resolve(cname)
                if places is not None:
                    for found in sorted(places):
                        codes.setdefault(found, None)
                elif code is not None:
                    codes.setdefault(code, None)
                else:  # "Western Balkans (Albania, Serbia)" or "Tunisia (Tunis)"
                    for found in self._gazetteer.countries(cname):
                        codes.setdefault(found, None)
        if not (p.objective or p.description or p.specific or p.fields or p.extra):
            raise SourceError(f"project {p.heading!r} has no content", source=label, line=p.line)
        return ProjectRecord(
            name=name,
            line=p.line,
            acronym=acronym,
            acronyms=tuple(dict.fromkeys(a for a in acronyms[1:] if a != acronym)),
            aliases=split_list(values.get("aliases", "")),
            objective="\n\n".join(p.objective),
            specific_objectives=tuple(s for s in p.specific if s),
            description="\n\n".join(p.description),
            agencies=split_list(values.get("agencies", "")),
            donors=split_list(values.get("donors", "")),
            duration_text=duration,
            start_date=start,
            end_date=end,
            country_names=country_names,
            countries=tuple(codes),
            extra={k: "\n".join(v) for k, v in p.extra.items() if v},
        )


def _looks_like_prose(text: str) -> bool:
    return len(text.split()) >= 25 and text.rstrip()[-1:] in ".!?"


@register("project-pages")
def _factory(src: SourceConfig, cfg: Config) -> ProjectPagesSource:
    return ProjectPagesSource(src, cfg)
