"""Rendering one content variant (subject, inlined HTML, text); pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import jinja2

from publisher.config import Config
from publisher.digest.context import template_context
from publisher.digest.inline import inline_css, inlined_template
from publisher.digest.model import NO_FOLLOWS, DigestItem, Follows, RenderedDigest, variant_key
from publisher.digest.periods import Period
from publisher.digest.templates import MAIL_TEMPLATE, template_environment
from publisher.errors import DigestError

Inlining = Literal["template", "document"]


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
    follows: Follows = NO_FOLLOWS,
) -> RenderedDigest:
    """Render one content variant (subject, inlined HTML, text). Pure: same inputs, same output.

    Per-recipient values stay placeholders (see `personalise`) unless `personal` gives them, which is
    the naive per-recipient way (kept for previews and the benchmark).

    inline="template" (the default) renders the mail template whose CSS premailer inlined once per template
    source (see `inlined_template`), so no premailer call per variant; inline="document" runs premailer on
    this rendered document (the archive page always does: it extends the mail template).

    `follows` (the subscriber's topics and regions) groups the items by what the subscriber chose and gives
    each a "why you got this" line; none: everything grouped by `digest.group_by`."""
    variant = variant or variant_key((i.release_id for i in items), follows)
    env = template_environment(cfg)
    ctx = template_context(cfg, period, items, view_url, personal, follows)
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
