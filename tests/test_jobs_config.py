"""[schedules] validation names the key and what is allowed; the README's config reference is current."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from publisher.config import config_from_dict
from publisher.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def load(schedules: Any, tmp_path: Path, **site: Any) -> Any:
    return config_from_dict({"site": {"timezone": "Europe/Vienna", **site}, "schedules": schedules}, root=tmp_path)


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ({"job": "ingest"}, "schedules.s: give exactly one of cron, interval_minutes or interval_seconds"),
        (
            {"job": "ingest", "cron": "0 7 * * *", "interval_minutes": 5},
            "schedules.s: give exactly one of cron, interval_minutes or interval_seconds",
        ),
        (
            {"job": "ingest", "interval_minutes": 5, "interval_seconds": 5},
            "schedules.s: give exactly one of cron, interval_minutes or interval_seconds",
        ),
        ({"job": "ingest", "interval_seconds": -1}, "schedules.s.interval_seconds: must be positive"),
        ({"job": "ingest", "interval_minutes": "5"}, "schedules.s.interval_minutes: expected a number, got '5'"),
        (
            {"job": "ingest", "cron": "0 7 * *"},
            "schedules.s.cron: expected 5 crontab fields (minute hour day month day_of_week), got '0 7 * *'",
        ),
        (
            {"job": "ingest", "cron": "61 * * * *"},
            "schedules.s.cron: invalid crontab expression '61 * * * *': Error validating expression '61': "
            "the last value (61) is higher than the maximum value (59)",
        ),
        ({"job": "ingest", "cron": "0 7 * * funday"}, "schedules.s.cron: invalid crontab expression"),
        (
            {"job": "publish", "interval_minutes": 5},
            "schedules.s.job: expected one of 'ingest', 'feeds', 'digest', 'deliver', 'cycle', 'mail', got 'publish'",
        ),
        ({"interval_minutes": 5}, "schedules.s.job: required key is missing"),
        (
            {"job": "digest", "cron": "0 7 * * mon"},
            "schedules.s.frequency: digest jobs need frequency = 'weekly' or 'monthly'",
        ),
        (
            {"job": "digest", "cron": "0 7 * * mon", "frequency": "daily"},
            "schedules.s.frequency: expected one of 'weekly', 'monthly', '', got 'daily'",
        ),
        (
            {"job": "deliver", "interval_minutes": 5, "frequency": "weekly"},
            "schedules.s.frequency: only digest jobs take a frequency (this is a deliver job)",
        ),
        (
            {"job": "ingest", "interval_minutes": 5, "misfire_grace_seconds": 0},
            "schedules.s.misfire_grace_seconds: must be at least 1",
        ),
        (
            {"job": "ingest", "interval_minutes": 5, "enabled": "yes"},
            "schedules.s.enabled: expected true or false, got 'yes'",
        ),
        (
            {"job": "ingest", "interval_minutes": 5, "every": 5},
            "schedules.s.every: unknown key 'every' (allowed: cron, enabled, frequency, interval_minutes, "
            "interval_seconds, job, misfire_grace_seconds)",
        ),
        ("hourly", "schedules.s: expected a table, got 'hourly'"),
    ],
)
def test_schedule_errors_name_the_key_and_what_is_allowed(tmp_path: Path, schedule: Any, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load({"s": schedule}, tmp_path)
    assert str(err.value).startswith(message)


def test_schedule_names_are_slugs(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^schedules.Weekly Digest: schedule names are lower-case words"):
        load({"Weekly Digest": {"job": "feeds", "interval_minutes": 5}}, tmp_path)


def test_schedules_section_must_be_a_table(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^schedules: expected a table"):
        load(["ingest"], tmp_path)


def test_valid_schedules_keep_their_values(tmp_path: Path) -> None:
    cfg = load(
        {
            "weekly": {"job": "digest", "frequency": "weekly", "cron": "0 7 * * mon", "misfire_grace_seconds": 600},
            "poll": {"job": "deliver", "interval_seconds": 2, "enabled": False},
        },
        tmp_path,
    )
    assert cfg.schedules["weekly"].misfire_grace_seconds == 600 and cfg.schedules["weekly"].frequency == "weekly"
    assert cfg.schedules["poll"].interval_seconds == 2.0 and cfg.schedules["poll"].enabled is False
    assert cfg.schedules["poll"].misfire_grace_seconds == 3600


def test_check_config_reports_the_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[schedules.nightly]\njob = "feeds"\ncron = "0 3 * *"\n', encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "publisher", "--config", str(config), "check-config"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"ConfigError: {config}: schedules.nightly.cron: expected 5 crontab fields "
        "(minute hour day month day_of_week), got '0 3 * *'"
    )


def test_readme_config_reference_is_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("config_reference", ROOT / "scripts" / "config_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert module.replace_block(readme) == readme, "run: .venv/bin/python scripts/config_reference.py --write README.md"
    assert "| `schedules.<name>.misfire_grace_seconds` | `3600` |" in readme
    assert '| `delivery.outbox_dir` | `"outbox"` |' in readme
