"""The Jinja2 environment of digest templates, with its fragment and word-wrap caches."""

from __future__ import annotations

import functools
from collections.abc import Hashable
from typing import Any

import jinja2

from publisher.config import Config


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


MAIL_TEMPLATE = "digest/digest.html"
