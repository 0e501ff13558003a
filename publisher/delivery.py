"""Deliver queued digest messages through a transport (outbox files or SMTP) with an at-most-once state machine."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
import smtplib
import ssl
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.orm import Session

from publisher import digest as digest_step
from publisher.config import Config
from publisher.errors import (
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
    UnknownDeliveryError,
)
from publisher.mailmsg import (
    FixedHeaders,
    MessageSkeleton,
    OutgoingMessage,
    PreparedPart,
    date_header,
    fill_skeleton,
    fixed_headers,
    format_address,
    message_skeleton,
    prepare_part,
)
from publisher.models import utcnow
from publisher.models.mail import (
    Delivery,
    DeliveryStatus,
    Edition,
    EditionStatus,
    SentRelease,
    Subscriber,
    SubscriberStatus,
)
from publisher.progress import NULL_PROGRESS, Progress
from publisher.store import Store
from publisher.subscribers import subscriber_links

log = logging.getLogger(__name__)
BATCH = 200
RENDER_CACHE = 32  # distinct variants kept rendered; deliveries come sorted by variant, so a few suffice


class TransportUnavailable(TransientDeliveryError):
    """The transport cannot be reached at all (connect/login failed): stop the run, retry later."""


# ---------------------------------------------------------------- transports


class Transport(Protocol):
    """Hands finished messages to the world. `send` raises Transient-, Permanent- or UnknownDeliveryError."""

    def send(self, message: OutgoingMessage) -> None: ...

    def close(self) -> None: ...


TransportFactory = Callable[[Config], Transport]
TRANSPORTS: dict[str, TransportFactory] = {}


def register_transport(name: str) -> Callable[[TransportFactory], TransportFactory]:
    def add(factory: TransportFactory) -> TransportFactory:
        TRANSPORTS[name] = factory
        return factory

    return add


def make_transport(cfg: Config) -> Transport:
    """The transport named by cfg.delivery.transport."""
    try:
        factory = TRANSPORTS[cfg.delivery.transport]
    except KeyError:
        known = ", ".join(sorted(TRANSPORTS))
        raise DeliveryError(
            f"delivery.transport: unknown transport {cfg.delivery.transport!r} (known: {known})"
        ) from None
    return factory(cfg)


def write_atomic(path: Path, data: bytes) -> bool:
    """Write via a temp file in the same folder + os.replace; skip when the bytes are already there."""
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with_suppressed_unlink(tmp)
        raise
    return True


def with_suppressed_unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


@register_transport("outbox")
class OutboxTransport:
    """One `.eml` file per message in cfg.delivery.outbox_dir, named by delivery id (re-sends overwrite)."""

    def __init__(self, cfg: Config) -> None:
        self.dir = cfg.delivery.outbox_dir

    def path_for(self, message: OutgoingMessage) -> Path:
        return self.dir / f"delivery-{message.delivery_id:08d}.eml"

    def send(self, message: OutgoingMessage) -> None:
        try:
            write_atomic(self.path_for(message), message.data)
        except OSError as exc:
            raise TransientDeliveryError(f"outbox {self.dir}: {exc.strerror or exc}") from exc

    def close(self) -> None:
        pass


@register_transport("smtp")
class SmtpTransport:
    """One SMTP connection reused for many messages, reopened when the server drops it, paced by rate_limit."""

    def __init__(self, cfg: Config, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.cfg = cfg
        self.conn: smtplib.SMTP | None = None
        self.interval = 1.0 / cfg.delivery.rate_limit if cfg.delivery.rate_limit > 0 else 0.0
        self.next_slot = 0.0
        self.sleep = sleep

    # -- connection

    def _connect(self) -> smtplib.SMTP:
        s = self.cfg.smtp
        where = f"{s.host}:{s.port}"
        try:
            if s.security == "ssl":
                conn: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host,
                    s.port,
                    local_hostname=s.local_hostname or None,
                    timeout=s.timeout,
                    context=ssl.create_default_context(),
                )
            else:
                conn = smtplib.SMTP(s.host, s.port, local_hostname=s.local_hostname or None, timeout=s.timeout)
            try:
                conn.ehlo()
                if s.security == "starttls":
                    conn.starttls(context=ssl.create_default_context())
                    conn.ehlo()
                if s.username:
                    conn.login(s.username, self.cfg.smtp_password)
            except BaseException:
                conn.close()
                raise
        except UnicodeEncodeError as exc:
            # smtplib sends AUTH credentials as ASCII only: a non-ASCII user name or password can never log in.
            raise TransportUnavailable(
                f"SMTP {where}: login impossible: smtp.username and the password must be "
                f"ASCII ({exc.reason} at position {exc.start})"
            ) from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise TransportUnavailable(f"SMTP {where}: login refused ({exc.smtp_code})", code=exc.smtp_code) from exc
        except smtplib.SMTPResponseException as exc:
            raise TransportUnavailable(
                f"SMTP {where}: {exc.smtp_code} {_text(exc.smtp_error)}", code=exc.smtp_code
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransportUnavailable(f"SMTP {where}: cannot connect: {exc}") from exc
        return conn

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (smtplib.SMTPException, OSError):
                pass
            finally:
                self.conn.close()
                self.conn = None

    def _drop(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    # -- sending

    def _pace(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if self.next_slot > now:
            self.sleep(self.next_slot - now)
        self.next_slot = max(now, self.next_slot) + self.interval

    def send(self, message: OutgoingMessage) -> None:
        self._pace()
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = self._connect()
            try:
                self._envelope(self.conn, message)
                break
            except smtplib.SMTPServerDisconnected:
                # Dropped while idle (server timeout) before anything of this message was accepted: reconnect once.
                self._drop()
                if attempt == 2:
                    raise TransientDeliveryError("SMTP: connection lost before the message was accepted") from None
        assert self.conn is not None  # the loop above either connected or raised
        self._data(self.conn, message)

    def _envelope(self, conn: smtplib.SMTP, message: OutgoingMessage) -> None:
        """MAIL FROM + RCPT TO; nothing is delivered yet, so every failure here is safe to retry."""
        try:
            try:
                code, resp = conn.mail(message.sender)
            except UnicodeEncodeError as exc:
                raise TransportUnavailable(f"SMTP MAIL FROM <{message.sender}>: sender address is not ASCII") from exc
            if code != 250:
                self._reset(conn)
                # A refused sender (530 auth required, 550 5.7.1 sender not allowed, 421/451 slow down) says
                # nothing about the recipient: stop the run and retry later, never bounce the subscriber.
                raise TransportUnavailable(f"SMTP MAIL FROM: {code} {_text(resp)}", code=code)
            try:
                code, resp = conn.rcpt(message.recipient)
            except UnicodeEncodeError as exc:
                # smtplib speaks ASCII only (no SMTPUTF8): this recipient can never be reached this way.
                self._reset(conn)
                raise PermanentDeliveryError(f"SMTP RCPT TO <{message.recipient}>: address is not ASCII") from exc
            if code not in (250, 251):
                self._reset(conn)
                raise _refused(f"RCPT TO <{message.recipient}>", code, resp)
        except smtplib.SMTPServerDisconnected:
            raise
        except OSError as exc:
            self._drop()
            raise TransientDeliveryError(f"SMTP: connection failed before the message was accepted: {exc}") from exc

    def _data(self, conn: smtplib.SMTP, message: OutgoingMessage) -> None:
        """DATA, split so we know whether the server may have the message when the connection dies."""
        try:
            code, resp = conn.docmd("data")
            if code != 354:
                self._reset(conn)
                raise _refused("DATA", code, resp)
            payload = _DOT_AT_LINE_START.sub(b"..", message.data)
            if not payload.endswith(b"\r\n"):
                payload += b"\r\n"
            conn.send(payload + b".\r\n")
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            # The terminating dot never went out: the server discards a half-received message.
            self._drop()
            raise TransientDeliveryError(f"SMTP: connection lost while sending the message: {exc}") from exc
        try:
            code, resp = conn.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            raise UnknownDeliveryError(f"SMTP: message sent but no reply received: {exc}") from exc
        if code != 250:
            raise _refused("end of DATA", code, resp)

    def _reset(self, conn: smtplib.SMTP) -> None:
        try:
            conn.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()


_DOT_AT_LINE_START = re.compile(rb"(?m)^\.")  # SMTP dot-stuffing (RFC 5321 4.5.2)


def _text(resp: bytes | str) -> str:
    return resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)


def _refused(stage: str, code: int, resp: bytes | str) -> DeliveryError:
    msg = f"SMTP {stage}: {code} {_text(resp)}"
    if 400 <= code < 500 or code == -1:
        return TransientDeliveryError(msg, code=code)
    return PermanentDeliveryError(msg, code=code)


# ---------------------------------------------------------------- the state machine


@dataclass(frozen=True, slots=True)
class Recipient:
    """The subscriber columns one message needs. A delivery run loads these (a row of five columns), not ORM
    `Subscriber` objects: building and tracking an ORM object cost more than assembling the message."""

    id: int
    email: str
    name: str
    status: SubscriberStatus
    token_version: int


LinkProvider = Callable[[Config, Recipient], Mapping[str, str]]


def default_links(cfg: Config, subscriber: Recipient) -> Mapping[str, str]:
    """Signed manage/unsubscribe/one-click URLs from the subscribers module (owned by the web work)."""
    return subscriber_links(cfg, subscriber)


@dataclass
class DeliverySummary:
    """What one delivery run did."""

    sent: int = 0
    deferred: int = 0
    failed: int = 0
    unknown: int = 0
    skipped: int = 0
    bounced: int = 0  # subscribers newly marked bounced
    recovered: int = 0  # rows found in `sending` from a dead run, now `unknown`
    stopped: bool = False
    note: str = ""
    editions_finished: list[int] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.sent + self.deferred + self.failed + self.unknown

    def describe(self) -> str:
        text = (
            f"{self.sent} sent, {self.deferred} deferred, {self.failed} failed, {self.unknown} unknown, "
            f"{self.skipped} skipped"
        )
        if self.bounced:
            text += f", {self.bounced} subscribers bounced"
        if self.recovered:
            text += f", {self.recovered} interrupted deliveries marked unknown"
        if self.stopped:
            text += " (stopped early)"
        if self.note:
            text += f"; {self.note}"
        return text


@dataclass(frozen=True)
class _Due:
    id: int
    edition_id: int
    variant: str
    message_id: str
    release_ids: tuple[int, ...]
    attempts: int
    subscriber: Recipient


def recover_interrupted(store: Store, now: dt.datetime) -> int:
    """Rows left in `sending` mean a sender died between claiming and recording the reply: the message may
    have gone out. At-most-once: mark them `unknown`, never resend."""
    with store.session() as session:
        res = session.execute(
            update(Delivery)
            .where(Delivery.status == DeliveryStatus.SENDING)
            .values(
                status=DeliveryStatus.UNKNOWN,
                updated_at=now,
                last_error="sender stopped between claiming and recording the reply",
            )
        )
        return res.rowcount or 0  # type: ignore[attr-defined]


def _due_batch(session: Session, now: dt.datetime, after: tuple[int, str, int], limit: int) -> list[_Due]:
    due = (Delivery.status == DeliveryStatus.QUEUED) | (
        (Delivery.status == DeliveryStatus.DEFERRED) & (Delivery.next_attempt_at <= now)
    )
    rows = session.execute(
        select(
            Delivery.id,
            Delivery.edition_id,
            Delivery.variant,
            Delivery.message_id,
            Delivery.release_ids,
            Delivery.attempts,
            Subscriber.id,
            Subscriber.email,
            Subscriber.name,
            Subscriber.status,
            Subscriber.token_version,
        )
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        .where(due, tuple_(Delivery.edition_id, Delivery.variant, Delivery.id) > tuple_(*after))
        # Sorted by variant so each variant is rendered once and only a few stay in memory.
        .order_by(Delivery.edition_id, Delivery.variant, Delivery.id)
        .limit(limit)
    ).all()
    return [
        _Due(did, eid, variant, mid, tuple(ids or ()), attempts, Recipient(sid, email, name or "", status, tv or 1))
        for did, eid, variant, mid, ids, attempts, sid, email, name, status, tv in rows
    ]


def _release_items(session: Session, delivery_id: int) -> None:
    # The message did not (and will not) go out: its releases may go in the subscriber's next edition.
    session.execute(delete(SentRelease).where(SentRelease.delivery_id == delivery_id))


def _finish(
    store: Store,
    delivery_id: int,
    now: dt.datetime,
    status: DeliveryStatus,
    *,
    code: int | None = None,
    error: str = "",
    next_attempt: dt.datetime | None = None,
    release: bool = False,
    from_states: tuple[DeliveryStatus, ...] = (DeliveryStatus.SENDING, DeliveryStatus.UNKNOWN),
) -> bool:
    with store.session() as session:
        values: dict[str, object] = {
            "status": status,
            "updated_at": now,
            "last_code": code,
            "last_error": error[:2000],
            "next_attempt_at": next_attempt,
        }
        if status is DeliveryStatus.SENT:
            values["sent_at"] = now
        res = session.execute(
            update(Delivery).where(Delivery.id == delivery_id, Delivery.status.in_(from_states)).values(**values)
        )
        if not res.rowcount:  # type: ignore[attr-defined]
            return False
        if release:
            _release_items(session, delivery_id)
    return True


def _claim(store: Store, delivery_id: int, now: dt.datetime) -> bool:
    """queued/deferred → sending, committed BEFORE the transport is touched; False if someone else has it or
    the subscriber is no longer active (the batch was loaded a while ago: they may have unsubscribed since)."""
    active = select(Subscriber.id).where(Subscriber.status == SubscriberStatus.ACTIVE)
    with store.session() as session:
        res = session.execute(
            update(Delivery)
            .where(
                Delivery.id == delivery_id,
                Delivery.status.in_([DeliveryStatus.QUEUED, DeliveryStatus.DEFERRED]),
                Delivery.subscriber_id.in_(active),
            )
            .values(status=DeliveryStatus.SENDING, attempts=Delivery.attempts + 1, updated_at=now)
        )
        return bool(res.rowcount)  # type: ignore[attr-defined]


def _skip_if_left(store: Store, delivery_id: int, now: dt.datetime) -> bool:
    """queued/deferred → skipped, only if its subscriber is no longer active (not when another run claimed it)."""
    active = select(Subscriber.id).where(Subscriber.status == SubscriberStatus.ACTIVE)
    with store.session() as session:
        res = session.execute(
            update(Delivery)
            .where(
                Delivery.id == delivery_id,
                Delivery.status.in_([DeliveryStatus.QUEUED, DeliveryStatus.DEFERRED]),
                Delivery.subscriber_id.not_in(active),
            )
            .values(
                status=DeliveryStatus.SKIPPED,
                updated_at=now,
                last_error="subscriber left before sending",
                next_attempt_at=None,
            )
        )
        if not res.rowcount:  # type: ignore[attr-defined]
            return False
        _release_items(session, delivery_id)
    return True


def _bounce(store: Store, cfg: Config, subscriber_id: int, now: dt.datetime) -> bool:
    with store.session() as session:
        session.execute(
            update(Subscriber).where(Subscriber.id == subscriber_id).values(bounce_count=Subscriber.bounce_count + 1)
        )
        res = session.execute(
            update(Subscriber)
            .where(
                Subscriber.id == subscriber_id,
                Subscriber.status == SubscriberStatus.ACTIVE,
                Subscriber.bounce_count >= cfg.delivery.bounce_after,
            )
            .values(status=SubscriberStatus.BOUNCED, updated_at=now)
        )
        return bool(res.rowcount)  # type: ignore[attr-defined]


def backoff(cfg: Config, attempts: int) -> dt.timedelta:
    """Exponential: base, 2·base, 4·base, ... after the 1st, 2nd, 3rd failed attempt."""
    return dt.timedelta(seconds=cfg.delivery.retry_base_seconds * (2 ** max(attempts - 1, 0)))


@dataclass(frozen=True)
class PreparedDigest:
    """A rendered variant assembled once into its whole message (shared headers, MIME structure, encoded
    bodies) with slots: per recipient only the personal values and headers are encoded and joined in."""

    rendered: digest_step.RenderedDigest
    html: PreparedPart
    text: PreparedPart
    headers: FixedHeaders
    skeleton: MessageSkeleton


def prepare_digest(cfg: Config, rendered: digest_step.RenderedDigest) -> PreparedDigest:
    html = prepare_part(rendered.html, digest_step.PLACEHOLDER_RE)
    text = prepare_part(rendered.text, digest_step.PLACEHOLDER_RE)
    headers = fixed_headers(cfg, rendered.subject)
    return PreparedDigest(rendered, html, text, headers, message_skeleton(headers, text, html))


class _Renderer:
    """Renders each (edition, variant) once and keeps the last few: memory does not grow with recipients."""

    def __init__(self, store: Store, cfg: Config) -> None:
        self.store, self.cfg = store, cfg
        self.cache: OrderedDict[tuple[int, str], PreparedDigest] = OrderedDict()
        self.renders = 0

    def get(self, d: _Due) -> PreparedDigest:
        key = (d.edition_id, d.variant)
        if key in self.cache:
            self.cache.move_to_end(key)
            return self.cache[key]
        with self.store.session() as session:
            edition = digest_step.find_edition(session, d.edition_id)
            rendered = digest_step.render_edition_variant(session, self.cfg, edition, d.variant, d.release_ids)
        self.renders += 1
        self.cache[key] = prepared = prepare_digest(self.cfg, rendered)
        if len(self.cache) > RENDER_CACHE:
            self.cache.popitem(last=False)
        return prepared


def message_for(
    cfg: Config,
    prepared: PreparedDigest,
    *,
    delivery_id: int,
    message_id: str,
    subscriber: Recipient | Subscriber,
    links: Mapping[str, str],
    date: dt.datetime,
) -> OutgoingMessage:
    """Fill one recipient into a prepared variant's skeleton: the same bytes as assembling the message from
    `recipient_headers` + `fill_part` + `build_encoded_message` (tests compare them), as a few string joins."""
    name = subscriber.name or ""
    escaped, values = digest_step.personal_values(name, links)
    data = fill_skeleton(
        prepared.skeleton,
        to=format_address("To", name, subscriber.email),
        date=date_header(date),
        message_id=message_id,
        one_click=links["one_click"],
        plain=values,
        escaped=escaped,
    )
    return OutgoingMessage(delivery_id, message_id, cfg.digest.from_address, subscriber.email, data)


def run_deliveries(
    store: Store,
    cfg: Config,
    *,
    transport: Transport | None = None,
    links: LinkProvider = default_links,
    limit: int | None = None,
    now: dt.datetime | None = None,
    progress: Progress = NULL_PROGRESS,
    stop: threading.Event | None = None,
) -> DeliverySummary:
    """Send every due delivery once: recover interrupted rows, then claim → send → record, one row at a time."""
    clock: Callable[[], dt.datetime] = (lambda: now) if now is not None else utcnow
    summary = DeliverySummary()
    summary.recovered = recover_interrupted(store, clock())
    if summary.recovered:
        log.warning("%d deliveries were interrupted by a previous run; marked unknown, not resent", summary.recovered)
    renderer = _Renderer(store, cfg)
    own_transport = transport is None
    opened: Transport | None = transport
    touched: set[int] = set()
    after: tuple[int, str, int] = (0, "", 0)
    done = 0
    progress.start("delivering", limit)
    try:
        while limit is None or done < limit:
            if stop is not None and stop.is_set():
                summary.stopped = True
                break
            with store.session() as session:
                batch = _due_batch(session, clock(), after, BATCH if limit is None else min(BATCH, limit - done))
            if not batch:
                break
            for d in batch:
                if stop is not None and stop.is_set():
                    summary.stopped = True
                    break
                after = (d.edition_id, d.variant, d.id)
                touched.add(d.edition_id)
                done += 1
                progress.advance()
                t = clock()
                if d.subscriber.status is not SubscriberStatus.ACTIVE:
                    if _finish(
                        store,
                        d.id,
                        t,
                        DeliveryStatus.SKIPPED,
                        error=f"subscriber {d.subscriber.status}",
                        release=True,
                        from_states=(DeliveryStatus.QUEUED, DeliveryStatus.DEFERRED),
                    ):
                        summary.skipped += 1
                    continue
                rendered = renderer.get(d)
                try:
                    msg = message_for(
                        cfg,
                        rendered,
                        delivery_id=d.id,
                        message_id=d.message_id,
                        subscriber=d.subscriber,
                        links=links(cfg, d.subscriber),
                        date=t,
                    )
                except DeliveryError as exc:
                    # Bad data (e.g. a line break in a header): sending can never succeed; nothing went out.
                    if _finish(
                        store,
                        d.id,
                        t,
                        DeliveryStatus.FAILED,
                        error=str(exc),
                        release=True,
                        from_states=(DeliveryStatus.QUEUED, DeliveryStatus.DEFERRED),
                    ):
                        summary.failed += 1
                    continue
                if not _claim(store, d.id, t):
                    # Someone else has it, or the subscriber left since the batch was loaded: then skip it.
                    if _skip_if_left(store, d.id, t):
                        summary.skipped += 1
                    continue
                if opened is None:
                    opened = make_transport(cfg)
                try:
                    opened.send(msg)
                except TransportUnavailable as exc:
                    _finish(
                        store,
                        d.id,
                        clock(),
                        DeliveryStatus.DEFERRED,
                        code=exc.code,
                        error=str(exc),
                        next_attempt=clock() + backoff(cfg, d.attempts + 1),
                    )
                    summary.deferred += 1
                    summary.note = f"transport unavailable, run stopped: {exc}"
                    summary.stopped = True
                    return summary
                except TransientDeliveryError as exc:
                    t = clock()
                    if d.attempts + 1 >= cfg.delivery.max_attempts:
                        _finish(
                            store,
                            d.id,
                            t,
                            DeliveryStatus.FAILED,
                            code=exc.code,
                            release=True,
                            error=f"gave up after {d.attempts + 1} attempts: {exc}",
                        )
                        summary.failed += 1
                    else:
                        _finish(
                            store,
                            d.id,
                            t,
                            DeliveryStatus.DEFERRED,
                            code=exc.code,
                            error=str(exc),
                            next_attempt=t + backoff(cfg, d.attempts + 1),
                        )
                        summary.deferred += 1
                except PermanentDeliveryError as exc:
                    t = clock()
                    _finish(store, d.id, t, DeliveryStatus.FAILED, code=exc.code, error=str(exc), release=True)
                    summary.failed += 1
                    if _bounce(store, cfg, d.subscriber.id, t):
                        summary.bounced += 1
                except UnknownDeliveryError as exc:
                    _finish(store, d.id, clock(), DeliveryStatus.UNKNOWN, error=str(exc))
                    summary.unknown += 1
                else:
                    _finish(store, d.id, clock(), DeliveryStatus.SENT, code=250)
                    summary.sent += 1
            else:
                continue
            break
    finally:
        progress.done()
        if own_transport and opened is not None:
            opened.close()
        summary.editions_finished = finish_editions(store, touched)
    return summary


def finish_editions(store: Store, edition_ids: set[int]) -> list[int]:
    """Editions whose every delivery reached a final state become `sent`."""
    pending = [DeliveryStatus.QUEUED, DeliveryStatus.SENDING, DeliveryStatus.DEFERRED]
    finished = []
    with store.session() as session:
        for eid in sorted(edition_ids):
            open_rows = session.scalars(
                select(Delivery.id).where(Delivery.edition_id == eid, Delivery.status.in_(pending)).limit(1)
            ).first()
            if open_rows is None:
                res = session.execute(
                    update(Edition)
                    .where(Edition.id == eid, Edition.status != EditionStatus.SENT)
                    .values(status=EditionStatus.SENT)
                )
                if res.rowcount:  # type: ignore[attr-defined]
                    finished.append(eid)
    return finished
