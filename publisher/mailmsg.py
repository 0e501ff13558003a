"""Assemble one digest e-mail (headers + multipart/alternative text/HTML) as RFC 5322 bytes, fast and pure."""

from __future__ import annotations

import binascii
import datetime as dt
import email.utils
import functools
import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.header import Header

from publisher.config import Config
from publisher.errors import DeliveryError

CRLF = "\r\n"


@dataclass(frozen=True)
class OutgoingMessage:
    """What a transport needs: the envelope and the finished bytes (CRLF line ends)."""

    delivery_id: int
    message_id: str
    sender: str
    recipient: str
    data: bytes


def check_header(name: str, value: str) -> str:
    """Header injection guard: a value with CR or LF could smuggle in headers (or a whole body)."""
    if "\r" in value or "\n" in value:
        raise DeliveryError(f"header {name}: value contains a line break: {value[:80]!r}")
    return value


def encode_text(name: str, value: str) -> str:
    """RFC 2047-encode a non-ASCII unstructured value (Subject), folded to fit header line limits."""
    check_header(name, value)
    if value.isascii() and len(value) + len(name) + 2 <= 78:
        return value
    return Header(value, "utf-8" if not value.isascii() else "us-ascii", header_name=name).encode(linesep=CRLF)


def format_address(name: str, display: str, address: str) -> str:
    check_header(name, display)
    check_header(name, address)
    if not address or "@" not in address or any(c in address for c in '<>, \t"') or not address.isascii():
        raise DeliveryError(f"header {name}: not a usable e-mail address: {address!r}")
    return email.utils.formataddr((display, address), charset="utf-8")


def _qp_whole(text: str, *, final: bool = True) -> str:
    """Quoted-printable of the whole text in one binascii call (in C): the reference `_qp` must equal."""
    data = text.replace("\r\n", "\n").replace("\n", CRLF).encode("utf-8")
    encoded = binascii.b2a_qp(data, quotetabs=False, istext=True, header=False).decode("ascii")
    if "\n" in encoded and b"\r\n" not in data:
        # Without a CRLF in the input, binascii breaks soft lines with a bare LF.
        encoded = encoded.replace("\n", CRLF)
    if not final and encoded.endswith((" ", "\t")):
        # Whitespace before a soft break would be stripped by decoders: protect it.
        encoded = encoded[:-1] + ("=20" if encoded[-1] == " " else "=09")
    return encoded


@functools.lru_cache(maxsize=16_384)
def _qp_line(line: str) -> str:
    # A line followed by CRLF, encoded without it. binascii's state (line length, soft breaks, trailing
    # whitespace, a lone dot) starts afresh after every line break, so a line encodes the same on its own.
    return binascii.b2a_qp(line.encode("utf-8") + b"\r\n", quotetabs=False, istext=True, header=False).decode("ascii")[
        :-2
    ]


def _qp(text: str, *, final: bool = True) -> str:
    """Quoted-printable, as `_qp_whole`, memoised per line: the variants of an edition share most of their
    lines (each item's markup), and encoding was the biggest cost of preparing a variant. A piece
    (final=False) will be followed by a soft line break."""
    lines = text.replace("\r\n", "\n").split("\n")
    if len(lines) == 1:
        return _qp_whole(text, final=final)
    last = lines.pop()
    return CRLF.join([*map(_qp_line, lines), _qp_whole(last, final=final) if last else ""])


def unsubscribe_mailto(cfg: Config) -> str:
    if cfg.digest.unsubscribe_mailto:
        return cfg.digest.unsubscribe_mailto
    local, _, domain = cfg.digest.from_address.partition("@")
    return f"{local}+unsubscribe@{domain}"


def list_id(cfg: Config) -> str:
    """RFC 2919 List-Id: `"Title" <digest.host>` (or the configured label)."""
    from urllib.parse import urlsplit

    label = cfg.digest.list_id or f"digest.{urlsplit(cfg.site.base_url).hostname or 'localhost'}"
    title = check_header("List-Id", cfg.site.title)
    phrase = f'"{email.utils.quote(title)}"' if title.isascii() else Header(title, "utf-8").encode()
    return f"{phrase} <{check_header('List-Id', label)}>"


@dataclass(frozen=True)
class FixedHeaders:
    """Header values shared by every recipient of one digest variant: checked and encoded once per variant."""

    sender: str
    subject: str
    list_id: str
    mailto: str
    reply_to: str = ""


def fixed_headers(cfg: Config, subject: str) -> FixedHeaders:
    return FixedHeaders(
        sender=format_address("From", cfg.digest.from_name, cfg.digest.from_address),
        subject=encode_text("Subject", subject),
        list_id=list_id(cfg),
        mailto=check_header("List-Unsubscribe", unsubscribe_mailto(cfg)),
        reply_to=format_address("Reply-To", "", cfg.digest.reply_to) if cfg.digest.reply_to else "",
    )


def recipient_headers(
    fixed: FixedHeaders,
    *,
    to_name: str,
    to_address: str,
    message_id: str,
    date: dt.datetime,
    links: Mapping[str, str],
) -> list[tuple[str, str]]:
    """The header list of one digest message: the variant's fixed values plus the recipient's, checked."""
    one_click = check_header("List-Unsubscribe", links["one_click"])
    headers = [
        ("From", fixed.sender),
        ("To", format_address("To", to_name, to_address)),
        ("Subject", fixed.subject),
        ("Date", email.utils.format_datetime(date.astimezone(dt.UTC))),
        ("Message-ID", check_header("Message-ID", message_id)),
        ("MIME-Version", "1.0"),
        ("List-Id", fixed.list_id),
        # RFC 8058 one-click: the https URL must come first; mailto is the fallback for old clients.
        ("List-Unsubscribe", f"<{one_click}>,{CRLF} <mailto:{fixed.mailto}?subject={mailto_subject(one_click)}>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ("Auto-Submitted", "auto-generated"),
        ("Precedence", "bulk"),
    ]
    if fixed.reply_to:
        headers.append(("Reply-To", fixed.reply_to))
    return headers


def digest_headers(
    cfg: Config,
    *,
    to_name: str,
    to_address: str,
    subject: str,
    message_id: str,
    date: dt.datetime,
    links: Mapping[str, str],
) -> list[tuple[str, str]]:
    """The header list of one digest message; every value is checked for CR/LF before it is encoded."""
    return recipient_headers(
        fixed_headers(cfg, subject),
        to_name=to_name,
        to_address=to_address,
        message_id=message_id,
        date=date,
        links=links,
    )


@dataclass(frozen=True)
class PreparedPart:
    """A body whose static text is quoted-printable encoded once; `names` are the holes between `pieces`."""

    pieces: tuple[str, ...]
    names: tuple[str, ...]


def prepare_part(text: str, placeholder: re.Pattern[str]) -> PreparedPart:
    """Encode the static parts of a body once per variant; `placeholder` has one group naming the value."""
    split = placeholder.split(text)
    return PreparedPart(tuple(_qp(p, final=i == len(split) - 1) for i, p in enumerate(split[::2])), tuple(split[1::2]))


def fill_part(part: PreparedPart, values: Mapping[str, str], encoded: dict[str, str] | None = None) -> str:
    """The encoded body for one recipient: encoded values between encoded pieces, joined by QP soft breaks
    (`=` CRLF decodes to nothing, and keeps every line within the 76-character limit). `encoded` memoises
    value → encoding; pass one dict to both parts of a message (a link is the same text in HTML and plain)."""
    memo: dict[str, str] = {} if encoded is None else encoded
    out = [part.pieces[0]]
    for name, piece in zip(part.names, part.pieces[1:], strict=True):
        value = values[name]
        if value not in memo:
            memo[value] = _qp(value, final=False)
        out += (memo[value], piece)
    return "=\r\n".join(out)


def build_message(headers: Sequence[tuple[str, str]], text: str, html: str, *, boundary_seed: str) -> bytes:
    """multipart/alternative with the plain-text part first and HTML last (clients show the last they can)."""
    return build_encoded_message(headers, _qp(text), _qp(html), boundary_seed=boundary_seed)


def build_encoded_message(
    headers: Sequence[tuple[str, str]], text_qp: str, html_qp: str, *, boundary_seed: str
) -> bytes:
    """As build_message, with both bodies already quoted-printable encoded."""
    # QP never emits '==' runs that start a line like this, so the boundary cannot collide with a body.
    boundary = "==pub_" + hashlib.sha1(boundary_seed.encode()).hexdigest()[:24] + "=="
    for name, value in headers:
        if "\r" not in value and "\n" not in value:
            continue
        # Only our own folds (CRLF + whitespace) may break a header line; anything else is an injection.
        unfolded = value.replace(CRLF + " ", " ").replace(CRLF + "\t", " ")
        if "\r" in unfolded or "\n" in unfolded:
            raise DeliveryError(f"header {name}: value contains a line break")
    head = CRLF.join(f"{name}: {value}" for name, value in headers)
    parts = (
        f"{head}{CRLF}"
        f'Content-Type: multipart/alternative; boundary="{boundary}"{CRLF}{CRLF}'
        f"This is a multi-part message in MIME format.{CRLF}"
        f"--{boundary}{CRLF}"
        f"Content-Type: text/plain; charset=utf-8{CRLF}"
        f"Content-Transfer-Encoding: quoted-printable{CRLF}{CRLF}"
        f"{text_qp}{CRLF}"  # this CRLF belongs to the boundary, not to the body
        f"--{boundary}{CRLF}"
        f"Content-Type: text/html; charset=utf-8{CRLF}"
        f"Content-Transfer-Encoding: quoted-printable{CRLF}{CRLF}"
        f"{html_qp}{CRLF}"
        f"--{boundary}--{CRLF}"
    )
    return parts.encode("ascii")


# ---------------------------------------------------------------- one variant's message, assembled once

_SLOTS = ("to", "date", "message_id", "one_click", "mailto_subject", "boundary")


def mailto_subject(one_click: str) -> str:
    """The List-Unsubscribe mailto's subject: "unsubscribe <token>", the recipient's own signed unsubscribe token,
    so a request by mail names its subscriber by a signature, not by a From address anyone can forge."""
    token = one_click.rsplit("/", 1)[-1]
    return f"unsubscribe%20{token}"  # tokens are URL-safe base64 and dots: nothing else to escape


@dataclass(frozen=True)
class MessageSkeleton:
    """A digest variant's whole message (headers, MIME structure, encoded bodies) with slots for what differs
    per recipient. `parts` has None where a slot goes; `slots` pairs each such position with its value's name:
    a header slot ("to", "date", ...) or a body slot ("text:greeting", "html:manage", ...)."""

    parts: tuple[str | None, ...]
    slots: tuple[tuple[int, str], ...]
    body_values: tuple[tuple[str, str], ...]  # (body slot name, placeholder name), e.g. ("html:manage", "manage")


def message_skeleton(fixed: FixedHeaders, text: PreparedPart, html: PreparedPart) -> MessageSkeleton:
    """The same bytes `build_encoded_message(recipient_headers(...), fill_part(text), fill_part(html))` makes,
    cut where the recipient's values go; built once per variant (fixed headers were checked by fixed_headers)."""
    parts: list[str | None] = []
    slots: list[tuple[int, str]] = []

    def slot(name: str) -> None:
        slots.append((len(parts), name))
        parts.append(None)

    def body(kind: str, part: PreparedPart) -> None:
        parts.append(part.pieces[0])
        for name, piece in zip(part.names, part.pieces[1:], strict=True):
            parts.append("=" + CRLF)
            slot(f"{kind}:{name}")
            parts.append("=" + CRLF + piece)

    parts.append(f"From: {fixed.sender}{CRLF}To: ")
    slot("to")
    parts.append(f"{CRLF}Subject: {fixed.subject}{CRLF}Date: ")
    slot("date")
    parts.append(f"{CRLF}Message-ID: ")
    slot("message_id")
    parts.append(f"{CRLF}MIME-Version: 1.0{CRLF}List-Id: {fixed.list_id}{CRLF}List-Unsubscribe: <")
    slot("one_click")
    parts.append(f">,{CRLF} <mailto:{fixed.mailto}?subject=")
    slot("mailto_subject")
    parts.append(
        f">{CRLF}"
        f"List-Unsubscribe-Post: List-Unsubscribe=One-Click{CRLF}Auto-Submitted: auto-generated{CRLF}"
        f"Precedence: bulk{CRLF}"
        + (f"Reply-To: {fixed.reply_to}{CRLF}" if fixed.reply_to else "")
        + 'Content-Type: multipart/alternative; boundary="'
    )
    slot("boundary")
    parts.append(f'"{CRLF}{CRLF}This is a multi-part message in MIME format.{CRLF}--')
    slot("boundary")
    parts.append(
        f"{CRLF}Content-Type: text/plain; charset=utf-8{CRLF}Content-Transfer-Encoding: quoted-printable{CRLF}{CRLF}"
    )
    body("text", text)
    parts.append(f"{CRLF}--")
    slot("boundary")
    parts.append(
        f"{CRLF}Content-Type: text/html; charset=utf-8{CRLF}Content-Transfer-Encoding: quoted-printable{CRLF}{CRLF}"
    )
    body("html", html)
    parts.append(f"{CRLF}--")
    slot("boundary")
    parts.append(f"--{CRLF}")
    # Adjacent static strings merged: fewer pieces to join per recipient.
    merged: list[str | None] = []
    positions: list[tuple[int, str]] = []
    names = dict(slots)
    for i, p in enumerate(parts):
        if p is None:
            positions.append((len(merged), names[i]))
            merged.append(None)
        elif merged and merged[-1] is not None:
            merged[-1] += p
        else:
            merged.append(p)
    body_values = tuple(dict.fromkeys((n, n.split(":", 1)[1]) for _, n in positions if ":" in n))
    return MessageSkeleton(tuple(merged), tuple(positions), body_values)


def boundary_for(seed: str) -> str:
    # QP never emits '==' runs that start a line like this, so the boundary cannot collide with a body.
    return "==pub_" + hashlib.sha1(seed.encode()).hexdigest()[:24] + "=="


@functools.lru_cache(maxsize=4)
def _date_header(seconds: int) -> str:
    return email.utils.format_datetime(dt.datetime.fromtimestamp(seconds, dt.UTC))


def date_header(date: dt.datetime) -> str:
    """RFC 5322 Date in UTC, as `email.utils.format_datetime(date.astimezone(UTC))` (whole seconds), memoised
    per second: a delivery run stamps thousands of messages within the same few seconds."""
    return _date_header(math.floor(date.timestamp()))


def fill_skeleton(
    skeleton: MessageSkeleton,
    *,
    to: str,
    date: str,
    message_id: str,
    one_click: str,
    plain: Mapping[str, str],
    escaped: Mapping[str, str],
) -> bytes:
    """One recipient's message bytes: encoded values dropped into the variant's skeleton. `to` comes from
    format_address (checked); the other header values are checked here."""
    check_header("Message-ID", message_id)
    check_header("List-Unsubscribe", one_click)
    values = {
        "to": to,
        "date": date,
        "message_id": message_id,
        "one_click": one_click,
        "mailto_subject": mailto_subject(one_click),
        "boundary": boundary_for(message_id),
    }
    memo: dict[str, str] = {}  # a link is the same text in both bodies: encode it once
    for slot, name in skeleton.body_values:
        value = (plain if slot[0] == "t" else escaped)[name]
        if value not in memo:
            memo[value] = _qp(value, final=False)
        values[slot] = memo[value]
    parts = list(skeleton.parts)
    for pos, name in skeleton.slots:
        parts[pos] = values[name]
    return "".join(parts).encode("ascii")  # type: ignore[arg-type]
