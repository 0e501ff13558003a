"""Build digest editions, deliver them, preview and archive pages."""

from __future__ import annotations

import datetime as _dt
import logging as _logging
import signal as _signal
import threading as _threading

from publisher import delivery as delivery_step
from publisher import digest as digest_step
from publisher import site as site_step
from publisher.config import Config
from publisher.delivery import DeliverySummary, LinkProvider, Transport
from publisher.digest import EditionInfo, EditionsSummary, RenderedDigest
from publisher.errors import DeliveryError, NotFoundError, PublisherError
from publisher.models import utcnow as _utcnow
from publisher.models.mail import Frequency as _Frequency
from publisher.models.mail import Subscriber as _Subscriber
from publisher.pipeline._scope import store_scope
from publisher.progress import NULL_PROGRESS, Progress
from publisher.store import Store

_log = _logging.getLogger(__name__)

# ---- digests (owner: digests) ------------------------------------------------------------------
# Editions, rendering and delivery; the logic lives in publisher.digest and publisher.delivery.


def build_editions(
    cfg: Config,
    store: Store | None = None,
    *,
    frequency: str | None = None,
    period: str | None = None,
    now: _dt.datetime | None = None,
) -> EditionsSummary:
    """Build the edition of the most recently completed period of each frequency (or the given one) unless it
    exists; queue one delivery per subscriber with something new. Idempotent; one transaction per edition."""
    now = now or _utcnow()
    if period is not None:
        periods = [digest_step.parse_period(period, frequency)]
    else:
        freqs = [_Frequency(frequency)] if frequency else list(_Frequency)
        periods = [digest_step.last_completed_period(cfg, f, now) for f in freqs]
    summary = EditionsSummary()
    with store_scope(cfg, store) as st:
        for p in periods:
            with st.session() as session:
                summary.results.append(digest_step.build_edition(session, cfg, p, now=now))
        if summary.created:
            _refresh_digest_archive(cfg, st)
    return summary


def _refresh_digest_archive(cfg: Config, store: Store) -> None:
    """Show new editions on the site's digest archive now, not at the next feeds build. The editions are
    committed already: a failure here is logged, and the next feeds build writes the page."""
    try:
        site_step.build_digest_archive(cfg, store)
    except (PublisherError, OSError) as exc:
        _log.warning("digest archive page not refreshed: %s", exc)


def deliver(
    cfg: Config,
    store: Store | None = None,
    *,
    limit: int | None = None,
    now: _dt.datetime | None = None,
    progress: Progress = NULL_PROGRESS,
    stop: _threading.Event | None = None,
    transport: Transport | None = None,
    links: LinkProvider | None = None,
    workers: int = 1,
) -> DeliverySummary:
    """Send due deliveries (queued, and deferred whose retry time has come) through the configured transport.
    SIGTERM (or setting `stop`) finishes the message in hand, records it, and returns. `workers` > 1 runs that
    many senders in threads, each with its own connection, sharing the queue and the rate limit."""
    own_stop = stop is None and _threading.current_thread() is _threading.main_thread()
    stop = stop or _threading.Event()
    previous = None
    if own_stop:
        previous = _signal.signal(_signal.SIGTERM, lambda _sig, _frame: stop.set())
    try:
        with store_scope(cfg, store) as st:
            if workers > 1:
                if transport is not None:
                    raise DeliveryError("one transport object cannot serve several workers")
                return delivery_step.run_workers(
                    st, cfg, workers, links=links or delivery_step.default_links, limit=limit, now=now, stop=stop
                )
            return delivery_step.run_deliveries(
                st,
                cfg,
                transport=transport,
                links=links or delivery_step.default_links,
                limit=limit,
                now=now,
                progress=progress,
                stop=stop,
            )
    finally:
        if own_stop:
            _signal.signal(_signal.SIGTERM, previous)


def send_test_digest(
    cfg: Config,
    to: str,
    *,
    as_subscriber: str | None = None,
    edition: int | None = None,
    store: Store | None = None,
    transport: Transport | None = None,
) -> delivery_step.TestSendResult:
    """Send one edition's message to `to` as a test (see publisher.delivery.send_test); records nothing."""
    with store_scope(cfg, store) as st:
        return delivery_step.send_test(
            st, cfg, to=to, as_subscriber=as_subscriber, edition_id=edition, transport=transport
        )


def digest_archive_page(cfg: Config, edition_id: int, variant: str, store: Store | None = None) -> str:
    """The web ("view in browser") copy of one variant: full HTML, no personal links. NotFoundError if unknown."""
    with store_scope(cfg, store) as st, st.session() as session:
        edition = digest_step.find_edition(session, edition_id)
        ids = digest_step.variant_release_ids(session, edition_id, variant)
        rendered = digest_step.render_edition_variant(session, cfg, edition, variant, ids, archive=True)
    generic = cfg.site.url("subscribe")
    html, _text = digest_step.personalise(rendered, "", {"manage": generic, "unsubscribe": generic})
    return html


def preview_digest(
    cfg: Config,
    period: str,
    *,
    frequency: str | None = None,
    subscriber: str | None = None,
    store: Store | None = None,
) -> RenderedDigest:
    """Render what an edition would carry (for one subscriber by e-mail, or everything), recording nothing.
    Links point at the generic subscribe page: previews are not for sending."""
    from sqlalchemy import select as _select

    p = digest_step.parse_period(period, frequency)
    with store_scope(cfg, store, create=False) as st, st.session() as session:
        sub = None
        if subscriber is not None:
            sub = session.scalars(_select(_Subscriber).where(_Subscriber.email == subscriber.strip().lower())).first()
            if sub is None:
                raise NotFoundError(f"no subscriber {subscriber!r}")
        items = digest_step.preview_items(session, cfg, p, sub)
    follows = digest_step.Follows.of(sub.topics, sub.regions) if sub else digest_step.NO_FOLLOWS
    rendered = digest_step.render_digest(cfg, p, items, follows=follows)
    generic = cfg.site.url("subscribe")
    links = {"manage": generic, "unsubscribe": generic, "feed": cfg.site.url("feeds/")}  # the public feed table
    html, text = digest_step.personalise(rendered, sub.name if sub else "", links)
    return RenderedDigest(rendered.subject, html, text, rendered.variant, rendered.count, rendered.preheader)


def list_editions(cfg: Config, store: Store | None = None) -> list[EditionInfo]:
    """Every edition, newest first, with delivery counts by status."""
    with store_scope(cfg, store, create=False) as st, st.session() as session:
        return digest_step.list_editions(session)
