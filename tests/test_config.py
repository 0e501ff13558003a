"""Config: defaults, path resolution, env overrides, and errors that name the exact key."""

from __future__ import annotations

from pathlib import Path

import pytest

from publisher.config import DATABASE_URL_ENV, config_from_dict, iter_docs, load_config
from publisher.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent


def test_bundled_config_loads_with_default_taxonomy() -> None:
    cfg = load_config(REPO / "config.toml")
    assert cfg.site.title
    assert "border-management" in cfg.taxonomy.topics
    assert "central-asia" in cfg.taxonomy.regions
    assert [s.name for s in cfg.sources] == ["projects", "releases"]
    assert all(s.path is not None and s.path.is_absolute() for s in cfg.sources)


def test_relative_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    f = tmp_path / "sub" / "c.toml"
    f.write_text('[feeds]\ndir = "out/feeds"\n[store]\nurl = "sqlite:///db/p.db"\n')
    cfg = load_config(f)
    assert cfg.feeds.dir == tmp_path / "sub" / "out" / "feeds"
    assert cfg.store.url == f"sqlite:///{tmp_path / 'sub' / 'db' / 'p.db'}"
    assert cfg.delivery.outbox_dir == tmp_path / "sub" / "outbox"


def test_database_url_env_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = config_from_dict({}, root=tmp_path)
    monkeypatch.setenv(DATABASE_URL_ENV, "postgresql://u@h/db")
    assert cfg.database_url == "postgresql://u@h/db"


def test_secret_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = config_from_dict({"digest": {"secret_key_env": "MY_SECRET"}}, root=tmp_path)
    monkeypatch.setenv("MY_SECRET", "s3cret-from-the-environment")
    assert cfg.secret_key == "s3cret-from-the-environment"


def test_config_is_frozen(tmp_path: Path) -> None:
    cfg = config_from_dict({}, root=tmp_path)
    with pytest.raises(AttributeError):
        cfg.site = None  # type: ignore[misc]


@pytest.mark.parametrize(
    ("data", "key", "message"),
    [
        ({"feedz": {}}, "feedz", "unknown section"),
        ({"feeds": {"max_entriez": 3}}, "feeds.max_entriez", "unknown key"),
        ({"feeds": {"max_entries": "ten"}}, "feeds.max_entries", "expected an integer"),
        ({"feeds": {"max_entries": 0}}, "feeds.max_entries", "at least 1"),
        ({"feeds": {"formats": ["atom", "xml"]}}, "feeds.formats[1]", "expected 'atom', 'rss' or 'json'"),
        ({"feeds": {"websub_hub": "hub.example.org"}}, "feeds.websub_hub", "absolute http/https URL"),
        ({"site": {"base_url": "news.example.org"}}, "site.base_url", "absolute http(s) URL"),
        ({"site": {"timezone": "Mars/Olympus"}}, "site.timezone", "unknown IANA timezone"),
        ({"sources": [{"name": "a", "kind": "jsonl"}]}, "sources[0]", "exactly one of path or url"),
        ({"sources": [{"kind": "jsonl", "path": "x"}]}, "sources[0].name", "required key is missing"),
        ({"sources": [{"name": "a", "kind": "jsonl", "url": "ftp://x/y"}]}, "sources[0].url", "http(s) or file URL"),
        (
            {"sources": [{"name": "a", "kind": "jsonl", "path": "x"}, {"name": "a", "kind": "jsonl", "path": "y"}]},
            "sources[1].name",
            "duplicate source name",
        ),
        ({"linking": {"threshold": 1.5}}, "linking.threshold", "between 0 and 1"),
        ({"digest": {"group_by": "country"}}, "digest.group_by", "one of 'topic', 'region'"),
        ({"digest": {"from_name": "a\r\nBcc: x@y"}}, "digest.from_name", "line breaks"),
        ({"delivery": {"transport": "pigeon"}}, "delivery.transport", "expected 'outbox' or 'smtp'"),
        ({"smtp": {"port": 70000}}, "smtp.port", "TCP port"),
        ({"smtp": {"security": "tls"}}, "smtp.security", "one of 'none', 'starttls', 'ssl'"),
        (
            {"taxonomy": {"regions": {"x": {"name": "X", "countries": ["XX"]}}}},
            "taxonomy.regions.x.countries[0]",
            "not an ISO 3166-1",
        ),
        (
            {"taxonomy": {"topics": {"Bad Slug": {"name": "B", "keywords": {"b": 1}}}}},
            "taxonomy.topics.Bad Slug",
            "lower-case",
        ),
        (
            {"schedules": {"x": {"job": "ingest"}}},
            "schedules.x",
            "exactly one of cron, interval_minutes or interval_seconds",
        ),
        ({"schedules": {"x": {"job": "ingest", "cron": "* * *"}}}, "schedules.x.cron", "5 crontab fields"),
        ({"schedules": {"x": {"job": "digest", "cron": "0 7 * * mon"}}}, "schedules.x.frequency", "weekly"),
        ({"schedules": {"x": {"job": "bake", "cron": "0 7 * * mon"}}}, "schedules.x.job", "one of"),
        ({"web": {"port": True}}, "web.port", "expected an integer"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, data: dict, key: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        config_from_dict(data, root=tmp_path)
    assert f"{key}:" in str(info.value)
    assert message in str(info.value)


def test_toml_syntax_error_names_the_file(tmp_path: Path) -> None:
    f = tmp_path / "bad.toml"
    f.write_text("[site\ntitle = 1\n")
    with pytest.raises(ConfigError, match=r"bad\.toml: invalid TOML"):
        load_config(f)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "nope.toml")


def test_errors_from_a_file_carry_its_path(tmp_path: Path) -> None:
    f = tmp_path / "c.toml"
    f.write_text("[feeds]\nmax_entries = -1\n")
    with pytest.raises(ConfigError, match=r"c\.toml: feeds\.max_entries: must be at least 1"):
        load_config(f)


def test_every_key_is_documented() -> None:
    docs = list(iter_docs())
    assert len(docs) > 40
    undocumented = [key for key, _default, doc in docs if not doc]
    assert undocumented == []
    keys = {k for k, _, _ in docs}
    assert "feeds.max_entries" in keys and "[[sources]].kind" in keys and "schedules.<name>.cron" in keys


def test_no_documented_key_is_left_out_of_the_reference() -> None:
    # A source's `path` was once skipped along with the loaded config's own path and root.
    keys = {k for k, _, _ in iter_docs()}
    assert "[[sources]].path" in keys
    assert not any(k.split(".")[-1] == "root" or k == "path" for k in keys)


@pytest.mark.parametrize("scheme", ["sqlite", "sqlite+pysqlite"])
def test_relative_sqlite_paths_resolve_for_any_driver(tmp_path: Path, scheme: str) -> None:
    cfg = config_from_dict({"store": {"url": f"{scheme}:///db/p.db"}}, root=tmp_path)
    assert cfg.store.url == f"{scheme}:///{tmp_path / 'db' / 'p.db'}"
    absolute = config_from_dict({"store": {"url": f"{scheme}:////var/lib/p.db"}}, root=tmp_path)
    assert absolute.store.url == f"{scheme}:////var/lib/p.db"
    memory = config_from_dict({"store": {"url": f"{scheme}:///:memory:"}}, root=tmp_path)
    assert memory.store.url == f"{scheme}:///:memory:"
