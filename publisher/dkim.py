"""DKIM-sign finished message bytes (RFC 6376, dkimpy): `sign(data, cfg)`, applied just before a transport sends."""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import time
from pathlib import Path

import dkim as dkimpy
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from dkim.canonicalization import CanonicalizationPolicy

from publisher.config import Config
from publisher.errors import ConfigError

# What a receiver must be able to trust: who sent it, to whom, what it says it is, and the unsubscribe headers
# (a forwarder that rewrote List-Unsubscribe could point the one-click URL elsewhere). Listing a header that
# is absent signs its absence, so nobody can add one later (e.g. a Reply-To) without breaking the signature.
NAME = b"DKIM-Signature"
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
def _private_key(pem: bytes) -> rsa.RSAPrivateKey:
    # Parsed once per key (a key file is read per message, but parsing and checking it is the slow part).
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ConfigError(f"not a usable DKIM private key (RSA, PEM without passphrase): {exc}", key="dkim") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError("the DKIM key must be an RSA key (rsa-sha256)", key="dkim")
    return key


def sign(data: bytes, cfg: Config) -> bytes:
    """`data` with a DKIM-Signature header in front (rsa-sha256, relaxed header / simple body canonicalization);
    unchanged when no key is configured. No side effects (the signature carries its signing time, t=).

    dkimpy canonicalizes, hashes and folds exactly as its own `dkim.sign` does (and its verifier checks the
    result in the tests), but its RSA step is pure Python (about 10 ms a message, the whole delivery budget):
    the signature itself is made by OpenSSL through `cryptography`."""
    pem = key_pem(cfg)
    if pem is None:
        return data
    if not cfg.dkim.selector:
        raise ConfigError("a DKIM key is configured but no selector", key="dkim.selector")
    key = _private_key(pem)
    domain = signing_domain(cfg).encode()
    # dkimpy parses the whole message line by line; only the header block needs parsing (a regex split of a
    # 77 KB body cost more than the rest of the signature).
    head, sep, body = data.partition(b"\r\n\r\n")
    headers, _ = dkimpy.rfc822_parse(head + b"\r\n\r\n")
    if not sep:
        body = b""
    policy = CanonicalizationPolicy.from_c_value(b"relaxed/simple")
    include = tuple(h.lower().encode() for h in SIGNED_HEADERS)
    fields = [
        (b"v", b"1"),
        (b"a", b"rsa-sha256"),
        (b"c", policy.to_c_value()),
        (b"d", domain),
        (b"i", b"@" + domain),
        (b"q", b"dns/txt"),
        (b"s", cfg.dkim.selector.encode()),
        (b"t", str(int(time.time())).encode()),
        (b"h", b" : ".join(include)),
        (b"bh", base64.b64encode(hashlib.sha256(policy.canonicalize_body(body)).digest())),
        (b"b", b"0" * 60),  # a placeholder that makes b= fold onto its own line, as dkimpy does
    ]
    value = dkimpy.fold(b"; ".join(b"=".join(f) for f in fields), namelen=len(NAME), linesep=b"\r\n")
    value = dkimpy.RE_BTAG.sub(b"\\1", value)  # the signature is computed over an empty b=
    hasher = dkimpy.HashThrough(hashlib.sha256(), False)
    dkimpy.hash_headers(
        hasher, policy, policy.canonicalize_headers(headers), include, (NAME, b" " + value), dict(fields)
    )
    signature = key.sign(hasher.digest(), padding.PKCS1v15(), Prehashed(hashes.SHA256()))
    fields[-1] = (b"b", base64.b64encode(signature))
    value = dkimpy.fold(b"; ".join(b"=".join(f) for f in fields) + b"\r\n", namelen=len(NAME), linesep=b"\r\n")
    return NAME + b": " + bytes(value) + data
