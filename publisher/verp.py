"""Per-delivery VERP bounce addresses (`bounces+d<id>-<mac>@domain`): made when sending, read back from DSNs."""

from __future__ import annotations

import hashlib
import hmac
import re

from publisher.config import Config

_MAC_CHARS = 16  # 64 bits of HMAC-SHA256: forging one by guessing is out of reach


def _mac(cfg: Config, delivery_id: int) -> str:
    # Lower-case hex: mail servers may change the case of an address's local part.
    msg = f"verp:{delivery_id}".encode()
    return hmac.new(cfg.secret_key.encode(), msg, hashlib.sha256).hexdigest()[:_MAC_CHARS]


def envelope_sender(cfg: Config, delivery_id: int) -> str:
    """The SMTP MAIL FROM (becomes Return-Path) for one delivery: the VERP address when mailbox.bounce_address
    is set, else digest.from_address (then bounces cannot be told apart by delivery)."""
    base = cfg.mailbox.bounce_address
    if not base or delivery_id <= 0:
        return cfg.digest.from_address
    local, _, domain = base.rpartition("@")
    return f"{local}+d{delivery_id}-{_mac(cfg, delivery_id)}@{domain}"


def describe(cfg: Config) -> str:
    """The shape of the envelope senders, for check-config."""
    base = cfg.mailbox.bounce_address
    if not base:
        return f"{cfg.digest.from_address} for every message (no VERP)"
    local, _, domain = base.rpartition("@")
    return f"{local}+d<delivery id>-<signature>@{domain}"


def _pattern(cfg: Config) -> re.Pattern[str] | None:
    base = cfg.mailbox.bounce_address
    if not base:
        return None
    local, _, domain = base.rpartition("@")
    return re.compile(
        rf"(?<![\w.+-]){re.escape(local)}\+d(\d{{1,18}})-([0-9a-f]{{{_MAC_CHARS}}})@{re.escape(domain)}\b", re.I
    )


def delivery_ids(cfg: Config, text: str) -> tuple[list[int], int]:
    """Delivery ids named by genuine VERP addresses in `text`, and how many VERP-shaped addresses failed
    their signature (forged or made with another secret)."""
    pattern = _pattern(cfg)
    if pattern is None:
        return [], 0
    good: list[int] = []
    forged = 0
    for raw_id, mac in pattern.findall(text):
        delivery_id = int(raw_id)
        if hmac.compare_digest(mac.lower(), _mac(cfg, delivery_id)):
            if delivery_id not in good:
                good.append(delivery_id)
        else:
            forged += 1
    return good, forged
