"""Subscriber management for the CLI and the web pages, one transaction per call."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage as _EmailMessage
from pathlib import Path as _Path

from publisher import subscribers as _subs
from publisher.config import Config
from publisher.errors import SubscriberError as _SubscriberError
from publisher.models.mail import Subscriber, SubscriberStatus
from publisher.pipeline._scope import store_scope
from publisher.store import Store

# ---- subscribers & web
# Subscriber management for the CLI and the web pages; every function is one transaction, and mail is
# handed to the transport only after the change it announces is committed.


@dataclass
class SubscriberChange:
    """What `add_subscriber` did: the row, added/updated/unchanged, and whether a confirmation went out."""

    subscriber: Subscriber
    outcome: _subs.Outcome
    confirmation_sent: bool = False


def send_subscription_mail(cfg: Config, message: _EmailMessage, subscriber_id: int) -> None:
    """Hand a confirmation (or already-subscribed) mail to the configured transport; DeliveryError if refused."""
    import email.policy as _policy
    from email.utils import getaddresses as _getaddresses

    from publisher import delivery as _delivery
    from publisher import dkim as _dkim
    from publisher.mailmsg import OutgoingMessage as _Outgoing

    recipient = _getaddresses([str(message["To"])])[0][1]
    out = _Outgoing(
        # Not a digest delivery: a negative id (minus the subscriber id) keeps outbox file names apart
        # from digest deliveries, and a newer confirmation for the same person replaces the older file.
        delivery_id=-subscriber_id,
        message_id=str(message["Message-ID"]),
        sender=cfg.digest.from_address,
        recipient=recipient,
        data=_dkim.sign(message.as_bytes(policy=_policy.SMTP), cfg),
    )
    transport = _delivery.make_transport(cfg)
    try:
        transport.send(out)
    finally:
        transport.close()


def add_subscriber(
    cfg: Config,
    email: str,
    *,
    name: str = "",
    topics: Sequence[str] = (),
    regions: Sequence[str] = (),
    frequency: str | None = None,
    active: bool = True,
    resubscribe: bool = False,
    store: Store | None = None,
) -> SubscriberChange:
    """Add or update one subscriber (operator action). A new pending subscriber gets a confirmation mail.

    Updating an existing address changes only what is given (a name, topics, regions, a frequency).
    """
    data = _subs.validate_subscriber(cfg, email, name=name, topics=topics, regions=regions, frequency=frequency)
    given = [f for f, v in (("name", name), ("topics", topics), ("regions", regions), ("frequency", frequency)) if v]
    status = SubscriberStatus.ACTIVE if active else SubscriberStatus.PENDING
    with store_scope(cfg, store) as own, own.session() as session:
        sub, outcome = _subs.upsert_subscriber(session, data, status=status, resubscribe=resubscribe, fields=given)
        message = None
        if sub.status is SubscriberStatus.PENDING and outcome is not _subs.Outcome.UNCHANGED:
            message = _subs.build_subscription_mail(cfg, sub, _subs.RequestAction.CONFIRM)
    if message is not None:
        send_subscription_mail(cfg, message, sub.id)
    return SubscriberChange(sub, outcome, message is not None)


def import_subscribers(
    cfg: Config,
    path: _Path,
    *,
    skip_invalid: bool = False,
    active: bool = True,
    dry_run: bool = False,
    store: Store | None = None,
) -> _subs.ImportResult:
    """Import a CSV (email,name,topics,regions,frequency) all-or-nothing in one transaction.

    Every row is validated first; any error aborts with `file:LINE: reason` lines unless skip_invalid.
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise _SubscriberError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise _SubscriberError(f"{path}: not UTF-8 (byte {exc.start})") from None
    rows, errors = _subs.parse_csv(cfg, text, str(path))
    if errors and not skip_invalid:
        shown = errors[:20]
        more = f"\n... and {len(errors) - len(shown)} more" if len(errors) > len(shown) else ""
        raise _SubscriberError(
            f"{len(errors)} invalid row(s), nothing imported (use --skip-invalid to import the rest):\n"
            + "\n".join(shown)
            + more
        )
    status = SubscriberStatus.ACTIVE if active else SubscriberStatus.PENDING
    with store_scope(cfg, store) as own, own.session() as session:
        result = _subs.import_rows(session, rows, status=status)
        result.skipped = errors
        if dry_run:
            session.rollback()
    return result


def list_subscribers(cfg: Config, status: str | None = None, store: Store | None = None) -> list[Subscriber]:
    with store_scope(cfg, store, create=False) as own, own.session() as session:
        return _subs.list_subscribers(session, SubscriberStatus(status) if status else None)


def remove_subscriber(cfg: Config, email: str, *, purge: bool = False, store: Store | None = None) -> str:
    """Unsubscribe an address (kept for the record) or, with purge, erase it and its delivery history."""
    with store_scope(cfg, store) as own, own.session() as session:
        sub = _subs.get_subscriber(session, email)
        if purge:
            _subs.purge(session, sub)
            return "purged"
        return "unsubscribed" if _subs.unsubscribe(sub) else "already unsubscribed"


def check_subscriber_form(
    cfg: Config,
    email: str,
    *,
    name: str | None = "",
    topics: Sequence[str] = (),
    regions: Sequence[str] = (),
    frequency: str | None = None,
) -> _subs.SubscriberData:
    """Validate a subscribe form; InvalidSubscriberError.errors maps each bad field to its reason."""
    return _subs.validate_subscriber(cfg, email, name=name, topics=topics, regions=regions, frequency=frequency)


def request_subscription(
    cfg: Config,
    data: _subs.SubscriberData,
    *,
    limiter: _subs.AddressLimiter | None = None,
    store: Store | None = None,
) -> bool:
    """Public subscribe form: store a pending request and mail the owner; True if a mail went out.

    The caller shows the same page whatever happened, so the form does not reveal who is subscribed.
    """
    from sqlalchemy.exc import IntegrityError

    for attempt in (1, 2):
        try:
            with store_scope(cfg, store) as own, own.session() as session:
                # Unconfirmed requests die once their confirm link could no longer work (plus a day).
                _subs.expire_pending(session, dt.timedelta(days=cfg.digest.token_max_age_days + 1))
                sub, action = _subs.request_subscription(session, data)
                message = _subs.build_subscription_mail(cfg, sub, action)
            break
        except IntegrityError:
            # Two submissions of the same new address at once: the other one inserted it; read it back.
            if attempt == 2:
                raise
    if limiter is not None and not limiter.allow(sub.email):
        return False
    send_subscription_mail(cfg, message, sub.id)
    return True


def subscriber_for_token(
    cfg: Config, token: str, purpose: _subs.TokenPurpose, store: Store | None = None
) -> Subscriber | None:
    """The subscriber a signed link names (TokenError if bad); None for an unsubscribe link of a purged row."""
    with store_scope(cfg, store) as own, own.session() as session:
        return _subs.resolve_token(session, cfg, token, purpose)


def confirm_subscription(cfg: Config, token: str, store: Store | None = None) -> tuple[Subscriber, bool]:
    """Double opt-in: activate the subscriber a confirm link names; (subscriber, changed)."""
    with store_scope(cfg, store) as own, own.session() as session:
        sub = _subs.resolve_token(session, cfg, token, _subs.TokenPurpose.CONFIRM)
        assert sub is not None  # confirm tokens never resolve to None
        return sub, _subs.confirm(sub)


def resend_confirmation(
    cfg: Config, token: str, *, limiter: _subs.AddressLimiter | None = None, store: Store | None = None
) -> bool:
    """Send a fresh confirm link for a genuine but expired one; True if a mail went out."""
    try:
        _subs.read_token(cfg, token, _subs.TokenPurpose.CONFIRM)
        sid = None  # still valid: nothing to re-send, the link works
    except _subs.TokenError as exc:
        if not exc.expired or exc.subscriber_id is None:
            raise
        sid = exc.subscriber_id
    if sid is None:
        return False
    with store_scope(cfg, store) as own, own.session() as session:
        sub = session.get(Subscriber, sid)
        if sub is None or sub.status is SubscriberStatus.ACTIVE:
            return False
        message = _subs.build_subscription_mail(cfg, sub, _subs.RequestAction.CONFIRM)
    if limiter is not None and not limiter.allow(sub.email):
        return False
    send_subscription_mail(cfg, message, sub.id)
    return True


def save_preferences(
    cfg: Config,
    token: str,
    *,
    name: str,
    topics: Sequence[str],
    regions: Sequence[str],
    frequency: str | None,
    store: Store | None = None,
) -> tuple[Subscriber, bool]:
    """Save the preferences form of a manage link; InvalidSubscriberError names bad fields."""
    with store_scope(cfg, store) as own, own.session() as session:
        sub = _subs.resolve_token(session, cfg, token, _subs.TokenPurpose.MANAGE)
        assert sub is not None  # manage tokens never resolve to None
        data = _subs.validate_subscriber(cfg, sub.email, name=name, topics=topics, regions=regions, frequency=frequency)
        return sub, _subs.update_preferences(sub, data)


def unsubscribe_by_token(cfg: Config, token: str, store: Store | None = None) -> bool:
    """Unsubscribe through a signed link (page or RFC 8058 one-click); idempotent, True if it changed anything."""
    with store_scope(cfg, store) as own, own.session() as session:
        sub = _subs.resolve_token(session, cfg, token, _subs.TokenPurpose.UNSUBSCRIBE)
        return sub is not None and _subs.unsubscribe(sub)


def subscriber_links_for(cfg: Config, subscriber: Subscriber) -> dict[str, str]:
    """The subscriber's manage / unsubscribe / one-click URLs (see subscribers.subscriber_links)."""
    return _subs.subscriber_links(cfg, subscriber)
