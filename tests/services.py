"""Pytest plugin: the real Postfix and Dovecot of scripts/services.sh, with per-test sink slots and mail accounts.

Registered from conftest.py (`pytest_plugins`). Tests that use these fixtures skip only when the Debian packages
are absent; when they are installed but not running, the fixture runs scripts/services.sh (idempotent) itself.
Everything is on 127.0.0.1; several test sessions on one machine share the two daemons without colliding:
each test claims its own sink slot (by binding its port) and its own IMAP user.
"""

from __future__ import annotations

import contextlib
import fcntl
import imaplib
import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVICES_SH = ROOT / "scripts" / "services.sh"
HOST = "127.0.0.1"
POSTFIX_PORT = 25
SINK_BASE_PORT = 2530  # sink-N.test is relayed to 127.0.0.1:SINK_BASE_PORT+N (scripts/services.sh)
SINK_SLOTS = 20
IMAP_PORT = 10143
IMAPS_PORT = 10993
MAIL_DOMAIN = "mail.test"  # Postfix hands mail.test to Dovecot over LMTP
NOWHERE_DOMAIN = "nowhere.test"  # Postfix bounces it at once (5.1.1): a DSN to the envelope sender
DOVECOT_USERS = Path("/etc/dovecot/publisher-users")
MAIL_HOME = Path("/var/lib/publisher-mail")
TLS_CERT = MAIL_HOME / "tls" / "cert.pem"


def _answers(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=2):
            return True
    except OSError:
        return False


def _ensure_started(binary: str, port: int, what: str) -> None:
    if shutil.which(binary) is None and not Path(f"/usr/sbin/{binary}").exists():
        pytest.skip(f"needs Debian's {what} ({binary} not installed; scripts/services.sh installs it)")
    if _answers(port):
        return
    run = subprocess.run(["bash", str(SERVICES_SH)], capture_output=True, text=True, timeout=300)
    if run.returncode != 0 or not _answers(port):
        pytest.fail(f"{what} is installed but does not answer on {HOST}:{port}: {run.stdout}{run.stderr}")


def _postqueue() -> list[dict[str, Any]]:
    out = subprocess.run(["postqueue", "-j"], capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


@dataclass
class Postfix:
    """The running Postfix: submit on `port`; queue inspection and flushing for one test's domains."""

    host: str = HOST
    port: int = POSTFIX_PORT

    def queued(self, domain: str) -> list[dict[str, Any]]:
        """Queue entries (postqueue -j) with a recipient in `domain`."""
        return [
            q for q in _postqueue() if any(r["address"].lower().endswith("@" + domain) for r in q.get("recipients", []))
        ]

    def flush(self) -> None:
        """Retry every deferred message now (postqueue -f), instead of waiting for the backoff."""
        subprocess.run(["postqueue", "-f"], check=True, capture_output=True)

    def purge(self, domain: str) -> None:
        for q in self.queued(domain):
            subprocess.run(["postsuper", "-d", q["queue_id"]], capture_output=True)


@pytest.fixture(scope="session")
def postfix() -> Postfix:
    """Debian's Postfix on 127.0.0.1:25 (scripts/services.sh), relaying only to 127.0.0.1."""
    _ensure_started("postfix", POSTFIX_PORT, "Postfix")
    return Postfix()


@pytest.fixture
def postfix_sink(postfix: Postfix) -> Iterator[Callable[..., tuple[Any, str]]]:
    """Start an aiosmtpd sink (conftest.SmtpSink) behind Postfix; returns (sink, domain): mail that Postfix
    accepts for anyone@domain is relayed to that sink. Queue entries left for the domain are removed after."""
    from aiosmtpd.controller import Controller
    from conftest import SmtpSink

    started: list[tuple[Any, str]] = []

    def start(**kwargs: Any) -> tuple[Any, str]:
        sink = SmtpSink(**kwargs)
        for slot in range(SINK_SLOTS):
            try:
                controller = Controller(sink, hostname=HOST, port=SINK_BASE_PORT + slot)
                controller.start()
            except (OSError, RuntimeError):
                continue  # another test session holds this slot
            domain = f"sink-{slot}.test"
            postfix.purge(domain)  # leftovers of an earlier, killed run must not reach this sink
            started.append((controller, domain))
            return sink, domain
        pytest.fail(f"no free sink slot among 127.0.0.1:{SINK_BASE_PORT}..{SINK_BASE_PORT + SINK_SLOTS - 1}")

    yield start
    for controller, domain in started:
        postfix.purge(domain)
        controller.stop()


@dataclass
class MailAccount:
    """A throwaway Dovecot user: IMAP login, its address at mail.test (user+anything@ reaches it too)."""

    user: str
    password: str
    host: str = HOST
    port: int = IMAP_PORT
    tls_port: int = IMAPS_PORT

    @property
    def address(self) -> str:
        return f"{self.user}@{MAIL_DOMAIN}"

    @property
    def maildir(self) -> Path:
        return MAIL_HOME / self.user / "Maildir"

    def imap(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4(self.host, self.port, timeout=30)
        try:
            conn.login(self.user, self.password)
        except BaseException:
            conn.shutdown()
            raise
        return conn

    def append(self, data: bytes, folder: str = "INBOX") -> None:
        """Put a message into a folder with IMAP APPEND (as a mail server's delivery would)."""
        with self.imap() as conn:
            if folder != "INBOX":
                conn.create(folder)
            typ, resp = conn.append(folder, "", imaplib.Time2Internaldate(time.time()), data)
            assert typ == "OK", resp

    def messages(self, folder: str = "INBOX") -> list[bytes]:
        """Every message in `folder` (empty when the folder does not exist)."""
        with self.imap() as conn:
            typ, _ = conn.select(f'"{folder}"', readonly=True)
            if typ != "OK":
                return []
            _, data = conn.search(None, "ALL")
            found = []
            for num in data[0].split():
                _, parts = conn.fetch(num, "(BODY.PEEK[])")
                found.append(bytes(parts[0][1]))  # type: ignore[index]
            return found

    def wait_for_messages(self, count: int, folder: str = "INBOX", timeout: float = 60.0) -> list[bytes]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages(folder)
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.1)


@contextlib.contextmanager
def _users_file() -> Iterator[None]:
    # Test sessions running in parallel edit the same passwd-file: one writer at a time.
    with open(DOVECOT_USERS.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        before = DOVECOT_USERS.stat().st_mtime
        yield
        # Dovecot re-reads the file when its mtime (whole seconds) or size changes: a removal and an addition
        # within one second can leave both the same, so every edit moves the mtime on by at least a second.
        stamp = max(time.time(), before + 1)
        os.utime(DOVECOT_USERS, (stamp, stamp))


@pytest.fixture(scope="session")
def dovecot() -> None:
    """Debian's Dovecot on 127.0.0.1 (IMAP 10143, IMAPS 10993, LMTP 10024) from scripts/services.sh."""
    _ensure_started("dovecot", IMAP_PORT, "Dovecot")


@pytest.fixture
def mail_account(dovecot: None) -> Iterator[MailAccount]:
    """A fresh IMAP user (in Dovecot's passwd-file) for this test; removed with its Maildir afterwards."""
    account = MailAccount(f"t{uuid.uuid4().hex[:12]}", uuid.uuid4().hex)
    with _users_file(), DOVECOT_USERS.open("a") as fh:
        fh.write(f"{account.user}:{{PLAIN}}{account.password}\n")
    # Dovecot looks at the passwd-file at most once a second: wait until the new user can log in.
    deadline = time.monotonic() + 30
    while True:
        try:
            account.imap().logout()
            break
        except imaplib.IMAP4.error:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)
    try:
        yield account
    finally:
        with _users_file():
            lines = DOVECOT_USERS.read_text().splitlines(keepends=True)
            DOVECOT_USERS.write_text("".join(li for li in lines if not li.startswith(account.user + ":")))
        shutil.rmtree(MAIL_HOME / account.user, ignore_errors=True)
