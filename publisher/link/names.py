"""Find project names in a release as it writes them (acronyms, aliases, phases, variants), in one pass."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

from publisher.link.ordinals import ORDINAL_BEFORE, ROMANS, ordinal_number
from publisher.text import SMALL_WORDS

# A token of a name or a release: letters, digits, "&" and "+" ("R&R", "MIEUX+"); everything else separates.
_TOKEN = re.compile(r"[\w&+]+")
_TOKEN_CHAR = re.compile(r"[\w&+]")
# A token that may start with a capital letter (Latin scripts; isupper() decides): every name and acronym does
# ("EaP", "MoNIS", "R&R", "Örebro Process").
# ("(?<![\w&+])" tested after the capital: a pattern that starts with a character class lets `re` skip ahead in C.)
_CAPITALISED = re.compile(r"[A-ZÀ-ÖØ-Þ\u0100-\u024f](?<![\w&+].)[\w&+]*")
_ROMAN = re.compile(r"^(?:I{1,3}|IV|V|VI{0,3}|IX|X)$")
_PHASE_WORDS = frozenset({"phase", "Phase", "PHASE"})
_GLUED_PHASE = re.compile(r"^(?P<base>[A-Z][A-Za-z&]*[A-Z])(?P<n>\d{1,2})$")


class MentionKind(StrEnum):
    EXACT = "exact"  # the project's own name, acronym or alias
    PHASE = "phase"  # the same name or acronym with another (or no) phase number


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _phase_split(toks: list[str]) -> tuple[list[str], str]:
    """(base tokens, phase) of "BOMCA 9" → (["BOMCA"], "9"); "X Phase IV" → (["X"], "IV"); no phase: (toks, "")."""
    if len(toks) >= 2 and _is_phase(toks[-1]):
        base = toks[:-1]
        if len(base) >= 2 and base[-1] in _PHASE_WORDS:
            base = base[:-1]
        return base, toks[-1]
    if len(toks) == 1:
        m = _GLUED_PHASE.match(toks[0])
        if m:
            return [m.group("base")], m.group("n")
    return toks, ""


def phase_base(toks: list[str]) -> list[str]:
    """The tokens without a trailing phase: "BOMCA 9" → ["BOMCA"]."""
    return _phase_split([t.rstrip("+") or t for t in toks])[0]


def _is_name(toks: list[str]) -> bool:
    """A name is distinctive with at least two capitalised words ("Prague Process"), or one before the noun that
    says what it names ("the Chances project", "the Quwwa programme": matched as written, capital and all)."""
    if len(toks) < 2:
        return False
    if sum(1 for t in toks if t[:1].isupper()) >= 2:
        return True
    distinctive = toks[0][:1].isupper() or any(c.isdigit() for c in toks[0])  # "the 1+1 remittance programme"
    return distinctive and toks[0].lower() not in SMALL_WORDS and toks[-1].lower() in _HEAD_NOUNS


def _acronym_ok(toks: list[str]) -> bool:
    return bool(toks) and sum(c.isupper() for c in "".join(toks)) >= 2


# Words that name a project as the one another continues: "the second phase of", "a follow-up to the".
_CONTINUES = re.compile(
    r"\b(?:phase|follow[- ]up|successor|continuation|extension|sequel)\s+(?:of|to)\s+(?:the\s+|its\s+)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Mention:
    project: int  # index into the projects given to the index
    kind: MentionKind
    text: str  # as written in the release ("BOMCA 10")
    form: str  # the project's form it matched ("BOMCA 9" or its base "BOMCA")
    continued: bool = False  # named as what another phase continues: "the second phase of <its name>"


class MentionIndex:
    """Every project's acronyms and names keyed by token tuples; `scan` walks a text once, so the cost is the
    text's length times the longest form, not the number of projects."""

    def __init__(self, forms: Sequence[tuple[list[str], list[str]]]) -> None:
        # key -> [(project, kind, form)]; acronyms compare case-sensitively, names case-insensitively.
        self._acr: dict[tuple[str, ...], list[tuple[int, MentionKind, str]]] = {}
        self._names: dict[tuple[str, ...], list[tuple[int, MentionKind, str]]] = {}
        self._longest = 1
        for i, (acronyms, names) in enumerate(forms):
            for a in acronyms:
                toks = [t.rstrip("+") or t for t in tokens(a)]
                if not _acronym_ok(toks):
                    continue
                self._add(self._acr, tuple(toks), (i, MentionKind.EXACT, a))
                base, phase = _phase_split(toks)
                if phase and _acronym_ok(base):
                    self._add(self._acr, tuple(base), (i, MentionKind.PHASE, " ".join(base)))
            for n in names:
                toks = tokens(n)
                if not _is_name(toks):
                    continue
                self._add(self._names, tuple(t.lower() for t in toks), (i, MentionKind.EXACT, n))
                base, phase = _phase_split(toks)
                if phase and _is_name(base):
                    self._add(self._names, tuple(t.lower() for t in base), (i, MentionKind.PHASE, " ".join(base)))
        self._first_acr = {k[0] for k in self._acr}
        self._first_name = {k[0] for k in self._names}
        self._first_forms = {a.rstrip("+0123456789") for a in self._first_acr}
        # An alias the operator writes in lower case from its first word ("twinning project for Armenia's State
        # Migration Service"), or from a number ("1+1 remittance programme"), is looked for where that word
        # stands, as written.
        self._lower_first = {
            toks[0]
            for _, names in forms
            for n in names
            if (toks := tokens(n)) and (toks[0].islower() or not toks[0][:1].isalpha()) and _is_name(toks)
        }

    def _add(
        self,
        table: dict[tuple[str, ...], list[tuple[int, MentionKind, str]]],
        key: tuple[str, ...],
        item: tuple[int, MentionKind, str],
    ) -> None:
        entries = table.setdefault(key, [])
        # An exact form beats a phase base of the same key for the same project.
        if any(e[0] == item[0] for e in entries):
            return
        entries.append(item)
        self._longest = max(self._longest, len(key))

    def known(self, text: str) -> bool:
        """Is `text` (a name or acronym) one of the indexed forms, exactly or as another phase?"""
        return bool(list(self.scan(text)))

    def _starts(self, text: str, words: list[str]) -> list[int]:
        """Where a mention can start: a capitalised token that is the first token of some form (acronyms compare
        as written, with a glued phase number allowed; names in lower case). `words` are the text's capitalised
        tokens (_CAPITALISED.findall): each distinct one is judged once, and only those that pass are looked up
        in the text (str.find, at token boundaries), instead of a Python step per capitalised word."""
        acr, names = self._first_acr, self._first_name
        wanted = []
        for tok in set(words):
            if not tok[0].isupper():
                if tok in self._lower_first:
                    wanted.append(tok)
                continue
            base = tok.rstrip("+") or tok
            if base in acr or tok.lower() in names:
                wanted.append(tok)
            elif base[-1].isdigit():  # only then can it be a glued phase ("BOMCA10")
                glued = _GLUED_PHASE.match(base)
                if glued and glued.group("base") in acr:
                    wanted.append(tok)
        starts = []
        for tok in wanted:
            at = text.find(tok)
            while at >= 0:
                end = at + len(tok)
                # Where _CAPITALISED would have found this token: not inside a longer one on either side.
                if not (at and _TOKEN_CHAR.match(text, at - 1)) and not _TOKEN_CHAR.match(text, end):
                    starts.append(at)
                at = text.find(tok, at + 1)
        return sorted(starts)

    def scan(self, text: str) -> Iterator[Mention]:
        """Mentions in `text`, left to right, longest form first at each position."""
        # Most texts name no project: one set test on their capitalised words (with "+" and glued phase numbers
        # cut off) says so before any token-by-token look.
        capitalised = _CAPITALISED.findall(text)
        words = {w.rstrip("+0123456789") for w in capitalised}
        lower = [w for w in self._lower_first if w in text]
        if (
            not lower
            and words.isdisjoint(self._first_forms)
            and {w.lower() for w in words}.isdisjoint(self._first_name)
        ):
            return
        done = 0  # the end of the last mention: a form inside it is not another mention
        window = self._longest + 2  # the form plus a phase tail ("Phase IV")
        for start in self._starts(text, capitalised + lower):
            if start < done:
                continue
            spans = []
            for m in _TOKEN.finditer(text, start):
                spans.append((m.group(), m.start(), m.end()))
                if len(spans) == window:
                    break
            toks = [sp[0] for sp in spans]
            stripped = [t.rstrip("+") or t for t in toks]
            hit = None
            if stripped[0] in self._first_acr or _GLUED_PHASE.match(stripped[0]):
                hit = self._match(self._acr, stripped, 0, case=True)
            if toks[0][:1].isupper() or toks[0] in self._lower_first:
                # an alias may start with an acronym ("GLOJAT Asia and the Middle East"): the longer form wins
                name_hit = self._match(self._names, [t.lower() for t in toks], 0, case=False, original=toks)
                if name_hit is not None and (hit is None or name_hit[0] > hit[0]):
                    hit = name_hit
            if hit is None:
                continue
            n, entries = hit
            # A phase number after a base form belongs to the mention: "BOMCA 10", "MIEUX Phase IV".
            end = _phase_tail(toks, n)
            written = text[spans[0][1] : spans[end - 1][2]]
            continued = _CONTINUES.search(text, max(0, start - 60), start) is not None
            done = spans[end - 1][2]
            written_key = toks[:end]
            ordinal = ORDINAL_BEFORE.search(text, max(0, start - 40), start) if end == n else None
            if ordinal is not None and (numbered := self._numbered_entries(stripped[:n], ordinal_number(ordinal))):
                # "the third phase of the <base name>" names the third phase, not what the third continues
                written_key, entries, continued = numbered
                written = f"{written} ({ordinal.group().strip()})"
            for project, kind, form in entries:
                exact = kind is MentionKind.EXACT and _same_form(written_key, form)
                yield Mention(project, MentionKind.EXACT if exact else MentionKind.PHASE, written, form, continued)

    def _numbered_entries(
        self, base: list[str], number: int
    ) -> tuple[list[str], list[tuple[int, MentionKind, str]], bool] | None:
        """The forms of phase `number` of `base` (written "III" or "3"), as a written key and its entries."""
        for phase in (ROMANS[number] if number < len(ROMANS) else "", str(number)):
            key = [*base, phase]
            if phase and (found := self._acr.get(tuple(key)) or self._names.get(tuple(t.lower() for t in key))):
                return key, found, False
        return None

    def _match(
        self,
        table: dict[tuple[str, ...], list[tuple[int, MentionKind, str]]],
        keys: list[str],
        i: int,
        *,
        case: bool,
        original: list[str] | None = None,
    ) -> tuple[int, list[tuple[int, MentionKind, str]]] | None:
        for n in range(min(self._longest, len(keys) - i), 0, -1):
            entries = table.get(tuple(keys[i : i + n]))
            if entries is None:
                continue
            if original is not None and not (
                _written_as_name(original[i : i + n], entries) or _named_by_its_noun(original, i, n)
            ):
                continue
            return n, entries
        if case:
            m = _GLUED_PHASE.match(keys[i])
            if m and (m.group("base"),) in table:
                return 1, [(p, MentionKind.PHASE, f) for p, _, f in table[(m.group("base"),)]]
        return None


def _written_as_name(words: list[str], entries: Sequence[tuple[int, MentionKind, str]]) -> bool:
    """ "Prague Process" but not "prague process" or "the migration dialogue": every word that is not a small
    word starts with a capital (or a digit), unless the project's own name writes it in lower case too ("the
    Tajik Border Inspection Reform programme")."""
    lower = {t for _, _, form in entries for t in tokens(form) if t[:1].islower()}
    return all(w[:1].isupper() or w[:1].isdigit() or w.lower() in SMALL_WORDS or w in lower for w in words)


_HEAD_NOUNS = frozenset({"project", "programme", "program", "initiative", "facility"})


def _named_by_its_noun(words: list[str], i: int, n: int) -> bool:
    """ "the West Sahel land border control project": a name of at least three words, its first capitalised and
    the rest in lower case, is still a name when "project" or "programme" follows it."""
    return (
        i + n < len(words)
        and words[i + n].lower() in _HEAD_NOUNS
        and sum(w.lower() not in SMALL_WORDS for w in words[i : i + n]) >= 3
    )


def _phase_tail(toks: list[str], end: int) -> int:
    if end < len(toks) and toks[end] in _PHASE_WORDS and end + 1 < len(toks) and _is_phase(toks[end + 1]):
        return end + 2
    if end < len(toks) and _is_phase(toks[end]):
        return end + 1
    return end


def _is_phase(tok: str) -> bool:
    return (tok.isdigit() and len(tok) <= 2) or bool(_ROMAN.match(tok))


def _same_form(written: list[str], form: str) -> bool:
    # The "+" counts: "NAFLAM" is another phase of "NAFLAM+", not its name (they are looked up without it).
    return [w.lower() for w in written] == [w.lower() for w in tokens(form)]
