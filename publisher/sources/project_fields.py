"""Parse project-page field values: heading → (name, acronym), organisation lists, country lists."""

from __future__ import annotations

import re

from publisher.text import looks_like_acronym

# ---------------------------------------------------------------- headings

_ACRONYM_AT_END = re.compile(
    r"\((?P<acr>[^()]{2,40})\)\s*(?P<tail>project|programme|program|initiative|action|facility)?\s*$", re.IGNORECASE
)
_ACRONYM_AFTER_DASH = re.compile(r"\s[–—-]\s(?P<acr>[A-Z][A-Z0-9]+(?:[- ][A-Z0-9]+)*)\s*$")


def split_heading(heading: str) -> tuple[str, str]:
    """(name, acronym) from a heading like "Reintegration Support to Azerbaijani Returnees (RESTART) project"."""
    heading = re.sub(r"\s+", " ", heading).strip()
    m = _ACRONYM_AT_END.search(heading)
    if m and looks_like_acronym(m.group("acr")):
        name = heading[: m.start()].rstrip(" -–—:,")
        return (name or heading), m.group("acr").strip()
    m2 = _ACRONYM_AFTER_DASH.search(heading)
    if m2 and looks_like_acronym(m2.group("acr")):
        return heading[: m2.start()].rstrip(" -–—:,"), m2.group("acr")
    return heading, ""


# ---------------------------------------------------------------- lists and names


def split_list(value: str) -> tuple[str, ...]:
    """Split "ICMPD (lead), UNDP (partner)" or "A, B; C" into items; ";" wins over "," when both occur,
    because commas then belong inside items ("Republic of Poland, Ministry of Interior")."""
    value = re.sub(r"^\s*(?:led|implemented|funded|financed)\s+by\s+", "", value, flags=re.IGNORECASE)
    value = re.sub(r"\s+in\s+partnership\s+with\s+", ", ", value, flags=re.IGNORECASE)
    sep = ";" if ";" in value else ","
    items: list[str] = []
    depth, cur = 0, list[str]()
    for ch in value:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        if ch == sep and depth == 0:
            items.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    items.append("".join(cur))
    cleaned = [re.sub(r"\s+", " ", i).strip(" .") for i in items]
    out: list[str] = []
    for item in cleaned:
        if not item:
            continue
        # "IOM, WCO and ICMPD": split the final "X and Y" only when both sides are single names.
        parts = re.split(r"\s+and\s+", item)
        if sep == "," and len(parts) == 2 and all(len(p.split()) == 1 for p in parts):
            out.extend(parts)
        else:
            out.append(item)
    return tuple(out)


def split_countries(value: str) -> tuple[str, ...]:
    items = re.split(r"\s*[,;/]\s*|\s+and\s+|\s+&\s+", value.strip().rstrip("."))
    return tuple(re.sub(r"^the\s+", "", i.strip(), flags=re.IGNORECASE) for i in items if i.strip())
