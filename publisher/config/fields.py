"""Config field helpers: a number's accepted range and a dataclass field carrying its operator documentation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Range:
    """The accepted values of a number: lo (inclusive, or exclusive when `above`) to hi inclusive."""

    lo: float
    hi: float
    above: bool = False  # lo itself is refused ("must be positive")
    below: str = ""  # message for a value under the range, when the generic one would mislead
    outside: str = ""  # message for a value on either side

    def problem(self, value: float) -> str | None:
        """Why `value` is outside the range, or None."""
        if self.outside and (value < self.lo or (self.above and value == self.lo) or value > self.hi):
            return self.outside
        if value < self.lo or (self.above and value == self.lo):
            if self.below:
                return self.below
            if self.lo == 0:
                return "must be positive" if self.above else "must not be negative"
            return f"must be at least {self.lo:g}"
        if value > self.hi:
            return f"must be at most {self.hi:g}"
        return None

    def describe(self) -> str:
        return f"{'>' if self.above else ''}{self.lo:g}..{self.hi:g}"


def _doc(text: str, *, range: Range | None = None, **kw: Any) -> Any:
    """A dataclass field carrying its operator documentation (shown by check-config and the README) and, for
    numbers, the range the builder enforces."""
    return field(metadata={"doc": text, "range": range, **kw.pop("metadata", {})}, **kw)
