"""The typed, frozen config sections: every config.toml key with its default and operator documentation."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from publisher.config.fields import Range, _doc
from publisher.config.taxonomy import TaxonomyConfig
from publisher.errors import ConfigError

DEFAULT_TAXONOMY_PATH = Path(__file__).resolve().parent.parent / "taxonomy_default.toml"
DATABASE_URL_ENV = "PUBLISHER_DATABASE_URL"
BUNDLED_TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"


# ---------------------------------------------------------------- sections


@dataclass(frozen=True)
class SiteConfig:
    title: str = _doc("Name of the publication, used in feed titles and digest headers.", default="ICMPD News")
    description: str = _doc(
        "One-line description (feed subtitle).",
        default="Press releases and project news from ICMPD.",
    )
    base_url: str = _doc(
        "Absolute public URL where feeds and pages are served; feed self links and mail links start here.",
        default="http://127.0.0.1:8080/",
    )
    language: str = _doc("Language code of the content (RFC 5646).", default="en")
    author_name: str = _doc("Publisher name shown as feed author and mail sender name.", default="ICMPD")
    author_email: str = _doc("Contact address shown as feed author e-mail.", default="news@example.org")
    tag_authority: str = _doc(
        "Authority of RFC 4151 tag URIs used as stable ids; defaults to base_url's host.", default=""
    )
    timezone: str = _doc("IANA timezone for edition periods and schedules.", default="Europe/Vienna")
    postal_address: str = _doc(
        "Sender's postal address shown in every digest footer (required by anti-spam law).",
        default="ICMPD, Gonzagagasse 1, 1010 Vienna, Austria",
    )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def authority(self) -> str:
        return self.tag_authority or (urlsplit(self.base_url).hostname or "localhost")

    def url(self, path: str) -> str:
        """An absolute URL for a site-relative path."""
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")


@dataclass(frozen=True)
class StoreConfig:
    url: str = _doc(
        "SQLAlchemy database URL. Relative sqlite paths resolve against the config folder. "
        f"The environment variable {DATABASE_URL_ENV} overrides it.",
        default="sqlite:///store/publisher.db",
    )
    echo: bool = _doc("Log every SQL statement (debugging).", default=False)


@dataclass(frozen=True)
class SourceConfig:
    name: str = _doc("Unique name of the source (used in logs and run history).")
    kind: str = _doc("Source kind: release-text, project-pages, projects-file, feed or jsonl.")
    path: Path | None = _doc("Local file to read (relative to the config folder).", default=None)
    url: str | None = _doc("http(s) URL to fetch instead of a path (feed and jsonl kinds).", default=None)
    enabled: bool = _doc("Set false to keep a source configured but not ingest it.", default=True)
    timeout: float = _doc(
        "Seconds one fetch of a remote source may take in total (connect, headers and body), per attempt.",
        default=20.0,
        range=Range(0, 3600, above=True),
    )
    retries: int = _doc(
        "Further attempts after a remote fetch fails to connect or gets 429/5xx (not after a timeout).",
        default=2,
        range=Range(0, 10),
    )
    retry_backoff_seconds: float = _doc(
        "Wait before the first retry of a remote fetch; doubles with each retry.", default=1.0, range=Range(0, 300)
    )
    max_bytes: int = _doc(
        "Refuse remote sources larger than this many bytes.", default=50_000_000, range=Range(1, 10_000_000_000)
    )
    url_template: str = _doc(
        "Link for releases without one; {slug} and {date} are filled in. An absolute http(s) URL, or a path "
        "joined to site.base_url when feeds are built. Empty: the release's own page.",
        default="",
    )


@dataclass(frozen=True)
class LinkingConfig:
    threshold: float = _doc(
        "Minimum score (0..1) for a release–project link to be kept.",
        default=0.5,
        range=Range(0, 1, outside="must be between 0 and 1"),
    )
    max_links: int = _doc("At most this many related projects per release.", default=5, range=Range(1, 100))
    unnamed: bool = _doc(
        "Also link a release to one project it does not name, when that project clearly beats the others on country, "
        "topic, distinctive wording and dates (false: only projects a release names, by name, acronym, alias or "
        "phase, are linked; about half such guesses were wrong on the labelled sets).",
        default=False,
    )


@dataclass(frozen=True)
class FeedsConfig:
    dir: Path = _doc("Folder for generated feeds.", default=Path("feeds"))
    max_entries: int = _doc("At most this many entries per feed, newest first.", default=50, range=Range(1, 10_000))
    formats: tuple[str, ...] = _doc(
        "Feed formats to write: atom, rss, json (JSON Feed 1.1).", default=("atom", "rss", "json")
    )
    websub_hub: str = _doc(
        "WebSub hub URL: every feed links it (rel=hub) and each build tells it which feeds changed. Empty: none.",
        default="",
    )


@dataclass(frozen=True)
class DigestConfig:
    from_address: str = _doc("From address of digest mail.", default="news@example.org")
    from_name: str = _doc("Display name in the From header.", default="ICMPD News")
    reply_to: str = _doc("Reply-To address (empty: none).", default="")
    unsubscribe_mailto: str = _doc(
        "mailto address for List-Unsubscribe (empty: derived from from_address as unsubscribe+...).", default=""
    )
    list_id: str = _doc("List-Id header value, e.g. news.example.org (empty: base_url host).", default="")
    group_by: Literal["topic", "region"] = _doc("Group digest items by topic or by region.", default="topic")
    send_empty: bool = _doc("Send editions that have no items for a subscriber.", default=False)
    first_edition_lookback_days: int = _doc(
        "The first edition of each frequency also carries releases published up to this many days before its "
        "period (0: only the period). Seeds a new list with recent news.",
        default=0,
        range=Range(0, 3660),
    )
    max_items: int = _doc("At most this many items per digest.", default=100, range=Range(1, 10_000))
    subject: str = _doc(
        "Subject template; {title}, {period} and {count} are filled in.", default="{title}: {period} ({count} new)"
    )
    secret_key_env: str = _doc(
        "Environment variable holding the secret for signed links (confirm, preferences, unsubscribe).",
        default="PUBLISHER_SECRET_KEY",
    )
    secret_key: str = _doc(
        "Secret for signed links when the environment variable is unset (at least 16 characters; published "
        "example values are refused). Unset: the contents of digest.secret_key_file.",
        default="",
    )
    secret_key_file: Path = _doc(
        "Where a random secret is generated on first run when neither the environment variable nor "
        "digest.secret_key is set (mode 0600; keep it out of version control; share it between machines).",
        default=Path("store/secret.key"),
    )
    token_max_age_days: int = _doc("Days a confirmation link stays valid.", default=7, range=Range(1, 3650))
    templates_dir: Path | None = _doc(
        "Folder of Jinja2 templates overriding the bundled ones (same file names); unset: bundled templates.",
        default=None,
    )


@dataclass(frozen=True)
class DeliveryConfig:
    transport: str = _doc("Mail transport: outbox (files) or smtp.", default="outbox")
    outbox_dir: Path = _doc("Folder for .eml files of the outbox transport.", default=Path("outbox"))
    rate_limit: float = _doc("Messages per second at most (0 = unlimited).", default=0.0, range=Range(0, 10_000))
    max_attempts: int = _doc(
        "Attempts for a deferred (4xx) message before it is marked failed.", default=5, range=Range(1, 100)
    )
    retry_base_seconds: float = _doc(
        "First retry delay; doubles with each attempt.", default=60.0, range=Range(0, 86_400)
    )
    bounce_after: int = _doc(
        "Mark a subscriber bounced after this many permanent failures.", default=1, range=Range(1, 100)
    )


@dataclass(frozen=True)
class SmtpConfig:
    host: str = _doc("SMTP server host.", default="127.0.0.1")
    port: int = _doc("SMTP server port.", default=25, range=Range(1, 65_535, outside="must be a TCP port (1-65535)"))
    security: Literal["none", "starttls", "ssl"] = _doc("Connection security.", default="none")
    username: str = _doc("Login user (empty: no login).", default="")
    password_env: str = _doc("Environment variable holding the SMTP password.", default="PUBLISHER_SMTP_PASSWORD")
    timeout: float = _doc("Socket timeout in seconds.", default=30.0, range=Range(0, 3600, above=True))
    local_hostname: str = _doc("Name sent in EHLO (empty: this host's name).", default="")


@dataclass(frozen=True)
class DkimConfig:
    selector: str = _doc(
        "DKIM selector (s=): the public key is published at <selector>._domainkey.<domain>. Needed with a key.",
        default="",
    )
    domain: str = _doc("Signing domain (d=); empty: the domain of digest.from_address.", default="")
    key_file: Path | None = _doc(
        "PEM file with the RSA private key; used when the environment variable dkim.key_env is unset. "
        "No key at all: mail goes out unsigned (check-config says so).",
        default=None,
    )
    key_env: str = _doc(
        "Environment variable holding the PEM private key (wins over key_file).", default="PUBLISHER_DKIM_KEY"
    )


@dataclass(frozen=True)
class MailboxConfig:
    bounce_address: str = _doc(
        "Envelope sender for digests, e.g. bounces@news.example.org: each delivery goes out as "
        "bounces+d<id>-<signature>@... (VERP), so a bounce names its delivery. Empty: digest.from_address, no VERP.",
        default="",
    )
    reader: Literal["", "imap", "maildir"] = _doc(
        "Where `publisher mail process` reads returned mail: imap or maildir (empty: nowhere).", default=""
    )
    host: str = _doc("IMAP server host.", default="127.0.0.1")
    port: int = _doc(
        "IMAP server port (993 for TLS, 143 for starttls/none).",
        default=993,
        range=Range(1, 65_535, outside="must be a TCP port (1-65535)"),
    )
    security: Literal["tls", "starttls", "none"] = _doc(
        "IMAP connection security (none only for a server on this machine).", default="tls"
    )
    username: str = _doc("IMAP login.", default="")
    password_env: str = _doc("Environment variable holding the IMAP password.", default="PUBLISHER_MAILBOX_PASSWORD")
    ca_file: Path | None = _doc("CA certificate(s) to trust for the IMAP server (empty: the system's).", default=None)
    timeout: float = _doc("IMAP socket timeout in seconds.", default=30.0, range=Range(0, 3600, above=True))
    folder: str = _doc("Folder (IMAP) read for returned mail; Maildir: the inbox of mailbox.maildir.", default="INBOX")
    processed_folder: str = _doc(
        "Processed mail is moved to this folder (Maildir: subfolder).", default="publisher-processed"
    )
    unparsed_folder: str = _doc(
        "Mail that is none of DSN, complaint or unsubscribe request is moved here for a person.",
        default="publisher-unparsed",
    )
    maildir: Path | None = _doc("Maildir to read when mailbox.reader = 'maildir'.", default=None)


@dataclass(frozen=True)
class WebConfig:
    host: str = _doc("Address `publisher serve` and `publisher run` listen on.", default="127.0.0.1")
    port: int = _doc("Port to listen on.", default=8080, range=Range(0, 65_535, outside="must be a TCP port (0-65535)"))
    trusted_proxy: str = _doc(
        "IP address of the reverse proxy in front (e.g. 127.0.0.1) whose X-Forwarded-For and X-Forwarded-Proto "
        "headers are trusted for the client's address; empty: none (such headers from clients are dropped).",
        default="",
    )
    trusted_proxy_count: int = _doc(
        "How many trusted proxies stand in front (X-Forwarded-For entries to believe, from the right).",
        default=1,
        range=Range(1, 10),
    )


@dataclass(frozen=True)
class ScheduleConfig:
    job: Literal["ingest", "feeds", "digest", "deliver", "cycle", "mail"] = _doc(
        "What to run: ingest (then feeds if anything changed), feeds, digest (build editions), deliver, cycle (all), "
        "mail (process returned mail)."
    )
    cron: str = _doc("Crontab expression (minute hour day month day_of_week), in site.timezone.", default="")
    interval_minutes: float = _doc(
        "Run every N minutes (instead of cron).", default=0.0, range=Range(0, 527_040, below="must be positive")
    )
    interval_seconds: float = _doc(
        "Run every N seconds (instead of cron; for tests and fast polling).",
        default=0.0,
        range=Range(0, 31_622_400, below="must be positive"),
    )
    frequency: Literal["weekly", "monthly", ""] = _doc("For digest jobs: which subscribers' editions.", default="")
    misfire_grace_seconds: int = _doc(
        "A run missed by up to this long still happens once.", default=3600, range=Range(1, 604_800)
    )
    enabled: bool = _doc("Set false to keep a schedule but not run it.", default=True)


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    root: Path = Path(".")
    site: SiteConfig = SiteConfig()
    store: StoreConfig = StoreConfig()
    sources: tuple[SourceConfig, ...] = ()
    taxonomy: TaxonomyConfig = TaxonomyConfig()
    linking: LinkingConfig = LinkingConfig()
    feeds: FeedsConfig = FeedsConfig()
    digest: DigestConfig = DigestConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    smtp: SmtpConfig = SmtpConfig()
    dkim: DkimConfig = DkimConfig()
    mailbox: MailboxConfig = MailboxConfig()
    web: WebConfig = WebConfig()
    schedules: dict[str, ScheduleConfig] = field(default_factory=dict)

    @property
    def template_dirs(self) -> list[Path]:
        """Template search path: the operator's folder first, then the bundled templates."""
        dirs = [self.digest.templates_dir] if self.digest.templates_dir else []
        return [*dirs, BUNDLED_TEMPLATES]

    @property
    def database_url(self) -> str:
        return os.environ.get(DATABASE_URL_ENV) or self.store.url

    @property
    def secret_key(self) -> str:
        from publisher.config.secrets import resolve_secret

        return resolve_secret(self)

    @property
    def smtp_password(self) -> str:
        return os.environ.get(self.smtp.password_env, "")

    @property
    def mailbox_password(self) -> str:
        return os.environ.get(self.mailbox.password_env, "")

    def source(self, name: str) -> SourceConfig:
        for s in self.sources:
            if s.name == name:
                return s
        raise ConfigError(f"no source named {name!r}", key="sources")


TOP_SECTIONS = {f.name for f in dataclasses.fields(Config)} - {"path", "root"}
