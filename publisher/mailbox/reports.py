"""Recognise returned mail: DSNs (RFC 3464), ARF complaints (RFC 5965) and unsubscribe requests; pure parsing."""

from __future__ import annotations

import email
import email.message
import email.policy
import email.utils
import re
from dataclasses import dataclass, field
from enum import StrEnum

from publisher import verp
from publisher.config import Config
from publisher.mailmsg import unsubscribe_mailto


class ReportKind(StrEnum):
    BOUNCE = "bounce"  # DSN, Action: failed (5.x.x): the bounce policy applies
    DELAY = "delay"  # DSN, Action: delayed or a 4.x.x failure: counted, nothing changes
    NOTICE = "notice"  # DSN, Action: delivered / relayed / expanded: nothing to do
    COMPLAINT = "complaint"  # ARF feedback report: the recipient marked it as spam → unsubscribed
    UNSUBSCRIBE = "unsubscribe"  # a message to the List-Unsubscribe mailto: address → unsubscribed


@dataclass(frozen=True)
class MailReport:
    """What one returned mail says, and whom it names: delivery ids from genuine VERP addresses, unsubscribe
    tokens from our own links, and (unsubscribe requests only) the sender's address."""

    kind: ReportKind
    delivery_ids: tuple[int, ...] = ()
    tokens: tuple[str, ...] = ()
    sender: str = ""
    status: str = ""
    diagnostic: str = ""
    forged: int = 0  # VERP-shaped addresses whose signature did not match
    notes: tuple[str, ...] = field(default=())


def _text_of(msg: email.message.Message) -> str:
    """Everything readable in the message: its raw headers plus every part's decoded text (a report may
    quote-print or base64 the returned headers), so addresses and links can be found wherever they are."""
    chunks = [str(msg)]
    for part in msg.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            chunks.append(payload.decode("utf-8", "replace"))
    return "\n".join(chunks)


_TOKEN = r"[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+"


def _tokens(cfg: Config, text: str) -> tuple[str, ...]:
    # Our own one-click / unsubscribe links, as quoted in a complaint or a reply, and the "unsubscribe <token>"
    # subject our List-Unsubscribe mailto asks for: signed, so they can be trusted (a From address cannot).
    root = re.escape(cfg.site.url(""))
    found = re.findall(rf"{root}(?:one-click|unsubscribe)/([A-Za-z0-9_\-]+\.[A-Za-z0-9_.\-]+)", text)
    found += re.findall(rf"(?im)^Subject:.*?\bunsubscribe\s+({_TOKEN})", text)
    return tuple(dict.fromkeys(t.rstrip(".") for t in found))


def _report_parts(msg: email.message.Message, subtype: str) -> list[email.message.Message]:
    return [p for p in msg.walk() if p.get_content_type() == f"message/{subtype}"]


def _dsn(msg: email.message.Message) -> tuple[ReportKind, str, str] | None:
    """(kind, status, diagnostic) of a delivery status notification: the worst recipient's verdict."""
    parts = _report_parts(msg, "delivery-status")
    if not parts:
        return None
    blocks = [b for p in parts for b in (p.get_payload() or []) if isinstance(b, email.message.Message)]
    verdicts = []
    for block in blocks:
        action = str(block.get("Action", "")).strip().lower()
        if not action:
            continue  # the per-message block (Reporting-MTA, Arrival-Date ...)
        status = str(block.get("Status", "")).strip()
        diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())
        if action == "failed" and not status.startswith("4"):
            kind = ReportKind.BOUNCE
        elif action in ("failed", "delayed"):
            kind = ReportKind.DELAY
        else:
            kind = ReportKind.NOTICE
        verdicts.append((kind, status, diagnostic))
    if not verdicts:
        return None
    order = (ReportKind.BOUNCE, ReportKind.DELAY, ReportKind.NOTICE)
    return min(verdicts, key=lambda v: order.index(v[0]))


def _recipients(msg: email.message.Message) -> list[str]:
    """The addresses this mail was delivered to, as the receiving servers recorded them."""
    values = [
        str(v) for name in ("Delivered-To", "X-Original-To", "Envelope-To", "To", "Cc") for v in msg.get_all(name, [])
    ]
    return [addr.lower() for _, addr in email.utils.getaddresses(values) if addr]


def parse_report(cfg: Config, data: bytes) -> MailReport | None:
    """What `data` is, or None when it is none of the mail publisher understands (to be set aside)."""
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    text = _text_of(msg)
    ids, forged = verp.delivery_ids(cfg, text)
    content_type = msg.get_content_type()
    report_type = str(msg.get_param("report-type", "", header="content-type") or "").lower()

    if (content_type == "multipart/report" and report_type == "feedback-report") or _report_parts(
        msg, "feedback-report"
    ):
        return MailReport(ReportKind.COMPLAINT, tuple(ids), _tokens(cfg, text), forged=forged)

    dsn = _dsn(msg) if content_type == "multipart/report" or _report_parts(msg, "delivery-status") else None
    if dsn is not None:
        kind, status, diagnostic = dsn
        return MailReport(kind, tuple(ids), status=status, diagnostic=diagnostic, forged=forged)

    mailto = unsubscribe_mailto(cfg).lower()
    if mailto in _recipients(msg):
        sender = email.utils.parseaddr(str(msg.get("From", "")))[1].lower()
        return MailReport(ReportKind.UNSUBSCRIBE, (), _tokens(cfg, text), sender=sender, forged=forged)
    return None
