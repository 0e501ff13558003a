"""Validate subscriber fields: canonical addresses, one-line names, taxonomy slugs and frequency."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email

from publisher.config import Config
from publisher.errors import SubscriberError
from publisher.models import Frequency

_NAME_MAX = 200
_EMAIL_MAX = 320


class InvalidSubscriberError(SubscriberError):
    """One or more fields of a subscriber are invalid; `errors` maps field name → reason (for forms)."""

    def __init__(self, errors: dict[str, str], *, where: str = "") -> None:
        self.errors = dict(errors)
        self.where = where
        text = "; ".join(self.errors.values())  # each reason already names its field
        super().__init__(f"{where}: {text}" if where else text)


@dataclass(frozen=True)
class SubscriberData:
    """Validated subscriber fields: email lower-cased, slugs known to the taxonomy, name on one line."""

    email: str
    name: str = ""
    topics: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    frequency: Frequency = Frequency.WEEKLY


def normalise_email(raw: str) -> str:
    """The address in canonical form (lower-cased); SubscriberError when it is not a valid address."""
    raw = (raw or "").strip()
    if not raw:
        raise SubscriberError("an e-mail address is required")
    try:
        # No SMTPUTF8: the SMTP adapter (smtplib) and the digest headers are ASCII-only, so an address with a
        # non-ASCII local part could never be mailed. IDN domains are fine in their ASCII (punycode) form.
        info = validate_email(raw, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise SubscriberError(f"{raw!r} is not a valid e-mail address: {exc}") from None
    email = (info.ascii_email or info.normalized).lower()
    if len(email) > _EMAIL_MAX:
        raise SubscriberError(f"e-mail address longer than {_EMAIL_MAX} characters")
    return email


def _clean_name(raw: str | None) -> str:
    # The name ends up in the To header: no control characters, no line breaks.
    name = " ".join("".join(ch if ch.isprintable() else " " for ch in (raw or "")).split())
    if len(name) > _NAME_MAX:
        raise SubscriberError(f"name longer than {_NAME_MAX} characters")
    return name


def _check_slugs(known: Iterable[str], values: Iterable[str], kind: str) -> tuple[str, ...]:
    order = list(known)
    wanted = {v.strip() for v in values if v and v.strip()}
    unknown = sorted(wanted - set(order))
    if unknown:
        raise SubscriberError(f"unknown {kind} {', '.join(map(repr, unknown))} (known: {', '.join(order)})")
    return tuple(s for s in order if s in wanted)  # taxonomy order, no duplicates


def parse_frequency(raw: str | Frequency | None) -> Frequency:
    if raw is None or raw == "":
        return Frequency.WEEKLY
    try:
        return Frequency(str(raw).strip().lower())
    except ValueError:
        raise SubscriberError(
            f"unknown frequency {raw!r} (expected {' or '.join(f.value for f in Frequency)})"
        ) from None


def validate_subscriber(
    cfg: Config,
    email: str,
    *,
    name: str | None = "",
    topics: Iterable[str] = (),
    regions: Iterable[str] = (),
    frequency: str | Frequency | None = None,
    where: str = "",
) -> SubscriberData:
    """Check every field and report all problems at once (InvalidSubscriberError.errors)."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    checks: list[tuple[str, Any]] = [
        ("email", lambda: normalise_email(email)),
        ("name", lambda: _clean_name(name)),
        ("topics", lambda: _check_slugs(cfg.taxonomy.topics, topics, "topic")),
        ("regions", lambda: _check_slugs(cfg.taxonomy.regions, regions, "region")),
        ("frequency", lambda: parse_frequency(frequency)),
    ]
    for key, check in checks:
        try:
            out[key] = check()
        except SubscriberError as exc:
            errors[key] = str(exc)
    if errors:
        raise InvalidSubscriberError(errors, where=where)
    return SubscriberData(**out)
