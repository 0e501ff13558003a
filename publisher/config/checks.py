"""Semantic checks on a built Config (ranges, URLs, slugs, schedules); each failure names its exact key."""

from __future__ import annotations

import re
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from publisher.config.schema import Config
from publisher.errors import ConfigError

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# A plain addr-spec: a local part without spaces or specials, a domain of DNS labels (IDN as punycode or Unicode).
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\\\"]{1,64}@" + _LABEL + r"(?:\." + _LABEL + r")*$")


def _address(value: str, key: str, *, optional: bool = False) -> None:
    if optional and not value:
        return
    if len(value) > 254 or not _ADDRESS.match(value) or ".." in value:
        raise ConfigError(f"must be an e-mail address (local@domain), got {value!r}", key=key)


def _http_url(value: str, key: str, schemes: tuple[str, ...] = ("http", "https")) -> None:
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018  # raises ValueError for a port that is not a number or out of range
    except ValueError:
        raise ConfigError(f"has an invalid port, got {value!r}", key=key) from None
    if parts.scheme not in schemes or (parts.scheme != "file" and not parts.hostname) or re.search(r"\s", value):
        raise ConfigError(f"must be an absolute {'/'.join(schemes)} URL, got {value!r}", key=key)


_CRON_FIELDS = 5


def _check_web(cfg: Config) -> None:
    import ipaddress

    proxy = cfg.web.trusted_proxy
    if proxy:
        try:
            ipaddress.ip_address(proxy)
        except ValueError:
            raise ConfigError(f"must be an IP address, got {proxy!r}", key="web.trusted_proxy") from None


def check_config(cfg: Config) -> None:
    _check_web(cfg)
    site = cfg.site
    parts = urlsplit(site.base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"must be an absolute http(s) URL, got {site.base_url!r}", key="site.base_url")
    _http_url(site.base_url, "site.base_url")
    _address(site.author_email, "site.author_email")
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
        if src.url is not None:
            _http_url(src.url, f"{key}.url", ("http", "https", "file"))
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
    for slug, group in cfg.taxonomy.groups.items():
        key = f"taxonomy.groups.{slug}"
        if not _SLUG.match(slug):
            raise ConfigError("group slugs are lower-case words joined by '-'", key=key)
        for j, code in enumerate(group.countries):
            if not known(code):
                raise ConfigError(f"{code!r} is not an ISO 3166-1 alpha-2 code", key=f"{key}.countries[{j}]")
        for j, alias in enumerate(group.aliases):
            if not alias.strip():
                raise ConfigError("an alias must not be empty", key=f"{key}.aliases[{j}]")
        listed = {c.upper() for c in group.countries}
        for field in ("joined", "left"):
            for code in getattr(group, field):
                if code.upper() not in listed:
                    raise ConfigError(f"{code!r} is not one of this group's countries", key=f"{key}.{field}.{code}")
        for code, left in group.left.items():
            if code in group.joined and group.joined[code] >= left:
                raise ConfigError(f"must be after joined ({group.joined[code]})", key=f"{key}.left.{code}")
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
        if fmt not in ("atom", "rss", "json"):
            raise ConfigError(f"expected 'atom', 'rss' or 'json', got {fmt!r}", key=f"feeds.formats[{j}]")
    if cfg.feeds.websub_hub:
        _http_url(cfg.feeds.websub_hub, "feeds.websub_hub")
    if cfg.digest.max_items < 1:
        raise ConfigError("must be at least 1", key="digest.max_items")
    if cfg.digest.first_edition_lookback_days < 0:
        raise ConfigError("must not be negative", key="digest.first_edition_lookback_days")
    if cfg.digest.token_max_age_days < 1:
        raise ConfigError("must be at least 1", key="digest.token_max_age_days")
    _address(cfg.digest.from_address, "digest.from_address")
    _address(cfg.digest.reply_to, "digest.reply_to", optional=True)
    _address(cfg.digest.unsubscribe_mailto.removeprefix("mailto:"), "digest.unsubscribe_mailto", optional=True)
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
    _address(box.bounce_address, "mailbox.bounce_address", optional=True)
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
