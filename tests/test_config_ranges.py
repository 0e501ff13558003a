"""Config refuses nonsense: every number finite and in its documented range, valid addresses, no control
characters; each ConfigError names the key (issue 11, item 6)."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from publisher.config import config_from_dict, iter_docs, load_config
from publisher.config.schema import Config
from publisher.errors import ConfigError

NAN, INF = math.nan, math.inf
SOURCE = {"name": "r", "kind": "jsonl", "url": "https://example.org/r.jsonl"}


def source(**kw: Any) -> dict[str, Any]:
    return {"sources": [{**SOURCE, **kw}]}


def schedule(**kw: Any) -> dict[str, Any]:
    return {"schedules": {"s": {"job": "ingest", **kw}}}


MALFORMED: list[tuple[dict[str, Any], str]] = [
    ({"delivery": {"rate_limit": NAN}}, "delivery.rate_limit"),
    ({"delivery": {"rate_limit": INF}}, "delivery.rate_limit"),
    ({"delivery": {"rate_limit": -1}}, "delivery.rate_limit"),
    ({"delivery": {"rate_limit": 1e9}}, "delivery.rate_limit"),
    ({"delivery": {"retry_base_seconds": NAN}}, "delivery.retry_base_seconds"),
    ({"delivery": {"retry_base_seconds": -INF}}, "delivery.retry_base_seconds"),
    ({"delivery": {"retry_base_seconds": -60}}, "delivery.retry_base_seconds"),
    ({"delivery": {"retry_base_seconds": 1e12}}, "delivery.retry_base_seconds"),
    ({"delivery": {"max_attempts": 10**9}}, "delivery.max_attempts"),
    ({"delivery": {"bounce_after": 0}}, "delivery.bounce_after"),
    ({"delivery": {"bounce_after": -1}}, "delivery.bounce_after"),
    (source(timeout=NAN), "sources[0].timeout"),
    (source(timeout=INF), "sources[0].timeout"),
    (source(timeout=-5), "sources[0].timeout"),
    (source(timeout=0), "sources[0].timeout"),
    (source(timeout=1e9), "sources[0].timeout"),
    (source(max_bytes=0), "sources[0].max_bytes"),
    (source(max_bytes=10**15), "sources[0].max_bytes"),
    (source(url="https://exa mple.org/r"), "sources[0].url"),
    (source(url="https://example.org:99999/r"), "sources[0].url"),
    ({"smtp": {"timeout": NAN}}, "smtp.timeout"),
    ({"smtp": {"timeout": -1}}, "smtp.timeout"),
    ({"smtp": {"port": 0}}, "smtp.port"),
    ({"smtp": {"port": 70000}}, "smtp.port"),
    ({"web": {"port": -1}}, "web.port"),
    (schedule(interval_seconds=NAN), "schedules.s.interval_seconds"),
    (schedule(interval_seconds=INF), "schedules.s.interval_seconds"),
    (schedule(interval_minutes=NAN), "schedules.s.interval_minutes"),
    (schedule(interval_minutes=-5), "schedules.s.interval_minutes"),
    (schedule(interval_minutes=1e12), "schedules.s.interval_minutes"),
    (schedule(interval_minutes=5, misfire_grace_seconds=10**12), "schedules.s.misfire_grace_seconds"),
    ({"feeds": {"max_entries": 10**9}}, "feeds.max_entries"),
    ({"digest": {"max_items": 10**9}}, "digest.max_items"),
    ({"digest": {"token_max_age_days": 10**6}}, "digest.token_max_age_days"),
    ({"digest": {"first_edition_lookback_days": 10**6}}, "digest.first_edition_lookback_days"),
    ({"linking": {"threshold": NAN}}, "linking.threshold"),
    ({"linking": {"max_links": 10**6}}, "linking.max_links"),
    ({"digest": {"from_address": "a@"}}, "digest.from_address"),
    ({"digest": {"from_address": "@example.org"}}, "digest.from_address"),
    ({"digest": {"from_address": "a b@example.org"}}, "digest.from_address"),
    ({"digest": {"from_address": "a@exa..mple.org"}}, "digest.from_address"),
    ({"digest": {"reply_to": "not-an-address"}}, "digest.reply_to"),
    ({"digest": {"unsubscribe_mailto": "mailto:x@"}}, "digest.unsubscribe_mailto"),
    ({"site": {"author_email": "news"}}, "site.author_email"),
    ({"site": {"base_url": "https://news.example.org/\r\nX-Injected: 1"}}, "site.base_url"),
    ({"site": {"base_url": "https://news.example.org/\n"}}, "site.base_url"),
    ({"site": {"base_url": "https://news.example.org/a b/"}}, "site.base_url"),
    ({"site": {"title": "News\x00"}}, "site.title"),
    ({"site": {"title": "News\x1b[31m"}}, "site.title"),
    ({"digest": {"subject": "News\u0085{period}"}}, "digest.subject"),
    ({"taxonomy": {"extra_places": {"Vienna\n": "AT"}}}, "taxonomy.extra_places"),
    ({"taxonomy": {"topics": {"t": {"name": "T", "keywords": {"x": NAN}}}}}, "taxonomy.topics.t.keywords.x"),
    ({"taxonomy": {"topics": {"t": {"name": "T", "keywords": {"x": 1}, "threshold": -1}}}}, "taxonomy.topics.t"),
]


@pytest.mark.parametrize(("data", "key"), MALFORMED, ids=[f"{k}={d}" for d, k in MALFORMED])
def test_malformed_values_are_refused_naming_the_key(tmp_path: Path, data: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        config_from_dict(data, root=tmp_path)
    assert str(err.value).startswith(key), str(err.value)
    assert err.value.key is not None and err.value.key.startswith(key)


@pytest.mark.parametrize(
    "data",
    [
        {"delivery": {"rate_limit": 0, "retry_base_seconds": 0, "bounce_after": 1}},
        {"web": {"port": 0}, "smtp": {"port": 65535, "timeout": 0.5}},
        source(timeout=3600, max_bytes=1),
        schedule(interval_seconds=0.5),
        {"digest": {"from_address": "news@xn--bcher-kva.example", "reply_to": "", "subject": "News\t{period}"}},
        {"digest": {"from_address": "news@localhost"}},
        {"site": {"base_url": "http://127.0.0.1:8080/news/"}},
    ],
)
def test_sensible_edge_values_are_accepted(tmp_path: Path, data: dict[str, Any]) -> None:
    config_from_dict(data, root=tmp_path)


def test_toml_nan_and_inf_are_refused_with_the_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[delivery]\nretry_base_seconds = nan\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"config\.toml: delivery\.retry_base_seconds: must be a finite number"):
        load_config(path)
    path.write_text("[schedules.poll]\njob = 'ingest'\ninterval_seconds = inf\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.key == "schedules.poll.interval_seconds" and err.value.path == path


def test_check_config_refuses_an_absurd_value_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[delivery]\nbounce_after = 0\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "publisher", "--config", str(path), "check-config"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"ConfigError: {path}: delivery.bounce_after: must be at least 1 (range 1..100), got 0"
    )


def test_every_number_key_has_a_documented_range() -> None:
    import dataclasses
    import typing

    def numbers(cls: Any, prefix: str = "") -> typing.Iterator[tuple[str, Any]]:
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            tp = hints[f.name]
            args = typing.get_args(tp)
            if dataclasses.is_dataclass(tp):
                yield from numbers(tp, f"{prefix}{f.name}.")
            elif typing.get_origin(tp) in (tuple, dict) and args and dataclasses.is_dataclass(args[-1]):
                yield from numbers(args[-1], f"{prefix}{f.name}.*.")
            elif tp in (int, float) and f.name not in ("path", "root"):
                yield f"{prefix}{f.name}", f.metadata.get("range")

    found = dict(numbers(Config))
    assert "delivery.retry_base_seconds" in found
    assert [k for k, r in found.items() if r is None] == []
    assert any(k == "delivery.bounce_after" for k, _, _ in iter_docs())
