"""Digests end to end on the ingested sample: build_editions, deliver, the web archive page and the CLI."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import FIXED_NOW
from sqlalchemy import select

from publisher import pipeline
from publisher.cli import cli
from publisher.config import Config
from publisher.errors import DigestError, NotFoundError
from publisher.models import Release
from publisher.models.mail import Delivery, Edition
from publisher.store import Store


def test_build_editions_picks_the_last_completed_periods(
    cfg: Config, ingested: Store, add_subscribers: Callable[..., list[int]]
) -> None:
    add_subscribers(
        [
            ("monthly@example.org", "monthly", [], []),
            ("weekly@example.org", "weekly", [], []),
            ("capacity@example.org", "monthly", ["capacity-building"], []),
        ]
    )
    summary = pipeline.build_editions(cfg, ingested, now=FIXED_NOW)
    assert [(r.frequency, r.period, r.created) for r in summary.results] == [
        ("weekly", "2025-W13", True),
        ("monthly", "2025-03", True),
    ]
    with ingested.session() as s:
        march = [
            r.id
            for r in s.scalars(
                select(Release).where(Release.published.between(dt.date(2025, 3, 1), dt.date(2025, 3, 31)))
            )
        ]
        week13 = [
            r.id
            for r in s.scalars(
                select(Release).where(Release.published.between(dt.date(2025, 3, 24), dt.date(2025, 3, 30)))
            )
        ]
        rows = {d.subscriber.email: d for d in s.scalars(select(Delivery))}
        _ = [d.subscriber for d in rows.values()]
    assert sorted(rows["monthly@example.org"].release_ids) == sorted(march) and march
    assert sorted(rows["weekly@example.org"].release_ids) == sorted(week13) and week13
    assert 0 < len(rows["capacity@example.org"].release_ids) < len(march)
    assert "monthly 2025-03: edition" in summary.describe()
    again = pipeline.build_editions(cfg, ingested, now=FIXED_NOW + dt.timedelta(hours=1))
    assert again.created == 0 and again.deliveries == 0


def test_archive_page_shows_a_variant_without_personal_links(
    cfg: Config, ingested: Store, add_subscribers: Callable[..., list[int]]
) -> None:
    add_subscribers([("a@example.org", "monthly", [], [], "active", "Ana")])
    summary = pipeline.build_editions(cfg, ingested, period="2025-03", now=FIXED_NOW)
    edition_id = summary.results[0].edition_id
    with ingested.session() as s:
        row = s.scalars(select(Delivery)).one()
        titles = [r.title for r in s.scalars(select(Release).where(Release.id.in_(row.release_ids)))]
    page = pipeline.digest_archive_page(cfg, edition_id, row.variant, ingested)
    assert all(t.replace("&", "&amp;").replace('"', "&#34;")[:40] in page or t[:40] in page for t in titles)
    assert 'href="https://news.example.org/subscribe"' in page
    assert "unsubscribe" not in page.lower() and "__pub_" not in page and "Ana" not in page
    with pytest.raises(NotFoundError):
        pipeline.digest_archive_page(cfg, edition_id, "0" * 16, ingested)
    with pytest.raises(NotFoundError):
        pipeline.digest_archive_page(cfg, edition_id + 99, row.variant, ingested)


def test_preview_records_nothing(cfg: Config, ingested: Store, add_subscribers: Callable[..., list[int]]) -> None:
    add_subscribers([("capacity@example.org", "monthly", ["capacity-building"], [])])
    everything = pipeline.preview_digest(cfg, "2025-03", store=ingested)
    mine = pipeline.preview_digest(cfg, "2025-03", subscriber="Capacity@Example.org", store=ingested)
    assert 0 < mine.count < everything.count
    assert "Capacity building" in mine.html
    with ingested.session() as s:
        assert s.scalars(select(Edition)).first() is None and s.scalars(select(Delivery)).first() is None
    with pytest.raises(NotFoundError):
        pipeline.preview_digest(cfg, "2025-03", subscriber="nobody@example.org", store=ingested)
    with pytest.raises(DigestError, match="monthly period"):
        pipeline.preview_digest(cfg, "2025-03", frequency="weekly", store=ingested)


def _config_file(tmp_path: Path, db_url: str, sample_dir: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        "\n".join(
            [
                "[site]",
                'base_url = "https://news.example.org/"',
                'timezone = "Europe/Vienna"',
                "[store]",
                f'url = "{db_url}"',
                "[[sources]]",
                'name = "projects"',
                'kind = "project-pages"',
                f'path = "{sample_dir / "projects.txt"}"',
                "[[sources]]",
                'name = "releases"',
                'kind = "release-text"',
                f'path = "{sample_dir / "releases.txt"}"',
                "[delivery]",
                'transport = "outbox"',
                'outbox_dir = "outbox"',
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    return path


def test_cli_preview_build_send_list(
    cfg: Config,
    ingested: Store,
    db_url: str,
    sample_dir: Path,
    tmp_path: Path,
    add_subscribers: Callable[..., list[int]],
) -> None:
    add_subscribers([("a@example.org", "monthly", [], []), ("b@example.org", "monthly", ["research-data"], [])])
    config = _config_file(tmp_path, db_url, sample_dir)
    runner = CliRunner()

    def run(*args: str) -> Any:
        result = runner.invoke(cli, ["-c", str(config), "digest", *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result

    out = tmp_path / "preview.html"
    preview = run("preview", "--period", "2025-03", "--output", str(out))
    assert "<html" in out.read_text(encoding="utf-8") and "HTML written to" in preview.output
    assert "Nothing" not in run("preview", "--period", "2025-03", "--text").output
    built = run("build", "--period", "2025-03")
    assert "monthly 2025-03: edition" in built.output and "deliveries queued" in built.output
    assert "already built" in run("build", "--period", "2025-03").output
    sent = run("send")
    assert sent.output.startswith("2 sent,") or sent.output.startswith("1 sent,")
    eml = sorted((tmp_path / "outbox").glob("*.eml"))
    assert eml and all(
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)["List-Unsubscribe"] for p in eml
    )
    listing = run("list").output
    assert "monthly" in listing and "2025-03" in listing and "sent" in listing


def test_cli_reports_bad_period_as_an_error(cfg: Config, db_url: str, sample_dir: Path, tmp_path: Path) -> None:
    from publisher.cli import main

    config = _config_file(tmp_path, db_url, sample_dir)
    with pytest.raises(SystemExit) as exc:
        main(["-c", str(config), "digest", "build", "--period", "2025-13"])
    assert exc.value.code == 1
