"""Tables for releases, projects, the taxonomy, tags, release–project links and ingest runs."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, Enum, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from publisher.models.base import Base, this_process


class RunStatus(StrEnum):
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # its process was killed mid-run; nothing of the source's transaction was kept


def _enum(e: type[StrEnum], name: str, length: int = 20) -> Enum:
    # Plain VARCHAR + CHECK-free storage keeps adding a state a data-only change on both backends.
    return Enum(
        e,
        name=name,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda x: [m.value for m in x],
    )


class DatePrecision(StrEnum):
    """How much of a date the source gave: "2019-03" is a month, stored as its first day."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"


class BodyFormat(StrEnum):
    """What a source gave as a release's body: text (shown escaped), or HTML (its safe subset in body_html)."""

    TEXT = "text"
    HTML = "html"


class Topic(Base):
    __tablename__ = "topics"
    slug: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class Region(Base):
    __tablename__ = "regions"
    slug: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    countries: Mapped[list[str]] = mapped_column(JSON, default=list)


class Country(Base):
    __tablename__ = "countries"
    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class Release(Base):
    __tablename__ = "releases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Identity of a release across re-ingests: hash of date + normalised title (or the source's own id).
    key: Mapped[str] = mapped_column(String(64), unique=True)
    guid: Mapped[str] = mapped_column(String(400), unique=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    source: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(400), default="")  # the source's own id, if it has one
    published: Mapped[dt.date] = mapped_column(Date, index=True)
    published_precision: Mapped[DatePrecision] = mapped_column(
        _enum(DatePrecision, "date_precision", 5), default=DatePrecision.DAY
    )
    title: Mapped[str] = mapped_column(String(400))
    summary: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)  # text, always: what tagging, linking and summaries read
    body_format: Mapped[BodyFormat] = mapped_column(_enum(BodyFormat, "body_format", 5), default=BodyFormat.TEXT)
    body_html: Mapped[str] = mapped_column(Text, default="")  # for BodyFormat.HTML: the sanitised markup
    url: Mapped[str] = mapped_column(String(1000))
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(index=True)

    topics: Mapped[list[ReleaseTopic]] = relationship(
        back_populates="release", cascade="all, delete-orphan", order_by="ReleaseTopic.topic"
    )
    regions: Mapped[list[ReleaseRegion]] = relationship(
        back_populates="release", cascade="all, delete-orphan", order_by="ReleaseRegion.region"
    )
    countries: Mapped[list[ReleaseCountry]] = relationship(
        back_populates="release", cascade="all, delete-orphan", order_by="ReleaseCountry.country"
    )
    project_links: Mapped[list[ReleaseProject]] = relationship(
        back_populates="release", cascade="all, delete-orphan", order_by="ReleaseProject.score.desc()"
    )


class _ReleaseTag:
    score: Mapped[float] = mapped_column(Float, default=1.0)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)


class ReleaseTopic(_ReleaseTag, Base):
    __tablename__ = "release_topics"
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True)
    topic: Mapped[str] = mapped_column(ForeignKey("topics.slug", ondelete="CASCADE"), primary_key=True, index=True)
    release: Mapped[Release] = relationship(back_populates="topics")


class ReleaseRegion(_ReleaseTag, Base):
    __tablename__ = "release_regions"
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True)
    region: Mapped[str] = mapped_column(ForeignKey("regions.slug", ondelete="CASCADE"), primary_key=True, index=True)
    release: Mapped[Release] = relationship(back_populates="regions")


class ReleaseCountry(_ReleaseTag, Base):
    __tablename__ = "release_countries"
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True)
    country: Mapped[str] = mapped_column(ForeignKey("countries.code"), primary_key=True, index=True)
    release: Mapped[Release] = relationship(back_populates="countries")


class Project(Base):
    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    source: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(400))
    acronym: Mapped[str] = mapped_column(String(100), default="")
    acronyms: Mapped[list[str]] = mapped_column(JSON, default=list)  # further acronyms ("MIEUX+")
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)  # other names releases use
    objective: Mapped[str] = mapped_column(Text, default="")
    specific_objectives: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(Text, default="")
    agencies: Mapped[list[str]] = mapped_column(JSON, default=list)
    donors: Mapped[list[str]] = mapped_column(JSON, default=list)
    duration_text: Mapped[str] = mapped_column(String(400), default="")
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    start_precision: Mapped[DatePrecision] = mapped_column(
        _enum(DatePrecision, "date_precision", 5), default=DatePrecision.DAY
    )
    end_precision: Mapped[DatePrecision] = mapped_column(
        _enum(DatePrecision, "date_precision", 5), default=DatePrecision.DAY
    )
    url: Mapped[str] = mapped_column(String(1000), default="")
    countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    release_links: Mapped[list[ReleaseProject]] = relationship(back_populates="project", cascade="all, delete-orphan")

    @property
    def years(self) -> str:
        """'2019–2020' style span for display; empty when unknown."""
        start = self.start_date.year if self.start_date else None
        end = self.end_date.year if self.end_date else None
        if start and end:
            return str(start) if start == end else f"{start}–{end}"
        if start:
            return f"since {start}"
        return f"until {end}" if end else ""


class ReleaseProject(Base):
    __tablename__ = "release_projects"
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True, index=True)
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)  # for readers
    # For machines: [{"kind", "weight", "detail"}, ...], the pieces the score adds up from.
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    release: Mapped[Release] = relationship(back_populates="project_links")
    project: Mapped[Project] = relationship(back_populates="release_links")


class IngestRun(Base):
    __tablename__ = "ingest_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    status: Mapped[RunStatus] = mapped_column(_enum(RunStatus, "run_status"))
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Which process runs it ("proc:<host>:<pid>"), so a later command can tell a killed run from a live one.
    owner: Mapped[str] = mapped_column(String(200), default=this_process, server_default="")


Index("ix_releases_published_id", Release.published.desc(), Release.id.desc())
