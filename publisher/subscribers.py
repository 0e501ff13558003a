"""Subscriber management: validate and store subscribers, import CSV, and sign/verify their personal links."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import functools
import hmac
import io
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from enum import StrEnum
from typing import Any, Protocol

from email_validator import EmailNotValidError, validate_email
from itsdangerous import BadSignature, SignatureExpired, Signer, URLSafeTimedSerializer
from itsdangerous.signer import HMACAlgorithm
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from publisher.config import Config
from publisher.errors import NotFoundError, SubscriberError
from publisher.models import Frequency, Subscriber, SubscriberStatus, utcnow

# ---------------------------------------------------------------- signed tokens


class TokenPurpose(StrEnum):
    """What a signed link may do; each purpose has its own salt so a token for one never works for another."""

    CONFIRM = "confirm"
    MANAGE = "manage"
    UNSUBSCRIBE = "unsubscribe"


class TokenError(SubscriberError):
    """A signed link is malformed, forged, expired or no longer current."""

    def __init__(
        self, message: str, *, purpose: TokenPurpose, expired: bool = False, subscriber_id: int | None = None
    ) -> None:
        self.purpose = purpose
        self.expired = expired
        # Known only for a genuine but expired token: lets the confirm page offer a re-send.
        self.subscriber_id = subscriber_id
        super().__init__(message)


class _HMAC(HMACAlgorithm):
    """itsdangerous' HMAC (same key, digest and bytes) through the one-shot C `hmac.digest`: a digest mail
    signs two links per recipient, and the pure-Python hmac object was most of that time."""

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        return hmac.digest(key, value, self.digest_method)


@functools.lru_cache(maxsize=32)
def _serializer_for(secret_key: str, purpose: TokenPurpose) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        secret_key, salt=f"publisher.subscriber.{purpose.value}", signer_kwargs={"algorithm": _HMAC()}
    )


@functools.lru_cache(maxsize=32)
def _signer_for(secret_key: str, purpose: TokenPurpose) -> Signer:
    # A signer holds only the key, salt and algorithm: safe to share, and built once instead of per token.
    return _serializer_for(secret_key, purpose).make_signer()


def _serializer(cfg: Config, purpose: TokenPurpose) -> URLSafeTimedSerializer:
    return _serializer_for(cfg.secret_key, purpose)


class TokenHolder(Protocol):
    """What signing needs of a subscriber: an ORM `Subscriber` or the light row a delivery run loads."""

    @property
    def id(self) -> int | None: ...
    @property
    def email(self) -> str: ...
    @property
    def token_version(self) -> int | None: ...


def _payload(secret_key: str, subscriber: TokenHolder) -> bytes:
    if subscriber.id is None:
        raise SubscriberError(f"subscriber {subscriber.email} has no id yet (flush the session first)")
    return _claims_payload(subscriber.id, subscriber.token_version or 1)


def _claims_payload(subscriber_id: int, token_version: int) -> bytes:
    """What `URLSafeTimedSerializer.dump_payload([id, version])` returns, built directly when that is provably
    the same: compact JSON of two integers, URL-safe base64 without padding. itsdangerous zlib-compresses only
    when that saves 2+ bytes, and zlib output is at least 9 bytes (2 header + 3 deflate + 4 checksum), so up to
    10 bytes of JSON (ids below 1 000 000 with a one-digit version) it never does; longer ones take the stock way."""
    if type(subscriber_id) is int and type(token_version) is int:  # exact types: a bool would dump differently
        claims = b"[%d,%d]" % (subscriber_id, token_version)
        if len(claims) <= 10:
            return base64.urlsafe_b64encode(claims).rstrip(b"=")
    return _serializer_for("", TokenPurpose.MANAGE).dump_payload([subscriber_id, token_version])


@functools.lru_cache(maxsize=32)
def _signing_key(secret_key: str, purpose: TokenPurpose) -> tuple[bytes, Any]:
    """The signer's derived key and HMAC digest, taken from the signer itself so they cannot drift from it."""
    signer = _signer_for(secret_key, purpose)
    return signer.derive_key(), signer.algorithm.digest_method  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=4)
def _timestamp(seconds: int) -> bytes:
    # itsdangerous: base64 of the big-endian integer without leading zero bytes. Memoised: one per second.
    return base64.urlsafe_b64encode(seconds.to_bytes(8, "big").lstrip(b"\x00")).rstrip(b"=")


def _sign(secret_key: str, payload: bytes, purpose: TokenPurpose, now: float | None = None) -> str:
    """What `URLSafeTimedSerializer.dumps` returns for this payload: payload.timestamp.signature, with the
    signer's derived key cached per purpose (itsdangerous derives it again for every token)."""
    value = payload + b"." + _timestamp(int(time.time() if now is None else now))
    key, digest = _signing_key(secret_key, purpose)
    signature = hmac.digest(key, value, digest)
    return (value + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode("ascii")


def make_token(cfg: Config, subscriber: TokenHolder, purpose: TokenPurpose) -> str:
    """A URL-safe signed token naming the subscriber and their current token_version."""
    key = cfg.secret_key
    return _sign(key, _payload(key, subscriber), purpose)


@dataclass(frozen=True)
class TokenClaims:
    subscriber_id: int
    token_version: int
    purpose: TokenPurpose


def read_token(cfg: Config, token: str, purpose: TokenPurpose) -> TokenClaims:
    """Verify a token's signature (and age, for confirm links); raise TokenError otherwise.

    The token_version is checked against the store by `resolve_token`, not here.
    """
    ser = _serializer(cfg, purpose)
    max_age = cfg.digest.token_max_age_days * 86400 if purpose is TokenPurpose.CONFIRM else None
    try:
        payload = ser.loads(token, max_age=max_age)
    except SignatureExpired as exc:
        # The signature was genuine, so the payload can be trusted to name who asked.
        sid = _subscriber_id(ser.load_payload(exc.payload)) if exc.payload is not None else None
        raise TokenError(
            f"this {purpose.value} link has expired", purpose=purpose, expired=True, subscriber_id=sid
        ) from None
    except BadSignature:
        raise TokenError(f"this {purpose.value} link is not valid", purpose=purpose) from None
    sid = _subscriber_id(payload)
    if sid is None or not isinstance(payload[1], int):
        raise TokenError(f"this {purpose.value} link is not valid", purpose=purpose)
    return TokenClaims(sid, payload[1], purpose)


def _subscriber_id(payload: Any) -> int | None:
    if isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], int):
        return payload[0]
    return None


def resolve_token(session: Session, cfg: Config, token: str, purpose: TokenPurpose) -> Subscriber | None:
    """The subscriber a token names, or TokenError.

    Confirm and manage links die when token_version is bumped (on unsubscribe / re-subscribe).
    Unsubscribe links never die: a link in an old mail must always work, and unsubscribing is the
    safe direction. They return None when the subscriber was purged (nothing left to unsubscribe).
    """
    claims = read_token(cfg, token, purpose)
    sub = session.get(Subscriber, claims.subscriber_id)
    if purpose is TokenPurpose.UNSUBSCRIBE:
        return sub
    if sub is None or sub.token_version != claims.token_version:
        raise TokenError(f"this {purpose.value} link is no longer valid", purpose=purpose)
    return sub


def subscriber_links(cfg: Config, subscriber: TokenHolder) -> dict[str, str]:
    """Absolute URLs of a subscriber's personal pages: "manage", "unsubscribe", "one_click" (RFC 8058 POST)."""
    key = cfg.secret_key  # a property reading the environment: once, not per token
    payload = _payload(key, subscriber)  # the same claims for both: serialise once, sign twice (one salt each)
    manage = _sign(key, payload, TokenPurpose.MANAGE)
    unsub = _sign(key, payload, TokenPurpose.UNSUBSCRIBE)
    root = cfg.site.url("")  # what cfg.site.url(path) prefixes; a token never starts with "/"
    return {
        "manage": f"{root}preferences/{manage}",
        "unsubscribe": f"{root}unsubscribe/{unsub}",
        "one_click": f"{root}one-click/{unsub}",
    }


def confirm_link(cfg: Config, subscriber: Subscriber) -> str:
    """Absolute URL of the double opt-in confirmation page (valid for digest.token_max_age_days)."""
    return cfg.site.url(f"confirm/{make_token(cfg, subscriber, TokenPurpose.CONFIRM)}")


# ---------------------------------------------------------------- validation


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


# ---------------------------------------------------------------- store operations


class Outcome(StrEnum):
    """What an add/import did to one address."""

    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    KEPT_INACTIVE = "kept-inactive"  # unsubscribed/bounced: an import never re-activates them


def find_subscriber(session: Session, email: str) -> Subscriber | None:
    return session.scalar(select(Subscriber).where(Subscriber.email == email.strip().lower()))


def get_subscriber(session: Session, email: str) -> Subscriber:
    sub = find_subscriber(session, email)
    if sub is None:
        raise NotFoundError(f"no subscriber {email.strip().lower()!r}")
    return sub


def new_subscriber(data: SubscriberData, status: SubscriberStatus, now: dt.datetime) -> Subscriber:
    return Subscriber(
        email=data.email,
        name=data.name,
        status=status,
        frequency=data.frequency,
        topics=list(data.topics),
        regions=list(data.regions),
        token_version=1,
        bounce_count=0,
        created_at=now,
        updated_at=now,
        confirmed_at=now if status is SubscriberStatus.ACTIVE else None,
    )


PREFERENCE_FIELDS = ("name", "topics", "regions", "frequency")


def _set_preferences(sub: Subscriber, data: SubscriberData, fields: Iterable[str] | None = None) -> bool:
    changed = False
    wanted: dict[str, Any] = {
        "name": data.name,
        "frequency": data.frequency,
        "topics": list(data.topics),
        "regions": list(data.regions),
    }
    for key in PREFERENCE_FIELDS if fields is None else fields:
        value = wanted[key]
        if getattr(sub, key) != value:
            setattr(sub, key, value)
            changed = True
    return changed


def _activate(sub: Subscriber, now: dt.datetime) -> None:
    sub.status = SubscriberStatus.ACTIVE
    sub.confirmed_at = now
    sub.unsubscribed_at = None
    sub.bounce_count = 0


def upsert_subscriber(
    session: Session,
    data: SubscriberData,
    *,
    status: SubscriberStatus,
    now: dt.datetime | None = None,
    resubscribe: bool = False,
    keep_inactive: bool = False,
    fields: Iterable[str] | None = None,
) -> tuple[Subscriber, Outcome]:
    """Add an address or update an existing one (never a duplicate).

    On update only `fields` (default: all of name, topics, regions, frequency) are overwritten, so an
    operator's `add --topic x` or a CSV without a frequency column keeps what the subscriber chose.
    An existing active subscriber is never demoted to pending. An unsubscribed or bounced one is
    re-activated only with `resubscribe`; otherwise `keep_inactive` leaves them untouched (imports)
    and the default refuses (an explicit `subscribers add`).
    """
    now = now or utcnow()
    sub = find_subscriber(session, data.email)
    if sub is None:
        sub = new_subscriber(data, status, now)
        session.add(sub)
        session.flush()
        return sub, Outcome.ADDED
    inactive = sub.status in (SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.BOUNCED)
    if inactive and not resubscribe:
        if keep_inactive:
            return sub, Outcome.KEPT_INACTIVE
        when = f" on {sub.unsubscribed_at:%Y-%m-%d}" if sub.unsubscribed_at else ""
        raise SubscriberError(
            f"{sub.email} is {sub.status.value}{when}; add them again only if they asked to (--resubscribe)"
        )
    changed = _set_preferences(sub, data, fields)
    if inactive:
        sub.status = status
        sub.token_version += 1
        if status is SubscriberStatus.ACTIVE:
            _activate(sub, now)
        changed = True
    elif status is SubscriberStatus.ACTIVE and sub.status is SubscriberStatus.PENDING:
        _activate(sub, now)
        changed = True
    if changed:
        sub.updated_at = now
    return sub, Outcome.UPDATED if changed else Outcome.UNCHANGED


def list_subscribers(session: Session, status: SubscriberStatus | None = None) -> list[Subscriber]:
    q = select(Subscriber).order_by(Subscriber.email)
    if status is not None:
        q = q.where(Subscriber.status == status)
    return list(session.scalars(q))


def count_by_status(session: Session) -> dict[SubscriberStatus, int]:
    rows = session.execute(select(Subscriber.status, func.count()).group_by(Subscriber.status))
    return {SubscriberStatus(s): n for s, n in rows}


def unsubscribe(sub: Subscriber, now: dt.datetime | None = None) -> bool:
    """Mark unsubscribed and kill older manage/confirm links; False when already unsubscribed (idempotent)."""
    if sub.status is SubscriberStatus.UNSUBSCRIBED:
        return False
    now = now or utcnow()
    sub.status = SubscriberStatus.UNSUBSCRIBED
    sub.unsubscribed_at = now
    sub.updated_at = now
    sub.token_version += 1
    return True


def purge(session: Session, sub: Subscriber) -> None:
    """Erase the subscriber for good (GDPR); the database cascades to their deliveries and sent releases."""
    session.delete(sub)
    session.flush()


def update_preferences(sub: Subscriber, data: SubscriberData, now: dt.datetime | None = None) -> bool:
    """Save a subscriber's own choices from the preferences page (the address itself is not changeable)."""
    changed = _set_preferences(sub, data)
    if changed:
        sub.updated_at = now or utcnow()
    return changed


class RequestAction(StrEnum):
    """What to mail after a subscribe form was submitted."""

    CONFIRM = "confirm"  # send the double opt-in link
    ALREADY_ACTIVE = "already-active"  # tell the owner they are subscribed, with their manage link


def request_subscription(
    session: Session, data: SubscriberData, now: dt.datetime | None = None
) -> tuple[Subscriber, RequestAction]:
    """Handle a public subscribe request; nothing becomes active until the owner confirms.

    An active subscriber's settings are not changed by strangers: the owner only gets a note.
    An unsubscribed or bounced address keeps its status until the owner confirms.
    """
    now = now or utcnow()
    sub = find_subscriber(session, data.email)
    if sub is None:
        sub = new_subscriber(data, SubscriberStatus.PENDING, now)
        session.add(sub)
        session.flush()
        return sub, RequestAction.CONFIRM
    if sub.status is SubscriberStatus.ACTIVE:
        return sub, RequestAction.ALREADY_ACTIVE
    if _set_preferences(sub, data):
        sub.updated_at = now
    return sub, RequestAction.CONFIRM


def confirm(sub: Subscriber, now: dt.datetime | None = None) -> bool:
    """Activate after double opt-in; False when already active (a second click changes nothing)."""
    if sub.status is SubscriberStatus.ACTIVE:
        return False
    now = now or utcnow()
    _activate(sub, now)
    sub.updated_at = now
    return True


# ---------------------------------------------------------------- CSV import

CSV_COLUMNS = ("email", "name", "topics", "regions", "frequency")


@dataclass
class ImportRow:
    line: int
    data: SubscriberData
    fields: tuple[str, ...] = PREFERENCE_FIELDS  # the columns the file has: only these update existing rows


@dataclass
class ImportResult:
    """What an import did; `skipped` holds `file:line: reason` texts of rows left out (--skip-invalid)."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_inactive: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _split_list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(";") if v.strip()]


def parse_csv(cfg: Config, text: str, source: str) -> tuple[list[ImportRow], list[str]]:
    """Validate every row of a subscriber CSV without touching the store; returns rows and `source:line: reason` errors.

    Columns: email (required), name, topics, regions, frequency; lists are `;`-separated.
    """
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if not header:
        raise SubscriberError(f"{source}:1: empty file (expected a header line: {','.join(CSV_COLUMNS)})")
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        raise SubscriberError(f"{source}:1: unknown column {unknown[0]!r} (allowed: {', '.join(CSV_COLUMNS)})")
    if "email" not in header:
        raise SubscriberError(f"{source}:1: the header has no 'email' column")
    if len(set(header)) != len(header):
        raise SubscriberError(f"{source}:1: a column is named twice")
    reader.fieldnames = header
    rows: list[ImportRow] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(f"{source}:{reader.line_num}: {exc}")
            break  # the csv reader cannot resynchronise after a broken quote
        line = reader.line_num
        if None in raw:
            errors.append(f"{source}:{line}: more fields than columns in the header")
            continue
        try:
            data = validate_subscriber(
                cfg,
                raw.get("email") or "",
                name=raw.get("name"),
                topics=_split_list(raw.get("topics")),
                regions=_split_list(raw.get("regions")),
                frequency=raw.get("frequency"),
            )
        except SubscriberError as exc:
            errors.append(f"{source}:{line}: {exc}")
            continue
        if data.email in seen:
            errors.append(f"{source}:{line}: {data.email} repeats line {seen[data.email]}")
            continue
        seen[data.email] = line
        rows.append(ImportRow(line, data, tuple(f for f in PREFERENCE_FIELDS if f in header)))
    return rows, errors


def import_rows(
    session: Session, rows: Sequence[ImportRow], *, status: SubscriberStatus, now: dt.datetime | None = None
) -> ImportResult:
    """Apply validated rows in the caller's transaction; unsubscribed/bounced addresses stay so."""
    now = now or utcnow()
    result = ImportResult()
    for row in rows:
        sub, outcome = upsert_subscriber(
            session, row.data, status=status, now=now, keep_inactive=True, fields=row.fields
        )
        if outcome is Outcome.ADDED:
            result.added += 1
        elif outcome is Outcome.UPDATED:
            result.updated += 1
        elif outcome is Outcome.UNCHANGED:
            result.unchanged += 1
        else:
            result.kept_inactive.append(f"{sub.email} ({sub.status.value})")
    return result


# ---------------------------------------------------------------- subscription mails


def _jinja_env(cfg: Config) -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in cfg.template_dirs]),
        # Plain-text mail must not be HTML-escaped; anything .html is.
        autoescape=jinja2.select_autoescape(["html", "htm", "xml"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def build_subscription_mail(
    cfg: Config, subscriber: Subscriber, action: RequestAction, now: dt.datetime | None = None
) -> EmailMessage:
    """The plain-text mail answering a subscribe request: the confirm link, or (already active) the manage link."""
    now = now or utcnow()
    env = _jinja_env(cfg)
    context: dict[str, Any] = {
        "site": cfg.site,
        "subscriber": subscriber,
        "cfg": cfg,
        "max_age_days": cfg.digest.token_max_age_days,
        "subscribe_url": cfg.site.url("subscribe"),
    }
    if action is RequestAction.CONFIRM:
        context["confirm_url"] = confirm_link(cfg, subscriber)
        template, subject = "web/mail/confirm.txt", f"Please confirm your subscription to {cfg.site.title}"
    else:
        context.update(subscriber_links(cfg, subscriber))
        template, subject = "web/mail/already_subscribed.txt", f"You are already subscribed to {cfg.site.title}"
    try:
        body = env.get_template(template).render(context)
    except Exception as exc:  # jinja2 errors: a broken operator template must say which file
        raise SubscriberError(f"cannot render {template}: {type(exc).__name__}: {exc}") from None
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = formataddr((cfg.digest.from_name, cfg.digest.from_address))
    msg["To"] = formataddr((subscriber.name, subscriber.email))
    if cfg.digest.reply_to:
        msg["Reply-To"] = cfg.digest.reply_to
    msg["Date"] = now
    msg["Message-ID"] = make_msgid("subscribe", domain=cfg.site.authority)
    # RFC 3834: tells autoresponders not to answer; this mail was triggered by a web form.
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(body)
    return msg


class SendLimiter:
    """In-memory per-address limit on subscription mails, so the public form cannot be used to flood an inbox.

    At most `burst` mails per address per `window` seconds and one per `min_interval`. It lives in the
    web process; a restart forgets it, which only ever allows a few extra mails.
    """

    def __init__(
        self,
        *,
        min_interval: float = 60.0,
        burst: int = 3,
        window: float = 86400.0,
        max_keys: int = 100_000,
        clock: Any = time.monotonic,
    ) -> None:
        import threading

        self.min_interval, self.burst, self.window, self.max_keys = min_interval, burst, window, max_keys
        self.clock = clock
        self._sent: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """True (and counted) when a mail to `key` may go out now."""
        now = self.clock()
        with self._lock:
            times = self._sent.setdefault(key, deque())
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) >= self.burst or (times and now - times[-1] < self.min_interval):
                return False
            times.append(now)
            if len(self._sent) > self.max_keys:
                # Drop the stalest keys; good enough against a flood of distinct addresses.
                for k in sorted(self._sent, key=lambda k: self._sent[k][-1] if self._sent[k] else 0)[
                    : self.max_keys // 10
                ]:
                    del self._sent[k]
            return True
