"""Load config.toml into one typed, validated, frozen Config; every error names its exact key."""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from publisher.errors import ConfigError

DEFAULT_TAXONOMY_PATH = Path(__file__).with_name("taxonomy_default.toml")
DATABASE_URL_ENV = "PUBLISHER_DATABASE_URL"
BUNDLED_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _doc(text: str, **kw: Any) -> Any:
    """A dataclass field carrying its operator documentation (shown by check-config and the README)."""
    return field(metadata={"doc": text, **kw.pop("metadata", {})}, **kw)


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
    timeout: float = _doc("Seconds to wait for a remote source.", default=20.0)
    max_bytes: int = _doc("Refuse remote sources larger than this many bytes.", default=50_000_000)
    url_template: str = _doc(
        "Link for releases without one; {slug} and {date} are filled in. Defaults to <base_url>news/{slug}.",
        default="",
    )


@dataclass(frozen=True)
class RegionConfig:
    name: str = _doc("Display name.")
    countries: tuple[str, ...] = _doc("ISO 3166-1 alpha-2 codes of member countries.", default=())
    aliases: tuple[str, ...] = _doc("Phrases that name the region in text.", default=())


@dataclass(frozen=True)
class TopicConfig:
    name: str = _doc("Display name.")
    keywords: dict[str, float] = _doc(
        "Phrase → weight; a topic is assigned when the summed weight of matched phrases reaches the threshold.",
        default_factory=dict,
    )
    threshold: float = _doc("Minimum summed weight to assign this topic.", default=2.0)


@dataclass(frozen=True)
class TaxonomyConfig:
    regions: dict[str, RegionConfig] = _doc("Regions by slug.", default_factory=dict)
    topics: dict[str, TopicConfig] = _doc("Topics by slug.", default_factory=dict)
    extra_places: dict[str, str] = _doc(
        "Extra place names, cities or demonyms → ISO alpha-2 code, added to the built-in gazetteer.",
        default_factory=dict,
    )


@dataclass(frozen=True)
class LinkingConfig:
    threshold: float = _doc("Minimum score (0..1) for a release–project link to be kept.", default=0.5)
    max_links: int = _doc("At most this many related projects per release.", default=5)


@dataclass(frozen=True)
class FeedsConfig:
    dir: Path = _doc("Folder for generated feeds.", default=Path("feeds"))
    max_entries: int = _doc("At most this many entries per feed, newest first.", default=50)
    formats: tuple[str, ...] = _doc("Feed formats to write: atom, rss.", default=("atom", "rss"))


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
    )
    max_items: int = _doc("At most this many items per digest.", default=100)
    subject: str = _doc(
        "Subject template; {title}, {period} and {count} are filled in.", default="{title}: {period} ({count} new)"
    )
    secret_key_env: str = _doc(
        "Environment variable holding the secret for signed links (confirm, preferences, unsubscribe).",
        default="PUBLISHER_SECRET_KEY",
    )
    secret_key: str = _doc(
        "Secret for signed links when the environment variable is unset (development only).",
        default="change-me-in-production",
    )
    token_max_age_days: int = _doc("Days a confirmation link stays valid.", default=7)
    templates_dir: Path | None = _doc(
        "Folder of Jinja2 templates overriding the bundled ones (same file names); unset: bundled templates.",
        default=None,
    )


@dataclass(frozen=True)
class DeliveryConfig:
    transport: str = _doc("Mail transport: outbox (files) or smtp.", default="outbox")
    outbox_dir: Path = _doc("Folder for .eml files of the outbox transport.", default=Path("outbox"))
    rate_limit: float = _doc("Messages per second at most (0 = unlimited).", default=0.0)
    max_attempts: int = _doc("Attempts for a deferred (4xx) message before it is marked failed.", default=5)
    retry_base_seconds: float = _doc("First retry delay; doubles with each attempt.", default=60.0)
    bounce_after: int = _doc("Mark a subscriber bounced after this many permanent failures.", default=1)


@dataclass(frozen=True)
class SmtpConfig:
    host: str = _doc("SMTP server host.", default="127.0.0.1")
    port: int = _doc("SMTP server port.", default=25)
    security: Literal["none", "starttls", "ssl"] = _doc("Connection security.", default="none")
    username: str = _doc("Login user (empty: no login).", default="")
    password_env: str = _doc("Environment variable holding the SMTP password.", default="PUBLISHER_SMTP_PASSWORD")
    timeout: float = _doc("Socket timeout in seconds.", default=30.0)
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
    port: int = _doc("IMAP server port (993 for TLS, 143 for starttls/none).", default=993)
    security: Literal["tls", "starttls", "none"] = _doc(
        "IMAP connection security (none only for a server on this machine).", default="tls"
    )
    username: str = _doc("IMAP login.", default="")
    password_env: str = _doc("Environment variable holding the IMAP password.", default="PUBLISHER_MAILBOX_PASSWORD")
    ca_file: Path | None = _doc("CA certificate(s) to trust for the IMAP server (empty: the system's).", default=None)
    timeout: float = _doc("IMAP socket timeout in seconds.", default=30.0)
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
    port: int = _doc("Port to listen on.", default=8080)


@dataclass(frozen=True)
class ScheduleConfig:
    job: Literal["ingest", "feeds", "digest", "deliver", "cycle", "mail"] = _doc(
        "What to run: ingest (then feeds if anything changed), feeds, digest (build editions), deliver, cycle (all), "
        "mail (process returned mail)."
    )
    cron: str = _doc("Crontab expression (minute hour day month day_of_week), in site.timezone.", default="")
    interval_minutes: float = _doc("Run every N minutes (instead of cron).", default=0.0)
    interval_seconds: float = _doc("Run every N seconds (instead of cron; for tests and fast polling).", default=0.0)
    frequency: Literal["weekly", "monthly", ""] = _doc("For digest jobs: which subscribers' editions.", default="")
    misfire_grace_seconds: int = _doc("A run missed by up to this long still happens once.", default=3600)
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
        return os.environ.get(self.digest.secret_key_env) or self.digest.secret_key

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

# ---------------------------------------------------------------- generic builder


def _describe(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if tp is bool:
        return "true or false"
    if tp is int:
        return "an integer"
    if tp is float:
        return "a number"
    if tp is str:
        return "a string"
    if tp is Path:
        return "a path string"
    if origin is tuple:
        return f"a list of {_describe(typing.get_args(tp)[0])}s"
    if origin is dict:
        return "a table"
    if dataclasses.is_dataclass(tp):
        return "a table"
    return str(tp)


def _build_value(tp: Any, value: Any, key: str, root: Path) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _build_value(args[0], value, key, root)
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise ConfigError(f"expected {_describe(tp)}, got {value!r}", key=key)
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"expected true or false, got {value!r}", key=key)
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"expected an integer, got {value!r}", key=key)
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"expected a number, got {value!r}", key=key)
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"expected a string, got {value!r}", key=key)
        return value
    if tp is Path:
        if not isinstance(value, str) or not value:
            raise ConfigError(f"expected a path string, got {value!r}", key=key)
        p = Path(value).expanduser()
        return p if p.is_absolute() else (root / p)
    if origin is tuple:
        if not isinstance(value, list):
            raise ConfigError(f"expected {_describe(tp)}, got {value!r}", key=key)
        (item_tp, *_) = typing.get_args(tp)
        return tuple(_build_value(item_tp, v, f"{key}[{i}]", root) for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"expected a table, got {value!r}", key=key)
        _, val_tp = typing.get_args(tp)
        return {str(k): _build_value(val_tp, v, f"{key}.{k}", root) for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"expected a table, got {value!r}", key=key)
        return _build_dataclass(tp, value, key, root)
    raise AssertionError(f"unsupported config type {tp!r}")  # a programming error, not user input


def _build_dataclass(cls: Any, data: dict[str, Any], key: str, root: Path) -> Any:
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        allowed = ", ".join(sorted(fields))
        raise ConfigError(
            f"unknown key {unknown[0]!r} (allowed: {allowed})", key=f"{key}.{unknown[0]}" if key else unknown[0]
        )
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        sub = f"{key}.{name}" if key else name
        if name in data:
            kwargs[name] = _build_value(hints[name], data[name], sub, root)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError("required key is missing", key=sub)
        elif hints[name] is Path and isinstance(f.default, Path) and not f.default.is_absolute():
            kwargs[name] = root / f.default
        elif dataclasses.is_dataclass(hints[name]):
            # An absent section still needs its relative default paths resolved.
            kwargs[name] = _build_dataclass(hints[name], {}, sub, root)
    return cls(**kwargs)


# ---------------------------------------------------------------- semantic checks

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_CRON_FIELDS = 5


def _check(cfg: Config) -> None:
    site = cfg.site
    parts = urlsplit(site.base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"must be an absolute http(s) URL, got {site.base_url!r}", key="site.base_url")
    try:
        ZoneInfo(site.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"unknown IANA timezone {site.timezone!r}", key="site.timezone") from None

    names: set[str] = set()
    for i, src in enumerate(cfg.sources):
        key = f"sources[{i}]"
        if src.name in names:
            raise ConfigError(f"duplicate source name {src.name!r}", key=f"{key}.name")
        names.add(src.name)
        if (src.path is None) == (src.url is None):
            raise ConfigError("give exactly one of path or url", key=key)
        if src.url is not None and urlsplit(src.url).scheme not in ("http", "https", "file"):
            raise ConfigError(f"must be an http(s) or file URL, got {src.url!r}", key=f"{key}.url")
        if src.timeout <= 0:
            raise ConfigError("must be positive", key=f"{key}.timeout")
        if src.max_bytes <= 0:
            raise ConfigError("must be positive", key=f"{key}.max_bytes")

    import pycountry  # deferred: only needed when validating country codes

    def known(code: str) -> bool:
        # XK (Kosovo) is user-assigned, not in ISO 3166-1, but it is the code every data set uses.
        return code == "XK" or pycountry.countries.get(alpha_2=code) is not None

    for slug, region in cfg.taxonomy.regions.items():
        if not _SLUG.match(slug):
            raise ConfigError("region slugs are lower-case words joined by '-'", key=f"taxonomy.regions.{slug}")
        for j, code in enumerate(region.countries):
            if not known(code):
                raise ConfigError(
                    f"{code!r} is not an ISO 3166-1 alpha-2 code", key=f"taxonomy.regions.{slug}.countries[{j}]"
                )
    for slug, topic in cfg.taxonomy.topics.items():
        if not _SLUG.match(slug):
            raise ConfigError("topic slugs are lower-case words joined by '-'", key=f"taxonomy.topics.{slug}")
        if not topic.keywords:
            raise ConfigError("a topic needs at least one keyword", key=f"taxonomy.topics.{slug}.keywords")
    for place, code in cfg.taxonomy.extra_places.items():
        if not known(code):
            raise ConfigError(f"{code!r} is not an ISO 3166-1 alpha-2 code", key=f"taxonomy.extra_places.{place}")

    if not 0 <= cfg.linking.threshold <= 1:
        raise ConfigError("must be between 0 and 1", key="linking.threshold")
    if cfg.linking.max_links < 1:
        raise ConfigError("must be at least 1", key="linking.max_links")
    if cfg.feeds.max_entries < 1:
        raise ConfigError("must be at least 1", key="feeds.max_entries")
    for j, fmt in enumerate(cfg.feeds.formats):
        if fmt not in ("atom", "rss"):
            raise ConfigError(f"expected 'atom' or 'rss', got {fmt!r}", key=f"feeds.formats[{j}]")
    if cfg.digest.max_items < 1:
        raise ConfigError("must be at least 1", key="digest.max_items")
    if cfg.digest.first_edition_lookback_days < 0:
        raise ConfigError("must not be negative", key="digest.first_edition_lookback_days")
    if cfg.digest.token_max_age_days < 1:
        raise ConfigError("must be at least 1", key="digest.token_max_age_days")
    for key in ("from_address",):
        if "@" not in getattr(cfg.digest, key):
            raise ConfigError("must be an e-mail address", key=f"digest.{key}")
    for header_key in ("from_address", "from_name", "reply_to", "list_id", "unsubscribe_mailto", "subject"):
        if re.search(r"[\r\n]", getattr(cfg.digest, header_key)):
            raise ConfigError("must not contain line breaks (it goes into a mail header)", key=f"digest.{header_key}")
    if cfg.delivery.transport not in ("outbox", "smtp"):
        raise ConfigError(f"expected 'outbox' or 'smtp', got {cfg.delivery.transport!r}", key="delivery.transport")
    if cfg.delivery.rate_limit < 0:
        raise ConfigError("must not be negative", key="delivery.rate_limit")
    if cfg.delivery.max_attempts < 1:
        raise ConfigError("must be at least 1", key="delivery.max_attempts")
    box = cfg.mailbox
    if box.bounce_address and (box.bounce_address.count("@") != 1 or re.search(r"[\s<>,+\"]", box.bounce_address)):
        raise ConfigError(
            "must be a plain e-mail address without '+' (VERP adds +d<id>-...)", key="mailbox.bounce_address"
        )
    if not 0 < box.port < 65536:
        raise ConfigError("must be a TCP port (1-65535)", key="mailbox.port")
    if box.reader == "imap" and not box.username:
        raise ConfigError("the imap reader needs a login", key="mailbox.username")
    if box.reader == "maildir" and box.maildir is None:
        raise ConfigError("the maildir reader needs mailbox.maildir", key="mailbox.maildir")
    if cfg.dkim.selector and not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?", cfg.dkim.selector):
        raise ConfigError("must be a DNS label (letters, digits, '-', '.')", key="dkim.selector")
    if not 0 < cfg.smtp.port < 65536:
        raise ConfigError("must be a TCP port (1-65535)", key="smtp.port")
    if not 0 <= cfg.web.port < 65536:
        raise ConfigError("must be a TCP port (0-65535)", key="web.port")

    for name, sched in cfg.schedules.items():
        key = f"schedules.{name}"
        if not _SLUG.match(name):
            raise ConfigError("schedule names are lower-case words joined by '-'", key=key)
        for interval_key in ("interval_minutes", "interval_seconds"):
            if getattr(sched, interval_key) < 0:
                raise ConfigError("must be positive", key=f"{key}.{interval_key}")
        if sum(map(bool, (sched.cron, sched.interval_minutes, sched.interval_seconds))) != 1:
            raise ConfigError("give exactly one of cron, interval_minutes or interval_seconds", key=key)
        if sched.cron and len(sched.cron.split()) != _CRON_FIELDS:
            raise ConfigError(
                f"expected 5 crontab fields (minute hour day month day_of_week), got {sched.cron!r}", key=f"{key}.cron"
            )
        if sched.cron:
            from apscheduler.triggers.cron import CronTrigger  # deferred: only needed to validate cron fields

            try:
                CronTrigger.from_crontab(sched.cron, timezone=site.timezone)
            except ValueError as exc:
                raise ConfigError(f"invalid crontab expression {sched.cron!r}: {exc}", key=f"{key}.cron") from None
        if sched.job == "digest" and not sched.frequency:
            raise ConfigError("digest jobs need frequency = 'weekly' or 'monthly'", key=f"{key}.frequency")
        if sched.job != "digest" and sched.frequency:
            raise ConfigError(f"only digest jobs take a frequency (this is a {sched.job} job)", key=f"{key}.frequency")
        if sched.misfire_grace_seconds < 1:
            raise ConfigError("must be at least 1", key=f"{key}.misfire_grace_seconds")


# ---------------------------------------------------------------- loading


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read config file: {exc.strerror}", path=path) from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 (byte {exc.start})", path=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", path=path) from None


def default_taxonomy_data() -> dict[str, Any]:
    """The bundled default taxonomy (regions, topics) as raw TOML data."""
    return _read_toml(DEFAULT_TAXONOMY_PATH).get("taxonomy", {})


def config_from_dict(data: dict[str, Any], *, root: Path, path: Path | None = None) -> Config:
    """Build and validate a Config from parsed TOML; `root` resolves relative paths."""
    data = dict(data)
    unknown = sorted(set(data) - TOP_SECTIONS)
    if unknown:
        raise ConfigError(
            f"unknown section or key (allowed: {', '.join(sorted(TOP_SECTIONS))})", key=unknown[0], path=path
        )
    # The operator's taxonomy replaces the default per table: giving [taxonomy.regions] replaces all regions.
    taxonomy = dict(default_taxonomy_data())
    user_tax = data.get("taxonomy", {})
    if not isinstance(user_tax, dict):
        raise ConfigError("expected a table", key="taxonomy", path=path)
    taxonomy.update(user_tax)
    data["taxonomy"] = taxonomy
    try:
        cfg = _build_dataclass(Config, data, "", root)
        cfg = dataclasses.replace(cfg, path=path, root=root)
        # Relative SQLite paths (any driver: sqlite:///x.db, sqlite+pysqlite:///x.db) resolve against the config.
        m = re.match(r"^(sqlite(?:\+\w+)?:///)(?!/)(.+)$", cfg.store.url)
        if m and not m.group(2).startswith(":memory:"):
            url = f"{m.group(1)}{(root / m.group(2)).resolve()}"
            cfg = dataclasses.replace(cfg, store=dataclasses.replace(cfg.store, url=url))
        _check(cfg)
    except ConfigError as exc:
        if path is not None and exc.path is None:
            raise ConfigError(str(exc), key=None, path=path) from None
        raise
    return cfg


def load_config(path: Path | str) -> Config:
    """Read, validate and freeze the config file at `path`."""
    path = Path(path)
    data = _read_toml(path)
    return config_from_dict(data, root=path.resolve().parent, path=path)


def iter_docs(cls: Any = Config, prefix: str = "") -> typing.Iterator[tuple[str, str, str]]:
    """(key, default, doc) for every documented key, for check-config --explain and the README."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.name in ("path", "root"):
            continue
        key = f"{prefix}{f.name}"
        tp = hints[f.name]
        args = typing.get_args(tp)
        if dataclasses.is_dataclass(tp):
            yield from iter_docs(tp, key + ".")
            continue
        if typing.get_origin(tp) is tuple and args and dataclasses.is_dataclass(args[0]):
            yield from iter_docs(args[0], f"[[{key}]].")
            continue
        if typing.get_origin(tp) is dict and dataclasses.is_dataclass(args[1]):
            yield from iter_docs(args[1], f"{key}.<name>.")
            continue
        if f.default is not dataclasses.MISSING:
            default = repr(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            default = repr(f.default_factory())
        else:
            default = "(required)"
        yield key, default, f.metadata.get("doc", "")
