"""Read a mailbox over IMAP (TLS, STARTTLS, or plain for tests on 127.0.0.1); processed mail moves to folders."""

from __future__ import annotations

import contextlib
import imaplib
import ssl
from collections.abc import Iterator
from typing import Any

from publisher.config import Config
from publisher.errors import MailboxError
from publisher.mailbox.readers import IncomingMail, register_reader


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


@register_reader("imap")
class ImapReader:
    """One IMAP session: the messages of mailbox.folder by UID; done/set_aside MOVE them (COPY + expunge
    on servers without MOVE) to mailbox.processed_folder / mailbox.unparsed_folder (created when missing)."""

    def __init__(self, cfg: Config) -> None:
        m = cfg.mailbox
        self.cfg = cfg
        self.where = f"IMAP {m.host}:{m.port}"
        context = ssl.create_default_context(cafile=str(m.ca_file) if m.ca_file else None)
        try:
            if m.security == "tls":
                self.conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(m.host, m.port, ssl_context=context, timeout=m.timeout)
            else:
                self.conn = imaplib.IMAP4(m.host, m.port, timeout=m.timeout)
                if m.security == "starttls":
                    self.conn.starttls(ssl_context=context)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise MailboxError(f"{self.where}: cannot connect: {exc}") from exc
        try:
            self.conn.login(m.username, cfg.mailbox_password)
            for folder in (m.processed_folder, m.unparsed_folder):
                self.conn.create(_quote(folder))  # NO when it exists: fine
            self._ok(self.conn.select(_quote(m.folder)), f"SELECT {m.folder}")
            self.can_move = "MOVE" in self.conn.capabilities
        except (OSError, imaplib.IMAP4.error) as exc:
            self._abandon()
            raise MailboxError(f"{self.where}: {exc}") from exc
        except MailboxError:
            self._abandon()
            raise

    def _ok(self, reply: tuple[str, list[Any]], what: str) -> list[Any]:
        typ, data = reply
        if typ != "OK":
            raise MailboxError(f"{self.where}: {what}: {typ} {data!r}")
        return data

    def messages(self) -> Iterator[IncomingMail]:
        try:
            uids = self._ok(self.conn.uid("SEARCH", "ALL"), "SEARCH")[0]
            for uid in bytes(uids or b"").split():
                parts = self._ok(self.conn.uid("FETCH", uid.decode(), "(BODY.PEEK[])"), "FETCH")
                body = next((p[1] for p in parts if isinstance(p, tuple)), None)
                if body is None:
                    continue  # expunged by someone else meanwhile
                yield IncomingMail(uid.decode(), bytes(body))
        except (OSError, imaplib.IMAP4.error) as exc:
            raise MailboxError(f"{self.where}: {exc}") from exc

    def _move(self, mail: IncomingMail, folder: str) -> None:
        try:
            if self.can_move:
                self._ok(self.conn.uid("MOVE", mail.ref, _quote(folder)), f"MOVE to {folder}")
                return
            self._ok(self.conn.uid("COPY", mail.ref, _quote(folder)), f"COPY to {folder}")
            self._ok(self.conn.uid("STORE", mail.ref, "+FLAGS.SILENT", r"(\Deleted)"), "STORE")
            self._ok(self.conn.expunge(), "EXPUNGE")
        except (OSError, imaplib.IMAP4.error) as exc:
            raise MailboxError(f"{self.where}: {exc}") from exc

    def done(self, mail: IncomingMail) -> None:
        self._move(mail, self.cfg.mailbox.processed_folder)

    def set_aside(self, mail: IncomingMail) -> None:
        self._move(mail, self.cfg.mailbox.unparsed_folder)

    def _abandon(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.shutdown()

    def close(self) -> None:
        try:
            self.conn.logout()
        except (OSError, imaplib.IMAP4.error):
            self._abandon()
