"""The one error hierarchy of publisher: every failure a user can see is a PublisherError."""

from __future__ import annotations

from pathlib import Path


class PublisherError(Exception):
    """Root of every error publisher raises on purpose; the CLI prints `Name: message`."""


class ConfigError(PublisherError):
    """A config value is missing, unknown or invalid; the message names the exact key."""

    def __init__(self, message: str, *, key: str | None = None, path: Path | str | None = None) -> None:
        self.reason = message  # without the "path: key: " prefix
        self.key = key
        self.path = path
        where = ""
        if path is not None:
            where += f"{path}: "
        if key is not None:
            where += f"{key}: "
        super().__init__(f"{where}{message}")


class UsageError(PublisherError):
    """A command-line option names something that does not exist; says which option, the value and the valid ones."""

    def __init__(self, option: str, message: str) -> None:
        self.option = option
        super().__init__(f"{option}: {message}")


class SourceError(PublisherError):
    """A source record is malformed; says which file and line, and why."""

    def __init__(self, reason: str, *, source: str | Path | None = None, line: int | None = None) -> None:
        self.reason = reason
        self.source = str(source) if source is not None else None
        self.line = line
        where = ""
        if self.source is not None:
            where = self.source
            if line is not None:
                where += f":{line}"
            where += ": "
        super().__init__(f"{where}{reason}")


class FetchError(SourceError):
    """A remote or local source could not be read (timeout, size cap, HTTP error)."""


class NotModified(PublisherError):
    """A conditional GET answered 304: the source is unchanged since the last ingest (nothing to do, not a failure)."""

    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(f"{url}: not modified")


class StoreError(PublisherError):
    """The database could not be opened, migrated or written."""


class NotFoundError(PublisherError):
    """A named thing (release, project, subscriber, job, edition) does not exist."""


class FeedError(PublisherError):
    """A feed could not be built or written."""


class DigestError(PublisherError):
    """A digest edition could not be built or rendered."""


class DeliveryError(PublisherError):
    """A message could not be handed to the transport."""


class TransientDeliveryError(DeliveryError):
    """The transport refused for now (SMTP 4xx, connection lost before the reply); retry later."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        self.code = code
        super().__init__(message)


class PermanentDeliveryError(DeliveryError):
    """The transport refused for good (SMTP 5xx); never retry this message."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        self.code = code
        super().__init__(message)


class UnknownDeliveryError(DeliveryError):
    """The message was sent but no reply arrived: it may or may not have been delivered."""


class SubscriberError(PublisherError):
    """A subscriber record is invalid (bad address, unknown topic) or a token is bad or expired."""


class SchedulerError(PublisherError):
    """The scheduler could not start (another one holds the lock) or a job is unknown."""


class MailboxError(PublisherError):
    """The mailbox of returned mail could not be read or its messages filed away (IMAP or Maildir)."""
