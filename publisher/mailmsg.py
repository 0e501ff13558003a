"""Assemble one digest e-mail (headers + multipart/alternative text/HTML) as RFC 5322 bytes, fast and pure."""

from __future__ import annotations

import binascii
import datetime as dt
import email.utils
import hashlib
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
    if not address or "@" not in address or any(c in address for c in "<>, \t\"") or not address.isascii():
        raise DeliveryError(f"header {name}: not a usable e-mail address: {address!r}")
    return email.utils.formataddr((display, address), charset="utf-8")


def _qp(text: str, *, final: bool = True) -> str:
    """Quoted-printable (binascii, in C). A piece (final=False) will be followed by a soft line break."""
    data = text.replace("\r\n", "\n").replace("\n", CRLF).encode("utf-8")
    encoded = binascii.b2a_qp(data, quotetabs=False, istext=True, header=False).decode("ascii")
    if "\n" in encoded and b"\r\n" not in data:
        # Without a CRLF in the input, binascii breaks soft lines with a bare LF.
        encoded = encoded.replace("\n", CRLF)
    if not final and encoded.endswith((" ", "\t")):
        # Whitespace before a soft break would be stripped by decoders: protect it.
        encoded = encoded[:-1] + ("=20" if encoded[-1] == " " else "=09")
    return encoded


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
        ("List-Unsubscribe", f"<{one_click}>,{CRLF} <mailto:{fixed.mailto}?subject=unsubscribe>"),
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
    return recipient_headers(fixed_headers(cfg, subject), to_name=to_name, to_address=to_address,
                             message_id=message_id, date=date, links=links)


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


def build_encoded_message(headers: Sequence[tuple[str, str]], text_qp: str, html_qp: str, *,
                          boundary_seed: str) -> bytes:
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
