"""Assemble one recipient's message: render each (edition, variant) once, then fill personal values into it."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from publisher import digest as digest_step
from publisher import dkim, verp
from publisher.config import Config
from publisher.delivery.rows import DueDelivery, Recipient
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
from publisher.models.mail import Subscriber
from publisher.store import Store
from publisher.subscribers import subscriber_links

RENDER_CACHE = 32  # distinct variants kept rendered; deliveries come sorted by variant, so a few suffice

LinkProvider = Callable[[Config, Recipient], Mapping[str, str]]


def default_links(cfg: Config, subscriber: Recipient) -> Mapping[str, str]:
    """Signed manage/unsubscribe/one-click URLs from the subscribers module (owned by the web work)."""
    return subscriber_links(cfg, subscriber)


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


class Renderer:
    """Renders each (edition, variant) once and keeps the last few: memory does not grow with recipients."""

    def __init__(self, store: Store, cfg: Config) -> None:
        self.store, self.cfg = store, cfg
        self.cache: OrderedDict[tuple[int, str], PreparedDigest] = OrderedDict()
        self.renders = 0

    def get(self, d: DueDelivery) -> PreparedDigest:
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
    sender = verp.envelope_sender(cfg, delivery_id)  # bounces name their delivery
    return OutgoingMessage(delivery_id, message_id, sender, subscriber.email, dkim.sign(data, cfg))
