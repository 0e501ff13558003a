"""Read a Maildir (e.g. the one a local MTA delivers bounces into); processed mail moves to a Maildir++ subfolder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from publisher.config import Config
from publisher.errors import ConfigError, MailboxError
from publisher.mailbox.readers import IncomingMail, register_reader


def _folder(root: Path, name: str) -> Path:
    """The Maildir++ subfolder `.name` of root, created when missing."""
    folder = root / f".{name}"
    for sub in ("tmp", "new", "cur"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    (folder / "maildirfolder").touch()
    return folder


@register_reader("maildir")
class MaildirReader:
    """New and already-seen messages of a Maildir's inbox; each is renamed (atomic) into a subfolder when done."""

    def __init__(self, cfg: Config) -> None:
        if cfg.mailbox.maildir is None:
            raise ConfigError("the maildir reader needs mailbox.maildir", key="mailbox.maildir")
        self.root = cfg.mailbox.maildir
        if not (self.root / "new").is_dir() or not (self.root / "cur").is_dir():
            raise MailboxError(f"{self.root}: not a Maildir (no new/ and cur/)")
        self.processed = cfg.mailbox.processed_folder
        self.unparsed = cfg.mailbox.unparsed_folder

    def messages(self) -> Iterator[IncomingMail]:
        names = []
        for sub in ("new", "cur"):
            names += sorted(f"{sub}/{p.name}" for p in (self.root / sub).iterdir() if not p.name.startswith("."))
        for ref in names:
            try:
                data = (self.root / ref).read_bytes()
            except FileNotFoundError:
                continue  # another reader took it meanwhile
            except OSError as exc:
                raise MailboxError(f"{self.root / ref}: {exc.strerror or exc}") from exc
            yield IncomingMail(ref, data)

    def _move(self, mail: IncomingMail, folder: str) -> None:
        target = _folder(self.root, folder) / "cur" / Path(mail.ref).name
        try:
            os.replace(self.root / mail.ref, target)
        except OSError as exc:
            raise MailboxError(f"{self.root / mail.ref}: cannot move to {folder}: {exc.strerror or exc}") from exc

    def done(self, mail: IncomingMail) -> None:
        self._move(mail, self.processed)

    def set_aside(self, mail: IncomingMail) -> None:
        self._move(mail, self.unparsed)

    def close(self) -> None:
        pass
