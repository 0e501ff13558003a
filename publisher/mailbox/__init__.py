"""Mail coming back: read a mailbox (IMAP or Maildir), recognise DSNs, ARF complaints and unsubscribe requests."""

from __future__ import annotations

# The bundled readers register themselves on import.
from publisher.mailbox import imap, maildir
from publisher.mailbox.actions import MailSummary, apply_report
from publisher.mailbox.readers import READERS, IncomingMail, MailboxReader, make_reader, register_reader
from publisher.mailbox.reports import MailReport, ReportKind, parse_report

__all__ = [
    "READERS",
    "IncomingMail",
    "MailReport",
    "MailSummary",
    "MailboxReader",
    "ReportKind",
    "apply_report",
    "imap",
    "maildir",
    "make_reader",
    "parse_report",
    "register_reader",
]
