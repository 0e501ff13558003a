"""Private feeds for the web app: one subscriber's selection as a feed, and resetting its URL."""

from __future__ import annotations

from publisher import feeds as _feeds
from publisher import subscribers as _subs
from publisher.config import Config
from publisher.feeds import FeedFormat
from publisher.models.mail import Subscriber, SubscriberStatus
from publisher.pipeline._scope import store_scope
from publisher.store import Store


def private_feed(cfg: Config, token: str, fmt: FeedFormat | str, store: Store | None = None) -> bytes:
    """The private feed a feed link names, in `fmt` (atom, rss, json).

    TokenError for anything but the current feed link of an active subscriber: forged, another purpose, reset,
    unsubscribed, pending, bounced or purged all fail alike, so the answer never says whether an address exists.
    """
    with store_scope(cfg, store) as own, own.session() as session:
        sub = _subs.resolve_token(session, cfg, token, _subs.TokenPurpose.FEED)
        if sub is None or sub.status is not SubscriberStatus.ACTIVE:
            raise _subs.TokenError("this feed link is no longer valid", purpose=_subs.TokenPurpose.FEED)
        return _feeds.build_private_feed(session, cfg, token, sub.topics or [], sub.regions or [], fmt)


def private_feed_links(cfg: Config, subscriber: Subscriber) -> dict[str, str]:
    """Format → URL of a subscriber's private feed, for each of `feeds.formats` (the formats served)."""
    return {fmt: _subs.private_feed_url(cfg, subscriber, fmt) for fmt in cfg.feeds.formats}


def reset_private_feed(cfg: Config, manage_token: str, store: Store | None = None) -> Subscriber:
    """Give the subscriber a manage link names a new private feed URL; the old one stops working at once."""
    with store_scope(cfg, store) as own, own.session() as session:
        sub = _subs.resolve_token(session, cfg, manage_token, _subs.TokenPurpose.MANAGE)
        assert sub is not None  # manage tokens never resolve to None
        _subs.reset_private_feed(sub)
        return sub
