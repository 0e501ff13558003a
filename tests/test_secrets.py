"""No known default secret: links are signed with the operator's secret, or one generated once per installation."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from publisher.config import config_from_dict
from publisher.config.secrets import file_secret, secret_source
from publisher.errors import ConfigError


@pytest.fixture(autouse=True)
def _no_secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUBLISHER_SECRET_KEY", raising=False)
    file_secret.cache_clear()


def test_without_a_secret_one_is_generated_once_privately_and_kept(tmp_path: Path) -> None:
    cfg = config_from_dict({}, root=tmp_path)
    path = tmp_path / "store" / "secret.key"
    assert not path.exists()
    first = cfg.secret_key
    assert len(first) >= 32 and path.read_text().strip() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    file_secret.cache_clear()  # a new process
    assert config_from_dict({}, root=tmp_path).secret_key == first
    assert "generated earlier" in secret_source(cfg)


def test_two_installations_get_different_secrets(tmp_path: Path) -> None:
    a = config_from_dict({}, root=tmp_path / "a").secret_key
    b = config_from_dict({}, root=tmp_path / "b").secret_key
    assert a != b


def test_processes_starting_together_agree_on_one_secret(tmp_path: Path) -> None:
    cfg = config_from_dict({}, root=tmp_path)
    seen: list[str] = []

    def start() -> None:
        seen.append(file_secret.__wrapped__(cfg.digest.secret_key_file))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(seen) == 8 and len(set(seen)) == 1
    assert [p.name for p in (tmp_path / "store").iterdir()] == ["secret.key"]  # no temporary file left


@pytest.mark.parametrize("value", ["change-me-in-production", "Change-Me-In-Production", "secret", "short-one"])
def test_published_or_short_secrets_are_refused_naming_the_key(tmp_path: Path, value: str) -> None:
    cfg = config_from_dict({"digest": {"secret_key": value}}, root=tmp_path)
    with pytest.raises(ConfigError, match=r"digest\.secret_key"):
        cfg.secret_key  # noqa: B018


def test_the_environment_wins_and_is_checked_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = config_from_dict({"digest": {"secret_key": "a-long-secret-from-the-file"}}, root=tmp_path)
    monkeypatch.setenv("PUBLISHER_SECRET_KEY", "a-long-secret-from-the-environment")
    assert cfg.secret_key == "a-long-secret-from-the-environment"
    assert secret_source(cfg) == "environment variable PUBLISHER_SECRET_KEY"
    monkeypatch.setenv("PUBLISHER_SECRET_KEY", "change-me-in-production")
    with pytest.raises(ConfigError, match="environment variable PUBLISHER_SECRET_KEY is a published example"):
        cfg.secret_key  # noqa: B018
    assert not (tmp_path / "store" / "secret.key").exists()


def test_an_unwritable_secret_file_is_a_config_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        target = tmp_path / "file-not-folder"
        target.write_text("x")
        cfg = config_from_dict({"digest": {"secret_key_file": str(target / "secret.key")}}, root=tmp_path)
    else:
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        cfg = config_from_dict({"digest": {"secret_key_file": str(ro / "secret.key")}}, root=tmp_path)
    with pytest.raises(ConfigError, match=r"digest\.secret_key_file"):
        cfg.secret_key  # noqa: B018
