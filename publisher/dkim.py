"""DKIM-sign finished message bytes (RFC 6376, dkimpy): `sign(data, cfg)`, applied just before a transport sends."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import dkim as dkimpy

from publisher.config import Config
from publisher.errors import ConfigError

# What a receiver must be able to trust: who sent it, to whom, what it says it is, and the unsubscribe headers
# (a forwarder that rewrote List-Unsubscribe could point the one-click URL elsewhere). Listing a header that
# is absent signs its absence, so nobody can add one later (e.g. a Reply-To) without breaking the signature.
SIGNED_HEADERS = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "Reply-To",
    "MIME-Version",
    "Content-Type",
)


def key_pem(cfg: Config) -> bytes | None:
    """The private key (PEM) from the environment variable dkim.key_env, else dkim.key_file; None: no key."""
    env = os.environ.get(cfg.dkim.key_env, "") if cfg.dkim.key_env else ""
    if env.strip():
        return env.encode()
    if cfg.dkim.key_file is None:
        return None
    return _read_key(cfg.dkim.key_file)


def _read_key(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read DKIM key: {exc.strerror or exc}", key="dkim.key_file") from None


def signing_domain(cfg: Config) -> str:
    return cfg.dkim.domain or cfg.digest.from_address.rpartition("@")[2]


def status(cfg: Config) -> str:
    """One line for check-config: whether and how mail is signed (reads the key and signs a probe message)."""
    pem = key_pem(cfg)
    if pem is None:
        return f"DKIM: mail goes out unsigned (no key: set ${cfg.dkim.key_env} or dkim.key_file, and dkim.selector)"
    sign(b"From: probe@" + signing_domain(cfg).encode() + b"\r\nSubject: probe\r\n\r\nprobe\r\n", cfg)
    return f"DKIM: signing as d={signing_domain(cfg)} s={cfg.dkim.selector} ({', '.join(SIGNED_HEADERS)})"


@functools.lru_cache(maxsize=8)
def _signer(pem: bytes, selector: str, domain: str) -> tuple[bytes, bytes, bytes]:
    # Checked once per key, so that a bad key fails with a message naming the config key, not a dkimpy trace.
    try:
        dkimpy.sign(b"From: a@b\r\n\r\n", selector.encode(), domain.encode(), pem)
    except Exception as exc:  # dkimpy raises KeyFormatError, ValueError, IndexError... for bad PEM
        raise ConfigError(f"not a usable DKIM private key (RSA, PEM): {exc}", key="dkim") from None
    return pem, selector.encode(), domain.encode()


def sign(data: bytes, cfg: Config) -> bytes:
    """`data` with a DKIM-Signature header in front (rsa-sha256, relaxed header / simple body canonicalization);
    unchanged when no key is configured. No side effects (the signature carries its signing time, t=)."""
    pem = key_pem(cfg)
    if pem is None:
        return data
    if not cfg.dkim.selector:
        raise ConfigError("a DKIM key is configured but no selector", key="dkim.selector")
    key, selector, domain = _signer(pem, cfg.dkim.selector, signing_domain(cfg))
    signature = dkimpy.sign(
        data,
        selector,
        domain,
        key,
        include_headers=[h.encode() for h in SIGNED_HEADERS],
        canonicalize=(b"relaxed", b"simple"),
        linesep=b"\r\n",
    )
    return bytes(signature) + data
