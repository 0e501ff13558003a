"""Feed-sourced HTML made safe to show: one small allow-list (nh3), links by the one URL policy, and its text."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import nh3

from publisher.safeurl import is_safe_url

# Bump when the policy below changes what it keeps: outputs fingerprinted with it are rebuilt.
POLICY_VERSION = "1"
# What a press release needs: paragraphs, links, lists, emphasis, quotes, sub-headings, code.
ALLOWED_TAGS = frozenset(
    {"p", "br", "a", "ul", "ol", "li", "strong", "em", "b", "i", "blockquote", "h2", "h3", "h4", "code", "pre"}
)
# Headings outside h2–h4 are renamed, not dropped: the page's own title is the one h1, and h5/h6 read as h4.
_RENAMED_HEADINGS = {"h1": "h2", "h5": "h4", "h6": "h4"}
# Dropped together with everything inside: their text is code, styling or another document, never the release
# (kept as text it would turn up as paragraphs of script).
DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "noscript", "object", "embed", "template", "textarea", "select", "svg", "math"}
)
LINK_REL = "nofollow noopener noreferrer"
_BARE_ANCHOR = re.compile(rf'<a rel="{LINK_REL}">(.*?)</a>', re.DOTALL)  # an <a> whose href was dropped
_HEADING_TAG = re.compile(r"<(/?)(h[156])>")


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Only a link's target (an absolute http(s) URL by publisher.safeurl, as everywhere) and the rel we set:
    nh3 would keep generic attributes such as title and lang too."""
    if tag != "a":
        return None
    if attribute == "href":
        return value if is_safe_url(value) else None
    return value if attribute == "rel" and value == LINK_REL else None


def sanitise(markup: str) -> str:
    """`markup` with only the allowed tags, `href` on links (safe URLs only) and no other attribute.

    Idempotent, so outputs may sanitise stored HTML again (it may come from an older version's policy).
    """
    if not markup.strip():
        return ""
    cleaned = nh3.clean(
        markup,
        tags=set(ALLOWED_TAGS | _RENAMED_HEADINGS.keys()),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={"a": {"href"}},
        attribute_filter=_keep_attribute,
        url_schemes={"http", "https"},
        link_rel=LINK_REL,
        strip_comments=True,
    )
    # nh3 writes normalised markup (lower-case tags, no attributes on headings), so plain patterns suffice.
    cleaned = _HEADING_TAG.sub(lambda m: f"<{m[1]}{_RENAMED_HEADINGS[m[2]]}>", cleaned)
    return _BARE_ANCHOR.sub(r"\1", cleaned).strip()


class _TextExtractor(HTMLParser):
    """HTML to plain paragraphs: every block element and line break ends a paragraph."""

    BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr", "ul", "ol"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROPPED_WITH_CONTENT or tag == "style":
            self.skip += 1
        elif tag in self.BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in DROPPED_WITH_CONTENT:
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """The text of an HTML fragment as blank-line separated paragraphs, whitespace collapsed, no markup."""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    text = html.unescape("".join(parser.parts))
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)
