"""`publisher mail process`: read the bounce/complaint mailbox once and act on every message in it."""

from __future__ import annotations

import datetime as dt
import logging
import threading

from publisher import mailbox
from publisher.config import Config
from publisher.mailbox import MailboxReader, MailSummary, make_reader, parse_report
from publisher.models import utcnow
from publisher.pipeline._scope import store_scope
from publisher.store import Store

log = logging.getLogger(__name__)


def process_mail(
    cfg: Config,
    store: Store | None = None,
    *,
    reader: MailboxReader | None = None,
    now: dt.datetime | None = None,
    stop: threading.Event | None = None,
) -> MailSummary:
    """Each message: recognise it, change the store in one transaction, then file it away (processed or set
    aside). A message that cannot be parsed is set aside and logged, never fatal; a database or mailbox
    error stops the run with the message left in place, so the next run sees it again."""
    summary = MailSummary()
    own = reader is None
    box = reader if reader is not None else make_reader(cfg)
    try:
        with store_scope(cfg, store) as st:
            for mail in box.messages():
                if stop is not None and stop.is_set():
                    break
                summary.read += 1
                try:
                    report = parse_report(cfg, mail.data)
                except (ValueError, LookupError, TypeError, UnicodeError) as exc:
                    # The email package is lenient, but a hostile message can still trip it up.
                    log.warning("mail process: %s: unreadable (%s); set aside", mail.ref, exc)
                    report = None
                if report is None:
                    log.warning("mail process: %s: not a DSN, complaint or unsubscribe request; set aside", mail.ref)
                    box.set_aside(mail)
                    summary.set_aside += 1
                    continue
                if report.forged and not report.delivery_ids and not report.tokens:
                    log.warning("mail process: %s: %s names a forged VERP address; set aside", mail.ref, report.kind)
                    box.set_aside(mail)
                    summary.set_aside += 1
                    continue
                with st.session() as session:
                    changed = mailbox.apply_report(session, cfg, report, summary, now or utcnow())
                if not changed and report.kind not in (mailbox.ReportKind.DELAY,):
                    summary.unchanged += 1
                    log.info("mail process: %s: %s, nothing to change", mail.ref, report.kind)
                box.done(mail)
    finally:
        if own:
            box.close()
    return summary


__all__ = ["MailSummary", "process_mail"]
