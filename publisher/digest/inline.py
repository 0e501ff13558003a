"""CSS inlining by premailer: per document, or once per template source and checked."""

from __future__ import annotations

import datetime as dt
import logging
import re

import jinja2

from publisher.config import Config
from publisher.digest.context import template_context
from publisher.digest.model import NO_FOLLOWS, DigestItem, Follows, RelatedProject
from publisher.digest.periods import Period
from publisher.digest.templates import MAIL_TEMPLATE, template_environment
from publisher.errors import DigestError
from publisher.models.mail import Frequency

log = logging.getLogger(__name__)


def inline_css(document: str) -> str:
    """Inline the <style> rules (media queries stay in a <style> block); never fetches anything."""
    import premailer  # deferred: heavy import, only needed when rendering HTML

    try:
        inlined: str = premailer.Premailer(
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
    return inlined


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

    canonical: str = etree.tostring(
        lxml_html.document_fromstring(document).getroottree(), method="html", encoding="unicode"
    )
    return canonical


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
            "feed": "https://example.invalid/f/a.b.atom",
        }
        follows = Follows(frozenset(["t1"]), frozenset(["r1"]))  # takes the "why you got this" branch
        for items, view_url, who, follows_ in (
            (_probe_items(), "https://example.invalid/v?a=1&b=2", None, NO_FOLLOWS),
            (_probe_items()[:1], "", personal, NO_FOLLOWS),
            ([], "https://example.invalid/v", None, NO_FOLLOWS),
            (_probe_items(), "https://example.invalid/v", None, follows),
        ):
            ctx = template_context(cfg, period, items, view_url, who, follows_)
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
