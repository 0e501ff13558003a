"""DKIM: digests (the per-recipient fast path) and subscription mails are signed, verified with dkimpy (no DNS)."""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dkim as dkimpy
import pytest

from publisher import dkim, pipeline
from publisher.config import Config
from publisher.digest import build_edition, parse_period
from publisher.errors import ConfigError
from publisher.models.mail import SubscriberStatus
from publisher.store import Store

SELECTOR = "pub2025"
DOMAIN = "example.org"
BUILD_AT = dt.datetime(2025, 4, 1, 7, 0, tzinfo=dt.UTC)
SEND_AT = dt.datetime(2025, 4, 1, 8, 0, tzinfo=dt.UTC)
REQUIRED = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "list-id",
    "list-unsubscribe",
    "list-unsubscribe-post",
}


@pytest.fixture(scope="session")
def dkim_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """A fresh 2048-bit RSA key (openssl) and its DNS TXT record."""
    folder = tmp_path_factory.mktemp("dkim")
    key = folder / "private.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
    der = subprocess.run(
        ["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"], check=True, capture_output=True
    ).stdout
    return key, b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)


def verify(data: bytes, record: bytes) -> bool:
    def dnsfunc(name: bytes, timeout: int = 5) -> bytes | None:
        return record if name == f"{SELECTOR}._domainkey.{DOMAIN}.".encode() else None

    return bool(dkimpy.verify(data, dnsfunc=dnsfunc))


def signed_headers(data: bytes) -> set[str]:
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    fields = dict(f.strip().split("=", 1) for f in "".join(str(msg["DKIM-Signature"]).split()).split(";") if "=" in f)
    return {h.lower() for h in fields["h"].split(":")}


def _digests(cfg: Config, store: Store, add_subscribers: Callable[..., list[int]]) -> list[bytes]:
    add_subscribers(
        [
            ("ana@example.org", "monthly", [], [], SubscriberStatus.ACTIVE, "Ana Müller"),
            ("bo@example.org", "monthly", ["return-reintegration"], [], SubscriberStatus.ACTIVE, ""),
        ]
    )
    with store.session() as s:
        build_edition(s, cfg, parse_period("2025-03"), now=BUILD_AT)
    assert pipeline.deliver(cfg, store, now=SEND_AT).sent == 2
    return [p.read_bytes() for p in sorted(cfg.delivery.outbox_dir.glob("*.eml"))]


def test_every_digest_is_signed_over_the_required_headers_and_verifies(
    make_config: Callable[..., Config],
    store: Store,
    digest_world: dict[str, Any],
    add_subscribers: Callable[..., list[int]],
    dkim_key: tuple[Path, bytes],
) -> None:
    key, record = dkim_key
    cfg = make_config(dkim={"selector": SELECTOR, "domain": DOMAIN, "key_file": str(key)})
    messages = _digests(cfg, store, add_subscribers)
    assert len(messages) == 2
    for data in messages:
        assert data.startswith(b"DKIM-Signature: ")
        assert signed_headers(data) >= REQUIRED
        assert verify(data, record)
        # The signature really covers them: a changed Subject or unsubscribe link no longer verifies.
        assert not verify(data.replace(b"Subject: ", b"Subject: Re: ", 1), record)
        assert not verify(data.replace(b"one-click/", b"one-click/x", 1), record)


def test_key_from_the_environment_variable(
    make_config: Callable[..., Config],
    store: Store,
    digest_world: dict[str, Any],
    add_subscribers: Callable[..., list[int]],
    dkim_key: tuple[Path, bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key, record = dkim_key
    monkeypatch.setenv("TEST_DKIM_PEM", key.read_text())
    cfg = make_config(dkim={"selector": SELECTOR, "domain": DOMAIN, "key_env": "TEST_DKIM_PEM"})
    assert all(verify(data, record) for data in _digests(cfg, store, add_subscribers))


def test_without_a_key_mail_goes_unsigned_and_check_config_says_so(
    cfg: Config,
    store: Store,
    digest_world: dict[str, Any],
    add_subscribers: Callable[..., list[int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(cfg.dkim.key_env, raising=False)
    for data in _digests(cfg, store, add_subscribers):
        assert b"DKIM-Signature" not in data
    notes = pipeline.check_config(cfg)
    assert any(n.startswith("DKIM: mail goes out unsigned") for n in notes), notes


def test_check_config_names_the_signing_domain_and_refuses_a_bad_key(
    make_config: Callable[..., Config], dkim_key: tuple[Path, bytes], tmp_path: Path
) -> None:
    key, _ = dkim_key
    cfg = make_config(dkim={"selector": SELECTOR, "domain": DOMAIN, "key_file": str(key)})
    assert f"DKIM: signing as d={DOMAIN} s={SELECTOR}" in "\n".join(pipeline.check_config(cfg))
    verp_cfg = make_config(mailbox={"bounce_address": "bounces@news.example.org"})
    assert "envelope sender: bounces+d<delivery id>-<signature>@news.example.org" in pipeline.check_config(verp_cfg)
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    with pytest.raises(ConfigError, match="DKIM"):
        pipeline.check_config(make_config(dkim={"selector": SELECTOR, "key_file": str(bad)}))
    with pytest.raises(ConfigError, match="dkim.selector"):
        dkim.sign(b"From: a@example.org\r\n\r\nx\r\n", make_config(dkim={"key_file": str(key)}))


def test_subscription_mails_are_signed_too(
    make_config: Callable[..., Config], store: Store, dkim_key: tuple[Path, bytes]
) -> None:
    key, record = dkim_key
    cfg = make_config(dkim={"selector": SELECTOR, "domain": DOMAIN, "key_file": str(key)})
    pipeline.add_subscriber(cfg, "pat@example.org", active=False, store=store)
    (path,) = cfg.delivery.outbox_dir.glob("*.eml")
    data = path.read_bytes()
    assert data.startswith(b"DKIM-Signature: ") and verify(data, record)
