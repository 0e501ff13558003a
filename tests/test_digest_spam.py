"""Every sample digest, as delivered, scores at most 0 with Debian's SpamAssassin (local tests only, no network)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from publisher import pipeline
from publisher.config import Config
from publisher.store import Store

BUILD_AT = dt.datetime(2025, 4, 1, 7, 0, tzinfo=dt.UTC)
SEND_AT = dt.datetime(2025, 4, 1, 8, 0, tzinfo=dt.UTC)
SPAMASSASSIN = shutil.which("spamassassin")

pytestmark = pytest.mark.skipif(SPAMASSASSIN is None, reason="spamassassin not installed (scripts/test.sh installs it)")


def spam_reports(messages: list[bytes], home: Path) -> list[tuple[float, list[str]]]:
    """(score, names of the rules that hit) per message: `spamassassin -L -t --mbox`, local tests only, one
    process for all of them (starting SpamAssassin costs seconds)."""
    assert SPAMASSASSIN is not None
    # mboxrd: a body line starting with "From " (after any ">") gets one more ">"; nothing else changes.
    mbox = b"".join(
        b"From digest@example.org Tue Apr  1 08:00:00 2025\n"
        + re.sub(rb"(?m)^(>*From )", rb">\1", m.replace(b"\r\n", b"\n")).rstrip(b"\n")
        + b"\n\n"
        for m in messages
    )
    done = subprocess.run(
        [SPAMASSASSIN, "-L", "-t", "--mbox"],
        input=mbox,
        capture_output=True,
        timeout=600,
        check=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"},
    )
    out = done.stdout.decode("utf-8", "replace")
    found = re.findall(r"^X-Spam-Status: \w+, score=(-?[\d.]+).*?tests=(.*?)\s+autolearn", out, re.M | re.S)
    assert len(found) == len(messages), out[:2000]
    return [(float(score), [r for r in re.split(r"[,\s]+", tests) if r and r != "none"]) for score, tests in found]


@pytest.mark.parametrize("group_by", ["topic", "region"])
def test_every_sample_digest_scores_at_most_zero(
    make_config: Callable[..., Config],
    store: Store,
    digest_world: dict[str, Any],
    add_subscribers: Callable[..., list[int]],
    tmp_path: Path,
    group_by: str,
) -> None:
    cfg = make_config(digest={"group_by": group_by})
    add_subscribers(
        [
            ("everything@example.org", "monthly", [], [], "active", "Ana Novak"),
            ("noname@example.org", "monthly", [], []),
            ("borders@example.org", "monthly", ["border-management"], [], "active", "Zoë"),
            ("asia@example.org", "monthly", ["labour-migration", "return-reintegration"], ["central-asia"]),
            ("europe@example.org", "monthly", [], ["europe", "western-balkans"], "active", "Jo"),
        ]
    )
    pipeline.build_editions(cfg, store, frequency="monthly", period="2025-03", now=BUILD_AT)
    summary = pipeline.deliver(cfg, store, now=SEND_AT)
    assert summary.sent == 5
    mails = sorted(cfg.delivery.outbox_dir.glob("*.eml"))
    assert len(mails) == 5
    home = tmp_path / "sa-home"
    home.mkdir()
    reports = spam_reports([p.read_bytes() for p in mails], home)
    for path, (score, rules) in zip(mails, reports, strict=True):
        assert "HTML_FONT_LOW_CONTRAST" not in rules, (path.name, rules)
        assert score <= 0, f"{path.name}: score {score} from {rules}"


def test_the_check_can_fail(tmp_path: Path) -> None:
    """The old preheader (text in the background colour) is what SpamAssassin flags: the test above can fail."""
    html = (
        '<html><body style="background-color:#f2f4f7" bgcolor="#f2f4f7">'
        '<div style="display:none; font-size:1px; color:#f2f4f7; line-height:1px">A hidden preheader text</div>'
        "<p>Visible text of a newsletter with enough words to be a body.</p></body></html>"
    )
    message = (
        "From: news@example.org\r\nTo: a@example.org\r\nSubject: Test\r\nDate: Tue, 01 Apr 2025 08:00:00 +0000\r\n"
        "Message-ID: <t1@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        f"{html}\r\n"
    ).encode()
    home = tmp_path / "sa-home"
    home.mkdir()
    ((_score, rules),) = spam_reports([message], home)
    assert "HTML_FONT_LOW_CONTRAST" in rules
