"""Returned mail against real servers: Postfix bounces digests (DSNs to the VERP address), Dovecot holds them,
`publisher mail process` reads them over IMAP (plain and TLS) or from the Maildir and applies the policies."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli, wait_for
from services import NOWHERE_DOMAIN, TLS_CERT, MailAccount, Postfix
from sqlalchemy import select

from publisher import pipeline, verp
from publisher.config import Config
from publisher.digest import build_edition, parse_period
from publisher.errors import MailboxError
from publisher.models.mail import Delivery, DeliveryStatus, SentRelease, Subscriber, SubscriberStatus
from publisher.store import Store

BUILD_AT = dt.datetime(2025, 4, 1, 7, 0, tzinfo=dt.UTC)
SEND_AT = dt.datetime(2025, 4, 1, 8, 0, tzinfo=dt.UTC)
PROCESSED, UNPARSED = "publisher-processed", "publisher-unparsed"


@dataclass
class Loop:
    cfg: Config
    account: MailAccount

    def deliveries(self, store: Store) -> dict[str, Delivery]:
        with store.session() as s:
            rows = list(s.scalars(select(Delivery)))
            return {s.get(Subscriber, d.subscriber_id).email: d for d in rows}  # type: ignore[union-attr]

    def subscriber(self, store: Store, address: str) -> Subscriber:
        with store.session() as s:
            sub = s.scalars(select(Subscriber).where(Subscriber.email == address)).one()
            s.expunge(sub)
            return sub


@pytest.fixture
def loop(
    make_config: Callable[..., Config], mail_account: MailAccount, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Loop]:
    """A config whose digests carry VERP senders at the test account's address, and which reads that account."""
    monkeypatch.setenv("TEST_IMAP_PASSWORD", mail_account.password)

    def make(transport: str = "smtp", **mailbox: Any) -> Loop:
        cfg = make_config(
            delivery={"transport": transport, "outbox_dir": "outbox", "bounce_after": 1},
            smtp={"host": "127.0.0.1", "port": 25, "timeout": 30},
            digest={"unsubscribe_mailto": f"{mail_account.user}+unsubscribe@mail.test"},
            mailbox={
                "bounce_address": mail_account.address,
                "reader": "imap",
                "host": mail_account.host,
                "port": mail_account.port,
                "security": "none",
                "username": mail_account.user,
                "password_env": "TEST_IMAP_PASSWORD",
                **mailbox,
            },
        )
        return Loop(cfg, mail_account)

    return make


def _send(loop: Loop, store: Store, add: Callable[..., list[int]], addresses: list[str]) -> None:
    add([(a, "monthly", [], [], SubscriberStatus.ACTIVE, "") for a in addresses])
    with store.session() as s:
        build_edition(s, loop.cfg, parse_period("2025-03"), now=BUILD_AT)
    assert pipeline.deliver(loop.cfg, store, now=SEND_AT).sent == len(addresses)


def test_postfix_bounces_come_back_by_verp_and_bounce_the_subscriber_once(
    loop: Callable[..., Loop],
    postfix: Postfix,
    postfix_sink: Callable[..., tuple[Any, str]],
    store: Store,
    digest_world: dict[str, Any],
    add_subscribers: Callable[..., list[int]],
    config_file: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The sink behind Postfix refuses one address (5.1.1 after Postfix took the message), and Postfix itself
    # bounces nowhere.test: two DSNs from Postfix to the VERP envelope senders, delivered to Dovecot by LMTP.
    sink, domain = postfix_sink(policy=lambda rcpt, _n: "550 5.1.1 no such user" if rcpt.startswith("gone") else None)
    world = loop()
    ana, gone, lost = f"ana@{domain}", f"gone@{domain}", f"lost@{NOWHERE_DOMAIN}"
    _send(world, store, add_subscribers, [ana, gone, lost])
    wait_for(lambda: sink.count() == 1, what="ana's digest at the sink")
    dsns = world.account.wait_for_messages(2)
    assert len(dsns) == 2
    rows = world.deliveries(store)
    for raw in dsns:  # each DSN went to the VERP address of its own delivery
        to = email.message_from_bytes(raw, policy=email.policy.default)["Delivered-To"]
        assert to in {verp.envelope_sender(world.cfg, rows[a].id) for a in (gone, lost)}

    path = config_file(**{k: v for k, v in _sections(world.cfg).items()})
    code, out, err = run_cli(["--config", str(path), "mail", "process"], capsys)
    assert code == 0, err
    assert out.strip().startswith("2 read: 2 bounces (2 subscribers bounced)")
    rows = world.deliveries(store)
    assert rows[ana].status is DeliveryStatus.SENT
    for address, status in ((gone, "5.1.1"), (lost, "5.1.1")):
        assert rows[address].status is DeliveryStatus.FAILED and status in rows[address].last_error
        sub = world.subscriber(store, address)
        assert (sub.status, sub.bounce_count) == (SubscriberStatus.BOUNCED, 1)
    assert world.subscriber(store, ana).status is SubscriberStatus.ACTIVE
    with store.session() as s:  # the bounced messages' releases are free for a later edition
        assert not s.scalars(select(SentRelease).where(SentRelease.delivery_id == rows[gone].id)).all()
    assert world.account.messages("INBOX") == [] and len(world.account.messages(PROCESSED)) == 2

    # Processed mail is not processed twice, and the same DSN appended again changes nothing.
    world.account.append(dsns[0])
    again = pipeline.process_mail(world.cfg, store)
    assert (again.read, again.bounces, again.unchanged) == (1, 0, 1)
    assert world.subscriber(store, gone).bounce_count == 1


def _sections(cfg: Config) -> dict[str, Any]:
    """The config sections this test changed, as TOML data for a config file."""
    box = cfg.mailbox
    return {
        "delivery": {"transport": cfg.delivery.transport, "bounce_after": cfg.delivery.bounce_after},
        "digest": {"unsubscribe_mailto": cfg.digest.unsubscribe_mailto},
        "mailbox": {
            "bounce_address": box.bounce_address,
            "reader": box.reader,
            "host": box.host,
            "port": box.port,
            "security": box.security,
            "username": box.username,
            "password_env": box.password_env,
        },
    }


# ---------------------------------------------------------------- reports made by hand, appended over IMAP


def dsn(to: str, recipient: str, action: str, status: str, returned: bytes = b"") -> bytes:
    head = returned.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return (
        f"From: MAILER-DAEMON@mx.example.net\r\nTo: {to}\r\nSubject: Delivery Status Notification\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@mx.example.net>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain\r\n\r\nA message could not be delivered yet.\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: {action}\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; {status} test\r\n\r\n"
        f"--b1\r\nContent-Type: text/rfc822-headers\r\n\r\n{head}\r\n\r\n--b1--\r\n"
    ).encode()


def arf(original: bytes) -> bytes:
    """An RFC 5965 abuse report from a mailbox provider's feedback loop, quoting the whole message."""
    return (
        b"From: fbl@isp.example.net\r\nTo: abuse@example.org\r\nSubject: Abuse report\r\n"
        b"Message-ID: <fbl-1@isp.example.net>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=feedback-report; boundary="b2"\r\n\r\n'
        b"--b2\r\nContent-Type: text/plain\r\n\r\nThis is an abuse report.\r\n"
        b"--b2\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nUser-Agent: FBL/1.0\r\n"
        b"Version: 1\r\n\r\n--b2\r\nContent-Type: message/rfc822\r\n\r\n" + original + b"\r\n--b2--\r\n"
    )


def unsubscribe_request(cfg: Config, sender: str, sent: bytes | None = None) -> bytes:
    """What a mail client sends for the List-Unsubscribe mailto of `sent` (its address and subject); without
    `sent`, a hand-written request with a bare "unsubscribe" subject."""
    to, subject = cfg.digest.unsubscribe_mailto, "unsubscribe"
    if sent is not None:
        header = email.message_from_bytes(sent)["List-Unsubscribe"]
        mailto = re.search(r"<mailto:([^?>]+)\?subject=([^>]+)>", " ".join(header.split()))
        assert mailto, header
        to, subject = mailto.group(1), urllib.parse.unquote(mailto.group(2))
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@client.example>\r\n\r\nPlease take me off the list.\r\n"
    ).encode()


def test_delays_complaints_requests_and_junk(
    loop: Callable[..., Loop],
    store: Store,
    digest_world: dict[str, Any],
    add_subscribers: Callable[..., list[int]],
) -> None:
    world = loop(transport="outbox")
    cfg = world.cfg
    people = ["ana@example.org", "bo@example.org", "cy@example.org", "di@example.org"]
    _send(world, store, add_subscribers, people)
    rows = world.deliveries(store)
    sent = {a: (cfg.delivery.outbox_dir / f"delivery-{rows[a].id:08d}.eml").read_bytes() for a in people}
    sender = {a: verp.envelope_sender(cfg, rows[a].id) for a in people}
    local = sender["cy@example.org"].partition("@")[0]
    forged = local[:-16] + "0" * 16 + "@mail.test"  # cy's VERP address with another signature
    stale = verp.envelope_sender(cfg, 987654)  # a genuine address of a delivery that no longer exists
    box = world.account
    box.append(dsn(sender["ana@example.org"], "ana@example.org", "delayed", "4.4.1", sent["ana@example.org"]))
    box.append(arf(sent["bo@example.org"]))  # bo marked the digest as spam
    box.append(unsubscribe_request(cfg, "Di <DI@example.org>", sent["di@example.org"]))
    box.append(unsubscribe_request(cfg, "ana@example.org"))  # no token: a From anyone could forge
    box.append(b"From: someone@example.net\r\nTo: x@mail.test\r\nSubject: hello\r\n\r\nout of office\r\n")
    box.append(dsn(forged, "cy@example.org", "failed", "5.1.1"))
    box.append(dsn(stale, "zed@example.org", "failed", "5.1.1"))
    box.append(b"\xff\xfe garbage \x00 that is no mail at all")

    summary = pipeline.process_mail(cfg, store)
    assert (summary.read, summary.delays, summary.complaints, summary.unsubscribed) == (8, 1, 1, 2)
    assert (summary.bounces, summary.set_aside, summary.unchanged) == (0, 3, 2)
    status = {a: world.subscriber(store, a).status for a in people}
    assert status == {
        "ana@example.org": SubscriberStatus.ACTIVE,  # a delay is counted; a request without a token changes nothing
        "bo@example.org": SubscriberStatus.UNSUBSCRIBED,  # complaint, found by the signed link it quotes
        "cy@example.org": SubscriberStatus.ACTIVE,  # the forged VERP address changes nothing
        "di@example.org": SubscriberStatus.UNSUBSCRIBED,  # used the List-Unsubscribe mailto (its signed subject)
    }
    assert all(d.status is DeliveryStatus.SENT for d in world.deliveries(store).values())
    assert box.messages("INBOX") == []
    assert len(box.messages(PROCESSED)) == 5 and len(box.messages(UNPARSED)) == 3
    assert pipeline.process_mail(cfg, store).read == 0


def test_maildir_reader_takes_postfix_dsns_from_dovecots_maildir(
    loop: Callable[..., Loop],
    postfix: Postfix,
    store: Store,
    digest_world: dict[str, Any],
    add_subscribers: Callable[..., list[int]],
) -> None:
    world = loop()
    lost = f"lost@{NOWHERE_DOMAIN}"
    _send(world, store, add_subscribers, [lost])
    world.account.wait_for_messages(1)
    cfg = loop(reader="maildir", maildir=str(world.account.maildir)).cfg
    summary = pipeline.process_mail(cfg, store)
    assert (summary.read, summary.bounces, summary.bounced) == (1, 1, 1)
    assert world.subscriber(store, lost).status is SubscriberStatus.BOUNCED
    assert len(list((world.account.maildir / f".{PROCESSED}" / "cur").iterdir())) == 1
    assert pipeline.process_mail(cfg, store).read == 0


def test_imap_over_tls_and_a_server_it_cannot_trust(
    loop: Callable[..., Loop], store: Store, digest_world: dict[str, Any], add_subscribers: Callable[..., list[int]]
) -> None:
    plain = loop(transport="outbox")
    _send(plain, store, add_subscribers, ["ana@example.org"])
    sent = next(plain.cfg.delivery.outbox_dir.glob("delivery-*.eml")).read_bytes()
    plain.account.append(unsubscribe_request(plain.cfg, "ana@example.org", sent))
    untrusted = loop(transport="outbox", security="tls", port=plain.account.tls_port).cfg
    with pytest.raises(MailboxError, match="CERTIFICATE_VERIFY_FAILED"):
        pipeline.process_mail(untrusted, store)
    tls = loop(transport="outbox", security="tls", port=plain.account.tls_port, ca_file=str(TLS_CERT)).cfg
    assert pipeline.process_mail(tls, store).unsubscribed == 1
    assert plain.subscriber(store, "ana@example.org").status is SubscriberStatus.UNSUBSCRIBED


def test_a_scheduled_mail_job_processes_the_mailbox(
    loop: Callable[..., Loop], store: Store, digest_world: dict[str, Any], add_subscribers: Callable[..., list[int]]
) -> None:
    import dataclasses

    from publisher.config import ScheduleConfig

    world = loop(transport="outbox")
    _send(world, store, add_subscribers, ["ana@example.org"])
    sent = next(world.cfg.delivery.outbox_dir.glob("delivery-*.eml")).read_bytes()
    world.account.append(unsubscribe_request(world.cfg, "ana@example.org", sent))
    cfg = dataclasses.replace(world.cfg, schedules={"returned-mail": ScheduleConfig(job="mail", interval_minutes=15)})
    result = pipeline.run_job(cfg, store, "returned-mail")
    assert "1 unsubscribed" in (result.summary or "")
    assert world.subscriber(store, "ana@example.org").status is SubscriberStatus.UNSUBSCRIBED


def test_mail_process_without_a_mailbox_names_the_key(
    config_file: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = config_file()
    code, _out, err = run_cli(["--config", str(path), "mail", "process"], capsys)
    assert code == 1
    assert err.strip() == "ConfigError: mailbox.reader: no mailbox to read: set mailbox.reader (imap or maildir)"
