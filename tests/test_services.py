"""The mail services of scripts/services.sh as the tests use them: Postfix relays to a sink, bounces to Dovecot."""

from __future__ import annotations

import email
import email.policy
import smtplib

from conftest import wait_for
from services import NOWHERE_DOMAIN, MailAccount, Postfix


def test_postfix_relays_to_the_claimed_sink(postfix: Postfix, postfix_sink) -> None:
    sink, domain = postfix_sink()
    with smtplib.SMTP(postfix.host, postfix.port, timeout=30) as smtp:
        smtp.sendmail("news@example.org", [f"ada@{domain}"], b"Subject: hello\r\n\r\nbody\r\n")

    wait_for(lambda: sink.count() == 1, what="the relayed message at the sink")
    rcpt, data = sink.messages[0]
    assert rcpt == f"ada@{domain}"
    assert b"Subject: hello" in data and b"by mta.publisher.test (Postfix)" in data


def test_postfix_bounce_reaches_the_dovecot_mailbox_as_a_dsn(postfix: Postfix, mail_account: MailAccount) -> None:
    sender = f"{mail_account.user}+verp-token@mail.test"
    with smtplib.SMTP(postfix.host, postfix.port, timeout=30) as smtp:
        smtp.sendmail(sender, [f"gone@{NOWHERE_DOMAIN}"], b"Subject: digest\r\n\r\nbody\r\n")
    (raw,) = mail_account.wait_for_messages(1)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg.get_content_type() == "multipart/report"
    assert msg["Delivered-To"] == sender
    status = next(p for p in msg.walk() if p.get_content_type() == "message/delivery-status")
    assert "Status: 5.1.1" in status.as_string()
