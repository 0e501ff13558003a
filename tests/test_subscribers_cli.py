"""The `subscribers` and `serve` commands, run the way an operator runs them."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import outbox_mails

from publisher import subscribers as subs
from publisher.cli import cli, main
from publisher.config import Config
from publisher.models import Frequency, SubscriberStatus
from publisher.store import Store


@pytest.fixture
def run(config_file: Callable[..., Path]) -> Callable[..., tuple[int, str, str]]:
    path = config_file()

    def invoke(*args: str) -> tuple[int, str, str]:
        # main() is what the console script runs: PublisherError → "Name: message", exit 1.
        runner = CliRunner()
        result = runner.invoke(cli, ["--config", str(path), *args], standalone_mode=False, catch_exceptions=True)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            from publisher.errors import PublisherError

            if isinstance(result.exception, PublisherError):
                return 1, result.stdout, f"{type(result.exception).__name__}: {result.exception}"
            raise result.exception
        return result.exit_code or 0, result.stdout, result.stderr

    return invoke


def test_add_list_remove(run: Callable[..., tuple[int, str, str]], store: Store) -> None:
    code, out, _ = run(
        "subscribers", "add", "Ada@Example.org", "--name", "Ada", "--topic", "research-data", "--frequency", "monthly"
    )
    assert code == 0 and out.strip() == "ada@example.org: added (active, monthly)"
    # A second add changes only what it names; the frequency stays monthly.
    code, out, _ = run("subscribers", "add", "ada@example.org", "--region", "west-africa")
    assert out.strip() == "ada@example.org: updated (active, monthly)"
    run("subscribers", "add", "bob@example.org")

    code, out, err = run("subscribers", "list")
    assert code == 0 and "2 subscribers" in err
    assert re.search(r"^ada@example.org \(Ada\)  active  monthly  \[research-data, west-africa\]$", out, re.M)
    code, out, _ = run("subscribers", "list", "--json", "--status", "active")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["email"] for r in rows] == ["ada@example.org", "bob@example.org"]
    assert rows[0]["topics"] == ["research-data"] and rows[0]["regions"] == ["west-africa"]

    code, out, _ = run("subscribers", "remove", "ADA@example.org")
    assert out.strip() == "ada@example.org: unsubscribed"
    code, out, _ = run("subscribers", "remove", "ada@example.org")
    assert out.strip() == "ada@example.org: already unsubscribed"
    code, out, _ = run("subscribers", "list", "--status", "unsubscribed", "--json")
    assert [json.loads(line)["email"] for line in out.splitlines()] == ["ada@example.org"]
    code, _, err = run("subscribers", "add", "ada@example.org")
    assert code == 1 and "--resubscribe" in err

    code, out, _ = run("subscribers", "remove", "ada@example.org", "--purge")
    assert out.strip() == "ada@example.org: purged"
    code, _, err = run("subscribers", "remove", "ada@example.org")
    assert code == 1 and err == "NotFoundError: no subscriber 'ada@example.org'"


def test_add_rejects_bad_input_with_a_clear_message(run: Callable[..., tuple[int, str, str]]) -> None:
    code, _, err = run("subscribers", "add", "nobody", "--topic", "astrology")
    assert code == 1 and err.startswith("InvalidSubscriberError: ")
    assert "'nobody' is not a valid e-mail address" in err and "unknown topic 'astrology'" in err


def test_add_pending_sends_a_confirmation(run: Callable[..., tuple[int, str, str]], cfg: Config, store: Store) -> None:
    code, out, err = run("subscribers", "add", "pat@example.org", "--pending")
    assert code == 0 and "(pending, weekly)" in out and "confirmation mail sent" in err
    (mail,) = outbox_mails(cfg)
    assert mail["To"].addresses[0].addr_spec == "pat@example.org"
    assert cfg.site.url("confirm/") in mail.get_content()


def test_import_cli(run: Callable[..., tuple[int, str, str]], tmp_path: Path, store: Store) -> None:
    good = tmp_path / "good.csv"
    good.write_text(
        "email,name,topics,regions,frequency\n"
        "a@example.org,A,border-management;research-data,west-africa,monthly\n"
        "b@example.org,B,,,\n",
        encoding="utf-8",
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("email,frequency\nc@example.org,weekly\nd@example.org,hourly\n", encoding="utf-8")

    code, _, err = run("subscribers", "import", str(bad))
    assert code == 1 and f"{bad}:3: unknown frequency 'hourly'" in err and "nothing imported" in err
    code, out, err = run("subscribers", "import", str(bad), "--skip-invalid")
    assert code == 0 and "1 added" in out and f"skipped {bad}:3: " in err
    code, out, _ = run("subscribers", "import", str(good), "--dry-run")
    assert out.strip().startswith("dry run: would have 2 added")
    code, out, _ = run("subscribers", "import", str(good))
    assert out.strip() == "2 added, 0 updated, 0 unchanged, 0 left inactive, 0 skipped"
    code, out, _ = run("subscribers", "import", str(good))
    assert out.strip() == "0 added, 0 updated, 2 unchanged, 0 left inactive, 0 skipped"
    with store.session() as s:
        rows = {r.email: r for r in subs.list_subscribers(s)}
    assert set(rows) == {"a@example.org", "b@example.org", "c@example.org"}
    assert rows["a@example.org"].frequency is Frequency.MONTHLY
    assert rows["a@example.org"].status is SubscriberStatus.ACTIVE


def test_main_prints_error_name_and_exits_1(
    config_file: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = config_file()
    with pytest.raises(SystemExit) as info:
        main(["--config", str(path), "subscribers", "remove", "ghost@example.org"])
    assert info.value.code == 1
    assert capsys.readouterr().err.strip() == "NotFoundError: no subscriber 'ghost@example.org'"


def test_serve_answers_and_stops_on_sigterm(config_file: Callable[..., Path]) -> None:
    path = config_file()
    proc = subprocess.Popen(
        [sys.executable, "-m", "publisher", "--config", str(path), "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        url = None
        for line in proc.stderr:
            m = re.search(r"on (http://127\.0\.0\.1:\d+/)", line)
            if m:
                url = m.group(1)
                break
        assert url, "serve printed no URL"
        with urllib.request.urlopen(url + "subscribe", timeout=10) as resp:
            assert resp.status == 200 and b"Subscribe" in resp.read()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
