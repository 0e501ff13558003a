"""The outbox transport: one `.eml` file per message, written atomically (development and the sample run)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from publisher.config import Config
from publisher.delivery.transports import register_transport
from publisher.errors import TransientDeliveryError
from publisher.mailmsg import OutgoingMessage


def write_atomic(path: Path, data: bytes) -> bool:
    """Write via a temp file in the same folder + os.replace; skip when the bytes are already there."""
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with_suppressed_unlink(tmp)
        raise
    return True


def with_suppressed_unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


@register_transport("outbox")
class OutboxTransport:
    """One `.eml` file per message in cfg.delivery.outbox_dir, named by delivery id (re-sends overwrite)."""

    def __init__(self, cfg: Config) -> None:
        self.dir = cfg.delivery.outbox_dir

    def path_for(self, message: OutgoingMessage) -> Path:
        return self.dir / f"delivery-{message.delivery_id:08d}.eml"

    def send(self, message: OutgoingMessage) -> None:
        try:
            write_atomic(self.path_for(message), message.data)
        except OSError as exc:
            raise TransientDeliveryError(f"outbox {self.dir}: {exc.strerror or exc}") from exc

    def close(self) -> None:
        pass
