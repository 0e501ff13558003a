"""Digest editions: periods, which releases each subscriber gets, content variants and pure rendering."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import hashlib
import html
import logging
import re
import uuid
from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Literal

import jinja2
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from publisher.config import Config
from publisher.errors import DigestError, NotFoundError
from publisher.models import IngestRun, Release, ReleaseProject
from publisher.models.mail import (
    Delivery,
    DeliveryStatus,
    Edition,
    EditionStatus,
    Frequency,
    SentRelease,
    Subscriber,
    SubscriberStatus,
)

log = logging.getLogger(__name__)
BATCH = 1000

# ---------------------------------------------------------------- periods

_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    """An ISO week (`2025-W10`) or calendar month (`2025-03`); `end` is inclusive."""

    frequency: Frequency
    label: str
    start: dt.date
    end: dt.date

    @property
    def human(self) -> str:
        if self.frequency is Frequency.MONTHLY:
            return f"{calendar.month_name[self.start.month]} {self.start.year}"
        week = self.start.isocalendar().week
        return f"Week {week}, {self.start.isocalendar().year} ({_day(self.start)} – {_day(self.end)})"

    def previous(self) -> Period:
        return period_containing(self.frequency, self.start - dt.timedelta(days=1))

    def next(self) -> Period:
        return period_containing(self.frequency, self.end + dt.timedelta(days=1))


def _day(d: dt.date) -> str:
    return f"{d.day} {calendar.month_name[d.month]} {d.year}"


def period_containing(frequency: Frequency | str, day: dt.date) -> Period:
    """The week or month (by `frequency`) that contains `day`."""
    freq = Frequency(frequency)
    if freq is Frequency.WEEKLY:
        iso = day.isocalendar()
        start = day - dt.timedelta(days=iso.weekday - 1)
        return Period(freq, f"{iso.year}-W{iso.week:02d}", start, start + dt.timedelta(days=6))
    last = calendar.monthrange(day.year, day.month)[1]
    return Period(freq, f"{day.year}-{day.month:02d}", day.replace(day=1), day.replace(day=last))


def parse_period(text: str, frequency: Frequency | str | None = None) -> Period:
    """`2025-W10` (weekly) or `2025-03` (monthly); the frequency, if given, must agree with the form."""
    text = text.strip()
    if m := _WEEK_RE.match(text):
        year, week = int(m[1]), int(m[2])
        try:
            start = dt.date.fromisocalendar(year, week, 1)
        except ValueError:
            raise DigestError(f"period {text!r}: {year} has no ISO week {week}") from None
        period = period_containing(Frequency.WEEKLY, start)
    elif m := _MONTH_RE.match(text):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise DigestError(f"period {text!r}: month must be 01-12")
        period = period_containing(Frequency.MONTHLY, dt.date(year, month, 1))
    else:
        raise DigestError(f"period {text!r}: expected an ISO week like 2025-W10 or a month like 2025-03")
    if frequency is not None and Frequency(frequency) is not period.frequency:
        raise DigestError(f"period {text!r} is a {period.frequency} period, not {frequency}")
    return period


def last_completed_period(cfg: Config, frequency: Frequency | str, now: dt.datetime) -> Period:
    """The most recent week or month that has fully ended at `now`, in the site's timezone."""
    today = now.astimezone(cfg.site.tz).date()
    return period_containing(frequency, today).previous()


# ---------------------------------------------------------------- items and preferences


@dataclass(frozen=True)
class RelatedProject:
    name: str
    years: str
    countries: tuple[str, ...]
    reasons: tuple[str, ...]
    url: str


@dataclass(frozen=True)
class DigestItem:
    """One release as a digest shows it; pure data, so rendering needs no database."""

    release_id: int
    published: dt.date
    title: str
    summary: str
    url: str
    topics: tuple[str, ...]  # slugs, best first
    regions: tuple[str, ...]  # slugs
    countries: tuple[str, ...]  # display names
    projects: tuple[RelatedProject, ...] = ()
    late: bool = False  # published before the period: a late arrival


def matches(
    topics: Iterable[str], regions: Iterable[str], want_topics: Iterable[str], want_regions: Iterable[str]
) -> bool:
    """The preference rule: (no topic filter OR any shared topic) AND (no region filter OR any shared region).
    Pass frozensets to call it in a loop: frozenset() of a frozenset is the same object, no copy."""
    want_t, want_r = frozenset(want_topics), frozenset(want_regions)
    if want_t and want_t.isdisjoint(topics):
        return False
    return not want_r or not want_r.isdisjoint(regions)


def variant_key(release_ids: Iterable[int]) -> str:
    """Same item set, same variant: the key names the content, not the recipient."""
    return _variant_key(tuple(sorted(release_ids)))


@functools.lru_cache(maxsize=4096)
def _variant_key(ids: tuple[int, ...]) -> str:
    # Subscribers share few item sets (that is what variants are): hash each set once, not per subscriber.
    return hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:16]


@functools.lru_cache(maxsize=512)
def country_name(code: str) -> str:
    from publisher.countries import country_name as name  # deferred: pycountry is slow to import

    return name(code)


def _topic_rank(cfg: Config) -> dict[str, int]:
    return {slug: i for i, slug in enumerate(cfg.taxonomy.topics)}


def item_from_release(cfg: Config, r: Release, period: Period) -> DigestItem:
    topic_rank = _topic_rank(cfg)
    topics = sorted((t.topic for t in r.topics), key=lambda s: (topic_rank.get(s, len(topic_rank)), s))
    links = sorted(r.project_links, key=lambda x: (-x.score, x.project.slug))[: cfg.linking.max_links]
    projects = tuple(
        RelatedProject(
            name=link.project.name,
            years=link.project.years,
            countries=tuple(country_name(c) for c in link.project.countries),
            reasons=tuple(link.reasons),
            url=link.project.url,
        )
        for link in links
    )
    return DigestItem(
        release_id=r.id,
        published=r.published,
        title=r.title,
        summary=r.summary,
        url=r.url,
        topics=tuple(topics),
        regions=tuple(x.region for x in r.regions),
        countries=tuple(country_name(c.country) for c in r.countries),
        projects=projects,
        late=r.published < period.start,
    )


def _load_releases(session: Session, ids: Iterable[int]) -> list[Release]:
    out: list[Release] = []
    it = iter(sorted(set(ids)))
    while chunk := list(islice(it, 500)):
        out += session.scalars(
            select(Release)
            .where(Release.id.in_(chunk))
            .options(
                selectinload(Release.topics),
                selectinload(Release.regions),
                selectinload(Release.countries),
                selectinload(Release.project_links).selectinload(ReleaseProject.project),
            )
        )
    return out


def items_for_ids(session: Session, cfg: Config, period: Period, ids: Iterable[int]) -> list[DigestItem]:
    """The digest items for these release ids, newest first (missing ids are dropped: a release was deleted)."""
    items = [item_from_release(cfg, r, period) for r in _load_releases(session, ids)]
    return sorted(items, key=lambda i: (i.published, i.release_id), reverse=True)


# ---------------------------------------------------------------- rendering (pure)

# Placeholders survive Jinja2 escaping and premailer untouched (only [a-z_]); filled in per recipient.
PLACEHOLDERS = {"greeting": "__pub_greeting__", "manage": "__pub_manage__", "unsubscribe": "__pub_unsubscribe__"}
PLACEHOLDER_RE = re.compile(r"__pub_(greeting|manage|unsubscribe)__")


@dataclass(frozen=True)
class RenderedDigest:
    """One content variant, rendered and CSS-inlined once; personal values are still placeholders."""

    subject: str
    html: str
    text: str
    variant: str
    count: int
    preheader: str = ""


@dataclass(frozen=True)
class Group:
    label: str
    items: list[dict[str, Any]] = field(default_factory=list)


def _autoescape(name: str | None) -> bool:
    # Plain-text templates must not be HTML-escaped; everything else (HTML) is.
    return not (name or "").endswith(".txt")


@functools.lru_cache(maxsize=8)
def _environment(dirs: tuple[str, ...]) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(list(dirs)),
        autoescape=_autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )
    env.filters["wordwrap"] = _wordwrap
    env.globals["fragment"] = _fragment
    return env


_FRAGMENTS: dict[tuple[Any, Hashable], str] = {}
_FRAGMENTS_MAX = 8192


def _fragment(key: Hashable, caller: Any) -> str:
    """`{% call fragment(item.key) %}...{% endcall %}`: the block rendered once per key and call site, then
    reused. Variants of an edition show the same items, so each item's markup is rendered once instead of
    once per variant. The block must depend on nothing but what the key names (the bundled templates pass
    `item.key`, every field of the item's row). Keyed by the block's compiled code, so a changed or reloaded
    template never reuses another's output."""
    code = getattr(getattr(caller, "_func", None), "__code__", None)
    if code is None:  # not a Jinja call block as we know it: render, do not cache
        return caller()  # type: ignore[no-any-return]
    k = (code, key)
    out = _FRAGMENTS.get(k)
    if out is None:
        if len(_FRAGMENTS) >= _FRAGMENTS_MAX:
            _FRAGMENTS.clear()
        out = _FRAGMENTS[k] = caller()
    return out


@jinja2.pass_environment
def _wordwrap(
    env: jinja2.Environment,
    s: str,
    width: int = 79,
    break_long_words: bool = True,
    wrapstring: str | None = None,
    break_on_hyphens: bool = True,
) -> str:
    """Jinja's wordwrap, memoised: the same summaries are wrapped again in every variant that shows them,
    and textwrap was the biggest part of rendering a variant's text part."""
    return _wrapped(
        str(s),
        width,
        break_long_words,
        env.newline_sequence if wrapstring is None else wrapstring,
        break_on_hyphens,
        env,
    )


@functools.lru_cache(maxsize=2048)
def _wrapped(
    s: str, width: int, break_long_words: bool, wrapstring: str, break_on_hyphens: bool, env: jinja2.Environment
) -> str:
    return jinja2.filters.do_wordwrap(env, s, width, break_long_words, wrapstring, break_on_hyphens)


def template_environment(cfg: Config) -> jinja2.Environment:
    """Jinja2 over cfg.template_dirs (operator folder first, then bundled), autoescaping HTML."""
    return _environment(tuple(str(d) for d in cfg.template_dirs))


def _groups(cfg: Config, items: Sequence[DigestItem]) -> list[Group]:
    by_region = cfg.digest.group_by == "region"
    names = cfg.taxonomy.regions if by_region else cfg.taxonomy.topics
    order = {slug: i for i, slug in enumerate(names)}
    buckets: dict[str, list[DigestItem]] = defaultdict(list)
    for item in items:
        keys = sorted(item.regions if by_region else item.topics, key=lambda s: (order.get(s, len(order)), s))
        # Each item appears once, under its first group: a digest that repeats itself reads as spam.
        buckets[keys[0] if keys else ""].append(item)
    topic_names = {s: t.name for s, t in cfg.taxonomy.topics.items()}
    region_names = {s: r.name for s, r in cfg.taxonomy.regions.items()}
    groups = []
    for key in sorted(buckets, key=lambda s: (s == "", order.get(s, len(order)), s)):
        label = names[key].name if key in names else (key.replace("-", " ").title() if key else "Other news")
        rows = []
        for it in sorted(buckets[key], key=lambda i: (i.published, i.release_id), reverse=True):
            labels = [topic_names.get(t, t) for t in it.topics] if by_region else []
            labels += [region_names.get(r, r) for r in it.regions] if not by_region else []
            labels += list(it.countries)
            date_human = _day(it.published)
            rows.append(
                {
                    "title": it.title,
                    "summary": it.summary,
                    "url": it.url,
                    "date_human": date_human,
                    "late": it.late,
                    "labels": labels,
                    "projects": it.projects,
                    # Everything above: what an item's cached fragment may depend on (see `_fragment`).
                    "key": (it.title, it.summary, it.url, date_human, it.late, tuple(labels), it.projects),
                }
            )
        groups.append(Group(label, rows))
    return groups


def subject_for(cfg: Config, period: Period, count: int) -> str:
    try:
        return cfg.digest.subject.format(title=cfg.site.title, period=period.human, count=count)
    except (KeyError, IndexError, ValueError) as exc:
        raise DigestError(
            f"digest.subject {cfg.digest.subject!r}: bad placeholder ({exc}); use {{title}}, {{period}} or {{count}}"
        ) from None


def inline_css(document: str) -> str:
    """Inline the <style> rules (media queries stay in a <style> block); never fetches anything."""
    import premailer  # deferred: heavy import, only needed when rendering HTML

    try:
        return premailer.Premailer(
            document,
            keep_style_tags=False,
            strip_important=False,
            remove_classes=False,
            disable_validation=True,
            cssutils_logging_level=logging.CRITICAL,
            allow_network=False,
            allow_loading_external_files=False,
        ).transform()
    except Exception as exc:  # premailer raises bare lxml/cssutils errors: translate them here, once
        raise DigestError(f"cannot inline the digest CSS: {exc}") from exc


Inlining = Literal["template", "document"]
MAIL_TEMPLATE = "digest/digest.html"


def _context(
    cfg: Config, period: Period, items: Sequence[DigestItem], view_url: str, personal: Mapping[str, str] | None
) -> dict[str, Any]:
    count = len(items)
    ctx = {
        "site": cfg.site,
        "subject": subject_for(cfg, period, count),
        "period": period.label,
        "period_human": period.human,
        "frequency": str(period.frequency),
        "count": count,
        "groups": _groups(cfg, items),
        "group_noun": cfg.digest.group_by,
        "preheader": "; ".join(i.title for i in items[:3])[:150] if items else "Nothing new this time.",
        "view_url": view_url,
        "greeting": PLACEHOLDERS["greeting"],
        "manage_url": PLACEHOLDERS["manage"],
        "unsubscribe_url": PLACEHOLDERS["unsubscribe"],
    }
    if personal is not None:
        ctx.update(
            greeting=personal["greeting"], manage_url=personal["manage"], unsubscribe_url=personal["unsubscribe"]
        )
    return ctx


def render_digest(
    cfg: Config,
    period: Period,
    items: Sequence[DigestItem],
    *,
    variant: str | None = None,
    view_url: str = "",
    archive: bool = False,
    personal: Mapping[str, str] | None = None,
    inline: Inlining = "template",
) -> RenderedDigest:
    """Render one content variant (subject, inlined HTML, text). Pure: same inputs, same output.

    Per-recipient values stay placeholders (see `personalise`) unless `personal` gives them, which is
    the naive per-recipient way (kept for previews and the benchmark).

    inline="template" (the default) renders the mail template whose CSS premailer inlined once per template
    source (see `inlined_template`), so no premailer call per variant; inline="document" runs premailer on
    this rendered document (the archive page always does: it extends the mail template)."""
    variant = variant or variant_key(i.release_id for i in items)
    env = template_environment(cfg)
    ctx = _context(cfg, period, items, view_url, personal)
    fast = None if archive or inline == "document" else inlined_template(cfg)
    try:
        if fast is not None:
            html_doc = fast.render(ctx)
        else:
            html_doc = inline_css(env.get_template("digest/archive.html" if archive else MAIL_TEMPLATE).render(ctx))
        text = env.get_template("digest/digest.txt").render(ctx)
    except jinja2.TemplateError as exc:
        where = getattr(exc, "filename", None) or getattr(exc, "name", None) or "digest template"
        line = getattr(exc, "lineno", None)
        raise DigestError(f"{where}{f':{line}' if line else ''}: {exc}") from exc
    return RenderedDigest(
        subject=ctx["subject"],
        html=html_doc,
        text=text,
        variant=variant,
        count=ctx["count"],
        preheader=ctx["preheader"],
    )


# ---------------------------------------------------------------- CSS inlined into the template, once
#
# premailer's result for an element depends only on the element, its attributes and its ancestors (our
# stylesheet has no sibling or positional selectors), never on the text the template fills in. So the
# template SOURCE can be inlined once: Jinja constructs are masked as inert words, premailer runs on that,
# the constructs are put back, and every variant is then a plain Jinja render (the way Foundation for
# Emails / Maizzle inline templates at build time). Because an operator template could break that (Jinja
# inside a tag, dynamic class names, sibling selectors), the result is verified once per template source
# against the per-document way on probe items that take every branch; if they differ, rendering falls back
# to premailer per variant (correct, slower) and says so in the log.

_COMMENT_RE = re.compile(r"(\s*)\{#(-?).*?(-?)#\}(\s*)", re.S)
_CONSTRUCT_RE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
_MASK = "pubjinja{}x"
_MASK_RE = re.compile(r"pubjinja(\d+)x")
_INLINED: dict[tuple[tuple[str, ...], str], jinja2.Template | None] = {}
_INLINED_BY_TEMPLATE: dict[jinja2.Template, jinja2.Template | None] = {}


def _drop_comment(m: re.Match[str]) -> str:
    # A comment renders as nothing; keep the whitespace Jinja would keep (`{#-` / `-#}` strip it).
    return ("" if m[2] else m[1]) + ("" if m[3] else m[4])


def inline_template_source(source: str) -> str:
    """The template source with its <style> rules inlined by premailer; Jinja constructs pass through."""
    if _MASK_RE.search(source):
        raise DigestError("template contains the reserved word pattern pubjinja<n>x")
    constructs: list[str] = []

    def mask(m: re.Match[str]) -> str:
        constructs.append(m[0])
        return _MASK.format(len(constructs) - 1)

    masked = _CONSTRUCT_RE.sub(mask, _COMMENT_RE.sub(_drop_comment, source))
    inlined = _MASK_RE.sub(lambda m: constructs[int(m[1])], inline_css(masked))
    if inlined.count("{{") + inlined.count("{%") != sum(c[:2] in ("{{", "{%") for c in constructs):
        raise DigestError("premailer dropped or moved template constructs")
    return inlined


def _probe_items() -> list[DigestItem]:
    """Items that take every branch of the bundled template: late, labels, projects with and without
    URL / years / countries / reasons, an untagged item; in two groups plus "Other news"."""
    day = dt.date(2000, 1, 10)
    with_all = RelatedProject(
        "Probe project (P)", "2019–2025", ("Austria", "Malta"), ("shares a country",), "https://example.invalid/p"
    )
    bare = RelatedProject("Bare project", "", (), (), "")
    years_only = RelatedProject("Years project", "since 2021", (), ("names the acronym",), "")
    return [
        DigestItem(
            1,
            day,
            "Probe & <one>",
            "Summary \"one\" & 'more'.",
            "https://example.invalid/1?a=1&b=2",
            ("t1", "t2"),
            ("r1",),
            ("Austria",),
            (with_all, bare),
        ),
        DigestItem(
            2,
            day,
            "Probe two",
            "Summary two.",
            "https://example.invalid/2",
            ("t2",),
            ("r2", "r1"),
            (),
            (years_only,),
            late=True,
        ),
        DigestItem(3, day, "Probe three", "Summary three.", "https://example.invalid/3", (), (), ()),
    ]


def _canonical(document: str) -> str:
    from lxml import etree
    from lxml import html as lxml_html

    return etree.tostring(lxml_html.document_fromstring(document).getroottree(), method="html", encoding="unicode")


def inlined_template(cfg: Config) -> jinja2.Template | None:
    """The mail template with its CSS inlined (compiled once per template source and verified), or None
    when inlining the template is not equivalent to inlining each rendered document."""
    env = template_environment(cfg)
    try:
        # The environment's cached template (reloaded, as a new object, when its file changes): reading the
        # source again for every variant cost more than a tenth of rendering one.
        current = env.get_template(MAIL_TEMPLATE)
    except jinja2.TemplateNotFound:
        return None
    if current in _INLINED_BY_TEMPLATE:
        return _INLINED_BY_TEMPLATE[current]
    try:
        source, filename, _uptodate = env.loader.get_source(env, MAIL_TEMPLATE)  # type: ignore[union-attr]
    except jinja2.TemplateNotFound:
        return None
    key = (tuple(str(d) for d in cfg.template_dirs), source)
    if key not in _INLINED:
        _INLINED[key] = _compile_inlined(cfg, env, source, filename or MAIL_TEMPLATE)
    if len(_INLINED_BY_TEMPLATE) >= 16:
        _INLINED_BY_TEMPLATE.clear()
    _INLINED_BY_TEMPLATE[current] = _INLINED[key]
    return _INLINED[key]


def _compile_inlined(cfg: Config, env: jinja2.Environment, source: str, filename: str) -> jinja2.Template | None:
    try:
        fast = env.from_string(inline_template_source(source))
        original = env.get_template(MAIL_TEMPLATE)
        period = Period(Frequency.MONTHLY, "2000-01", dt.date(2000, 1, 1), dt.date(2000, 1, 31))
        personal = {
            "greeting": "Hello <probe> & co,",
            "manage": "https://example.invalid/m?a=1&b=2",
            "unsubscribe": "https://example.invalid/u",
        }
        for items, view_url, who in (
            (_probe_items(), "https://example.invalid/v?a=1&b=2", None),
            (_probe_items()[:1], "", personal),
            ([], "https://example.invalid/v", None),
        ):
            ctx = _context(cfg, period, items, view_url, who)
            if _canonical(fast.render(ctx)) != _canonical(inline_css(original.render(ctx))):
                log.warning(
                    "%s: inlining the template's CSS once changes the output; premailer will run "
                    "for every digest variant (slower)",
                    filename,
                )
                return None
    except (jinja2.TemplateError, DigestError, ValueError) as exc:
        log.warning(
            "%s: cannot inline the template's CSS once (%s); premailer will run for every digest variant (slower)",
            filename,
            exc,
        )
        return None
    return fast


def greeting(name: str) -> str:
    return f"Hello {name}," if name.strip() else "Hello,"


def personal_values(name: str, links: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(HTML-escaped, plain) values for the placeholders of one recipient."""
    values = {"greeting": greeting(name), "manage": links["manage"], "unsubscribe": links["unsubscribe"]}
    return {k: html.escape(v, quote=True) for k, v in values.items()}, values


def personalise(rendered: RenderedDigest, name: str, links: Mapping[str, str]) -> tuple[str, str]:
    """(html, text) for one recipient: placeholders replaced in ONE pass (values cannot inject placeholders)."""
    escaped, values = personal_values(name, links)
    html_out = PLACEHOLDER_RE.sub(lambda m: escaped[m[1]], rendered.html)
    text_out = PLACEHOLDER_RE.sub(lambda m: values[m[1]], rendered.text)
    return html_out, text_out


def archive_url(cfg: Config, edition_id: int, variant: str) -> str:
    return cfg.site.url(f"digests/{edition_id}/{variant}")


# ---------------------------------------------------------------- editions (database)


@dataclass
class EditionResult:
    """What building one edition did."""

    frequency: str
    period: str
    edition_id: int | None = None
    created: bool = False
    deliveries: int = 0
    variants: int = 0
    empty: int = 0  # subscribers with nothing new (no message unless digest.send_empty)
    candidates: int = 0

    def describe(self) -> str:
        if not self.created:
            return f"{self.frequency} {self.period}: already built (edition {self.edition_id})"
        return (
            f"{self.frequency} {self.period}: edition {self.edition_id}, {self.deliveries} deliveries queued "
            f"in {self.variants} variants, {self.empty} subscribers with nothing new, {self.candidates} candidate releases"
        )


def previous_edition(session: Session, period: Period) -> Edition | None:
    return session.scalars(
        select(Edition)
        .where(Edition.frequency == period.frequency, Edition.period_start < period.start)
        .order_by(Edition.period_start.desc())
        .limit(1)
    ).first()


def late_since(session: Session, prev: Edition) -> dt.datetime:
    """Releases stamped after this moment may have missed `prev`. Normally its build time; but an ingest that was
    still open when `prev` was built stamped its releases earlier and committed them later, so reach back to the
    start of every ingest run that had not finished by then (SentRelease still prevents any repeat)."""
    open_then = session.scalar(
        select(func.min(IngestRun.started_at)).where(
            IngestRun.started_at <= prev.built_at,
            (IngestRun.finished_at.is_(None)) | (IngestRun.finished_at >= prev.built_at),
        )
    )
    since = prev.built_at if open_then is None else min(prev.built_at, open_then)
    return since - dt.timedelta(seconds=1)  # created_at and started_at are both cut to whole seconds


def candidate_release_ids(session: Session, period: Period, prev: Edition | None, lookback_days: int = 0) -> set[int]:
    """Releases published in the period, plus late arrivals: published earlier but ingested after the
    previous edition of this frequency was built (so no earlier edition could have carried them).
    The very first edition of a frequency also reaches `lookback_days` back, to seed a new list."""
    ids = set(session.scalars(select(Release.id).where(Release.published.between(period.start, period.end))))
    if prev is not None:
        # Periods between the previous edition and this one (a missed run) belong to this edition.
        ids |= set(
            session.scalars(
                select(Release.id).where(Release.published > prev.period_end, Release.published < period.start)
            )
        )
        ids |= set(
            session.scalars(
                select(Release.id).where(
                    Release.published < period.start, Release.created_at > late_since(session, prev)
                )
            )
        )
    elif lookback_days > 0:
        since = period.start - dt.timedelta(days=lookback_days)
        ids |= set(session.scalars(select(Release.id).where(Release.published.between(since, period.start))))
    return ids


def carried_over(session: Session, prev: Edition | None) -> dict[int, set[int]]:
    """Per subscriber, releases of the previous edition's failed or skipped message: they go out next time."""
    if prev is None:
        return {}
    out: dict[int, set[int]] = defaultdict(set)
    rows = session.execute(
        select(Delivery.subscriber_id, Delivery.release_ids).where(
            Delivery.edition_id == prev.id, Delivery.status.in_([DeliveryStatus.FAILED, DeliveryStatus.SKIPPED])
        )
    )
    for sid, ids in rows:
        out[sid].update(ids)
    return out


@dataclass(frozen=True)
class _Tags:
    topics: frozenset[str]
    regions: frozenset[str]
    published: dt.date
    in_period: bool


def _tags(session: Session, ids: set[int], period: Period) -> dict[int, _Tags]:
    out: dict[int, _Tags] = {}
    for r in _load_releases(session, ids):
        out[r.id] = _Tags(
            frozenset(t.topic for t in r.topics),
            frozenset(x.region for x in r.regions),
            r.published,
            period.start <= r.published <= period.end,
        )
    return out


def choose_items(
    tags: Mapping[int, _Tags],
    pool: Iterable[int],
    want_topics: Sequence[str],
    want_regions: Sequence[str],
    already_sent: set[int],
    max_items: int,
) -> list[int]:
    """Release ids for one subscriber: matching, never sent before, newest first, at most max_items."""
    want_t, want_r = frozenset(want_topics), frozenset(want_regions)
    # `matches`, inlined: this runs for every subscriber and candidate release.
    chosen = [
        rid
        for rid in pool
        if (t := tags.get(rid)) is not None
        and rid not in already_sent
        and (not want_t or not want_t.isdisjoint(t.topics))
        and (not want_r or not want_r.isdisjoint(t.regions))
    ]
    chosen.sort(key=lambda rid: (tags[rid].published, rid), reverse=True)
    return chosen[:max_items]


def _subscriber_batches(session: Session, frequency: Frequency) -> Iterator[list[tuple[int, list[str], list[str]]]]:
    last = 0
    while True:
        rows = session.execute(
            select(Subscriber.id, Subscriber.topics, Subscriber.regions)
            .where(
                Subscriber.status == SubscriberStatus.ACTIVE,
                Subscriber.frequency == frequency,
                Subscriber.id > last,
            )
            .order_by(Subscriber.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        yield [(r[0], list(r[1] or []), list(r[2] or [])) for r in rows]
        last = rows[-1][0]


def _sent_for(session: Session, subscriber_ids: list[int], release_ids: set[int]) -> dict[int, set[int]]:
    out: dict[int, set[int]] = defaultdict(set)
    if not release_ids:
        return out
    rows = session.execute(
        select(SentRelease.subscriber_id, SentRelease.release_id).where(
            SentRelease.subscriber_id.in_(subscriber_ids), SentRelease.release_id.in_(sorted(release_ids))
        )
    )
    for sid, rid in rows:
        out[sid].add(rid)
    return out


SWITCH_LOOKBACK_DAYS = 31  # a frequency switch leaves at most about one month uncovered


def switch_gaps(session: Session, subscriber_ids: list[int], period: Period) -> dict[int, dt.date]:
    """Per subscriber who switched frequency: the first day no edition of theirs covered yet (at most
    SWITCH_LOOKBACK_DAYS back). A monthly reader who turns weekly on the 18th was in no weekly edition
    of the 1st–17th, and will not be in that month's monthly edition: those days are a gap to fill."""
    ends: dict[int, dict[Frequency, dt.date]] = defaultdict(dict)
    rows = session.execute(
        select(Delivery.subscriber_id, Edition.frequency, func.max(Edition.period_end))
        .join(Edition, Edition.id == Delivery.edition_id)
        .where(Delivery.subscriber_id.in_(subscriber_ids), Edition.period_start < period.start)
        .group_by(Delivery.subscriber_id, Edition.frequency)
    )
    for sid, freq, end in rows:
        ends[sid][Frequency(freq)] = end
    floor = period.start - dt.timedelta(days=SWITCH_LOOKBACK_DAYS)
    gaps = {}
    for sid, by_freq in ends.items():
        other = max((end for f, end in by_freq.items() if f is not period.frequency), default=None)
        same = by_freq.get(period.frequency)
        if other is not None and (same is None or other > same):
            start = max(other + dt.timedelta(days=1), floor)
            if start < period.start:
                gaps[sid] = start
    return gaps


def new_message_id(cfg: Config, edition_id: int) -> str:
    return f"<digest.{edition_id}.{uuid.uuid4().hex}@{cfg.site.authority}>"


def build_edition(session: Session, cfg: Config, period: Period, *, now: dt.datetime) -> EditionResult:
    """Create the edition and one queued delivery per active subscriber with something to send, recording
    SentRelease rows at once so the next edition does not repeat them. Idempotent: an edition that
    exists is left alone. Runs inside the caller's transaction: all or nothing."""
    result = EditionResult(str(period.frequency), period.label)
    existing = session.scalars(
        select(Edition).where(Edition.frequency == period.frequency, Edition.period == period.label)
    ).first()
    if existing is not None:
        result.edition_id = existing.id
        return result
    prev = previous_edition(session, period)
    pool = candidate_release_ids(session, period, prev, cfg.digest.first_edition_lookback_days)
    carry = carried_over(session, prev)
    extra = set().union(*carry.values()) if carry else set()
    tags = _tags(session, pool | extra, period)
    result.candidates = len(pool)

    edition = Edition(
        frequency=period.frequency,
        period=period.label,
        period_start=period.start,
        period_end=period.end,
        status=EditionStatus.BUILT,
        built_at=now,
        subject="",
        stats={},
    )
    session.add(edition)
    try:
        session.flush()
    except IntegrityError:
        # Another builder won the race on the unique (frequency, period): that edition stands.
        raise DigestError(f"edition {period.frequency} {period.label} is being built by another process") from None
    result.edition_id = edition.id
    variants: set[str] = set()
    pool_sorted = sorted(pool)
    gap_ids: list[int] = []  # releases published in the lookback before the period (loaded on first need)
    for batch in _subscriber_batches(session, period.frequency):
        gaps = switch_gaps(session, [b[0] for b in batch], period)
        if gaps and not gap_ids:
            since = period.start - dt.timedelta(days=SWITCH_LOOKBACK_DAYS)
            gap_ids = sorted(
                session.scalars(select(Release.id).where(Release.published >= since, Release.published < period.start))
            )
            tags.update(_tags(session, set(gap_ids) - tags.keys(), period))
        sent = _sent_for(session, [b[0] for b in batch], pool | extra | (set(gap_ids) if gaps else set()))
        rows: list[dict[str, Any]] = []
        chosen_by_sub: dict[int, list[int]] = {}
        for sid, want_topics, want_regions in batch:
            gap = [rid for rid in gap_ids if tags[rid].published >= gaps[sid]] if sid in gaps else []
            ids = choose_items(
                tags,
                [*pool_sorted, *sorted(carry.get(sid, ())), *gap],
                want_topics,
                want_regions,
                sent.get(sid, set()),
                cfg.digest.max_items,
            )
            ids = list(dict.fromkeys(ids))
            if not ids:
                result.empty += 1
                if not cfg.digest.send_empty:
                    continue
            key = variant_key(ids)
            variants.add(key)
            chosen_by_sub[sid] = ids
            rows.append(
                {
                    "edition_id": edition.id,
                    "subscriber_id": sid,
                    "status": DeliveryStatus.QUEUED,
                    "message_id": new_message_id(cfg, edition.id),
                    "variant": key,
                    "release_ids": ids,
                    "attempts": 0,
                    "last_error": "",
                    "created_at": now,
                    "updated_at": now,
                }
            )
        if not rows:
            continue
        created = session.execute(
            insert(Delivery).returning(Delivery.id, Delivery.subscriber_id, sort_by_parameter_order=True), rows
        ).all()
        sent_rows = [
            {"subscriber_id": sid, "release_id": rid, "delivery_id": did}
            for did, sid in created
            for rid in chosen_by_sub[sid]
        ]
        if sent_rows:
            session.execute(insert(SentRelease), sent_rows)
        result.deliveries += len(created)
    result.variants = len(variants)
    edition.subject = f"{cfg.site.title}: {period.human}"  # per-variant subjects carry their own counts
    edition.stats = {
        "deliveries": result.deliveries,
        "variants": result.variants,
        "empty": result.empty,
        "candidates": result.candidates,
    }
    if result.deliveries == 0:
        edition.status = EditionStatus.SENT  # nothing to hand over
    result.created = True
    return result


def find_edition(session: Session, edition_id: int) -> Edition:
    edition = session.get(Edition, edition_id)
    if edition is None:
        raise NotFoundError(f"no digest edition {edition_id}")
    return edition


def edition_period(edition: Edition) -> Period:
    return parse_period(edition.period, edition.frequency)


def variant_release_ids(session: Session, edition_id: int, variant: str) -> list[int]:
    """The release ids of a variant (any delivery of it will do: same variant, same items)."""
    ids = session.scalars(
        select(Delivery.release_ids).where(Delivery.edition_id == edition_id, Delivery.variant == variant).limit(1)
    ).first()
    if ids is None:
        raise NotFoundError(f"digest edition {edition_id} has no variant {variant!r}")
    return list(ids)


def render_edition_variant(
    session: Session, cfg: Config, edition: Edition, variant: str, release_ids: Sequence[int], *, archive: bool = False
) -> RenderedDigest:
    period = edition_period(edition)
    items = items_for_ids(session, cfg, period, release_ids)
    view = archive_url(cfg, edition.id, variant)
    return render_digest(cfg, period, items, variant=variant, view_url="" if archive else view, archive=archive)


def preview_items(session: Session, cfg: Config, period: Period, subscriber: Subscriber | None) -> list[DigestItem]:
    """What an edition for `period` would carry (for one subscriber, or everything), without recording anything."""
    existing = session.scalars(
        select(Edition).where(Edition.frequency == period.frequency, Edition.period == period.label)
    ).first()
    if existing is not None and subscriber is not None:
        row = session.scalars(
            select(Delivery).where(Delivery.edition_id == existing.id, Delivery.subscriber_id == subscriber.id)
        ).first()
        return items_for_ids(session, cfg, period, row.release_ids) if row else []
    prev = previous_edition(session, period)
    pool = candidate_release_ids(session, period, prev, cfg.digest.first_edition_lookback_days)
    if subscriber is None:
        ids = sorted(pool)
    else:
        carry = carried_over(session, prev).get(subscriber.id, set())
        tags = _tags(session, pool | carry, period)
        sent = _sent_for(session, [subscriber.id], pool | carry).get(subscriber.id, set())
        ids = choose_items(
            tags, sorted(pool | carry), subscriber.topics or [], subscriber.regions or [], sent, cfg.digest.max_items
        )
    items = items_for_ids(session, cfg, period, ids)
    return items[: cfg.digest.max_items]


@dataclass(frozen=True)
class EditionInfo:
    id: int
    frequency: str
    period: str
    status: str
    built_at: dt.datetime
    counts: dict[str, int]

    def describe(self) -> str:
        counts = ", ".join(f"{n} {s}" for s, n in sorted(self.counts.items())) or "no deliveries"
        return f"{self.id:>5}  {self.frequency:<8} {self.period:<9} {self.status:<6} {counts}"


def list_editions(session: Session) -> list[EditionInfo]:
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for eid, status, n in session.execute(
        select(Delivery.edition_id, Delivery.status, func.count()).group_by(Delivery.edition_id, Delivery.status)
    ):
        counts[eid][str(status)] = n
    return [
        EditionInfo(e.id, str(e.frequency), e.period, str(e.status), e.built_at, counts.get(e.id, {}))
        for e in session.scalars(select(Edition).order_by(Edition.period_start.desc(), Edition.frequency))
    ]


__all__ = [
    "DigestItem",
    "EditionInfo",
    "EditionResult",
    "Period",
    "RelatedProject",
    "RenderedDigest",
    "build_edition",
    "last_completed_period",
    "matches",
    "parse_period",
    "period_containing",
    "personalise",
    "render_digest",
    "variant_key",
]


@dataclass
class EditionsSummary:
    """What one build_editions call did, per edition."""

    results: list[EditionResult] = field(default_factory=list)

    @property
    def created(self) -> int:
        return sum(1 for r in self.results if r.created)

    @property
    def deliveries(self) -> int:
        return sum(r.deliveries for r in self.results)

    def describe(self) -> str:
        if not self.results:
            return "no editions to build"
        return "; ".join(r.describe() for r in self.results)
