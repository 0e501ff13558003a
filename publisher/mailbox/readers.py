"""The MailboxReader protocol and its registry: `mailbox.reader` names the factory that opens the mailbox."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from publisher.config import Config
from publisher.errors import ConfigError


@dataclass(frozen=True)
class IncomingMail:
    """One message as read from the mailbox; `ref` is the reader's handle (IMAP UID, Maildir file name)."""

    ref: str
    data: bytes


class MailboxReader(Protocol):
    """Reads the messages waiting in a mailbox and files each one away once it has been dealt with:
    `done` (acted on) and `set_aside` (not understood, for a person to look at) both take it out of the
    folder read, so nothing is processed twice. Raise MailboxError when the mailbox cannot be used."""

    def messages(self) -> Iterator[IncomingMail]: ...

    def done(self, mail: IncomingMail) -> None: ...

    def set_aside(self, mail: IncomingMail) -> None: ...

    def close(self) -> None: ...


ReaderFactory = Callable[[Config], MailboxReader]
READERS: dict[str, ReaderFactory] = {}


def register_reader(name: str) -> Callable[[ReaderFactory], ReaderFactory]:
    def add(factory: ReaderFactory) -> ReaderFactory:
        READERS[name] = factory
        return factory

    return add


def make_reader(cfg: Config) -> MailboxReader:
    """The reader named by cfg.mailbox.reader, opened."""
    name = cfg.mailbox.reader
    if not name:
        raise ConfigError("no mailbox to read: set mailbox.reader (imap or maildir)", key="mailbox.reader")
    try:
        factory = READERS[name]
    except KeyError:
        known = ", ".join(sorted(READERS))
        raise ConfigError(f"unknown mailbox reader {name!r} (known: {known})", key="mailbox.reader") from None
    return factory(cfg)
