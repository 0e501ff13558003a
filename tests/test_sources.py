"""Source kinds: parsing, line-numbered errors, --skip-invalid, and bounded fetching over HTTP."""

from __future__ import annotations

import datetime as dt
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import publisher.sources  # noqa: F401
from publisher.config import Config, SourceConfig
from publisher.errors import ConfigError, FetchError, SourceError
from publisher.sources.base import ProjectRecord, ReleaseRecord, Skipped, make_source
from publisher.sources.release_text import parse_date
from publisher.sources.structured import html_to_text


def _src(kind: str, path: Path | None = None, url: str | None = None, **kw: object) -> SourceConfig:
    return SourceConfig(name="s", kind=kind, path=path, url=url, **kw)  # type: ignore[arg-type]


def _read(kind: str, path: Path, skip: bool = False) -> tuple[list, list[Skipped]]:
    skipped: list[Skipped] = []
    recs = list(make_source(_src(kind, path), Config()).read(skipped.append if skip else None))
    return recs, skipped


def test_seed_releases_parse(sample_dir: Path) -> None:
    recs, _ = _read("release-text", sample_dir / "releases.txt")
    assert len(recs) == 25
    assert all(isinstance(r, ReleaseRecord) and r.body for r in recs)
    assert recs[0].published == dt.date(2024, 12, 6) and recs[0].line == 1
    assert recs[-1].published == dt.date(2021, 12, 10) and recs[-1].line == 49


def test_multi_paragraph_bodies(tmp_path: Path) -> None:
    f = tmp_path / "r.txt"
    f.write_text(
        "Released 01 March 2025\nFirst para line one\nline two.\n\nSecond para.\n\nReleased 2 March 2025\nX.\n"
    )
    recs, _ = _read("release-text", f)
    assert recs[0].body == "First para line one line two.\n\nSecond para."
    assert recs[1].published == dt.date(2025, 3, 2) and recs[1].line == 7


@pytest.mark.parametrize(
    ("content", "line", "reason"),
    [
        ("Released 31 February 2025\nBody.\n", 1, "impossible date '31 February 2025'"),
        ("Released 01 March 2025\nok\nReleased\nBody.\n", 3, "missing date"),
        ("Released 01 March 2025\nok\n\nReleased 02 March 2025\n\n", 4, "empty body"),
        ("Released someday\nBody\n", 1, "unreadable date 'someday'"),
        ("Preamble text\nReleased 01 March 2025\nBody\n", 1, "before the first 'Released"),
    ],
)
def test_release_text_errors_name_file_and_line(tmp_path: Path, content: str, line: int, reason: str) -> None:
    f = tmp_path / "bad.txt"
    f.write_text(content)
    with pytest.raises(SourceError) as info:
        _read("release-text", f)
    assert str(info.value).startswith(f"{f}:{line}: ")
    assert reason in str(info.value)


def test_non_utf8_line_is_reported(tmp_path: Path) -> None:
    f = tmp_path / "latin1.txt"
    f.write_bytes(b"Released 01 March 2025\nGood.\nReleased 02 March 2025\nCaf\xe9 opening.\n")
    with pytest.raises(SourceError, match=r"latin1\.txt:4: not valid UTF-8"):
        _read("release-text", f)


def test_skip_invalid_keeps_the_rest(tmp_path: Path) -> None:
    f = tmp_path / "mixed.txt"
    f.write_bytes(
        b"Released 01 March 2025\nGood one.\n"
        b"Released 31 February 2025\nBad date.\n"
        b"Released 03 March 2025\nCaf\xe9.\n"
        b"Released 04 March 2025\nGood two.\n"
    )
    recs, skipped = _read("release-text", f, skip=True)
    assert [r.body for r in recs] == ["Good one.", "Good two."]
    assert [s.where for s in skipped] == [f"{f}:3", f"{f}:6"]


def test_parse_date_variants() -> None:
    assert parse_date("06 December 2024") == dt.date(2024, 12, 6)
    assert parse_date("6 Dec 2024") == dt.date(2024, 12, 6)
    assert parse_date("December 6, 2024") == dt.date(2024, 12, 6)
    with pytest.raises(ValueError, match="impossible"):
        parse_date("30 February 2024")


def test_unknown_kind_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"sources\[2\]\.kind: unknown source kind 'rss2'"):
        make_source(_src("rss2", Path("x")), Config(), 2)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot read"):
        _read("release-text", tmp_path / "nope.txt")


# ---------------------------------------------------------------- jsonl


def test_jsonl(tmp_path: Path) -> None:
    f = tmp_path / "r.jsonl"
    f.write_text(
        '{"date": "2025-03-01", "body": "Hello world.", "id": "a1", "url": "https://x/a1"}\n'
        "\n"
        '{"date": "2025-03-02", "title": "T", "body": "B"}\n'
    )
    recs, _ = _read("jsonl", f)
    assert [r.external_id for r in recs] == ["a1", ""]
    assert recs[1].title == "T" and recs[1].line == 3


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"date": "2025-02-31", "body": "x"}', "impossible date '2025-02-31'"),
        ('{"body": "x"}', "missing date"),
        ('{"date": "2025-02-01", "body": "  "}', "empty body"),
        ('{"date": "2025-02-01", "body": "x", "title": 3}', "title: expected a string"),
        ("[1, 2]", "expected a JSON object"),
        ("{nope", "invalid JSON"),
    ],
)
def test_jsonl_errors(tmp_path: Path, line: str, reason: str) -> None:
    f = tmp_path / "r.jsonl"
    f.write_text('{"date": "2025-03-01", "body": "ok"}\n' + line + "\n")
    with pytest.raises(SourceError, match=rf"r\.jsonl:2: .*{reason}"):
        _read("jsonl", f)


# ---------------------------------------------------------------- projects file


def test_projects_toml(tmp_path: Path) -> None:
    f = tmp_path / "p.toml"
    f.write_text(
        '[[projects]]\nname = "Border Management in Central Asia"\nacronym = "BOMCA"\n'
        'start = "2023-01-01"\nend = "2026-12-31"\ncountries = ["Uzbekistan", "KZ", "Kyrgyz Republic"]\n'
        'donors = "European Union"\n'
    )
    (rec,) = _read("projects-file", f)[0]
    assert isinstance(rec, ProjectRecord)
    assert rec.countries == ("UZ", "KZ", "KG") and rec.donors == ("European Union",)
    assert rec.start_date == dt.date(2023, 1, 1)


def test_projects_json_errors_name_the_item(tmp_path: Path) -> None:
    f = tmp_path / "p.json"
    f.write_text('{"projects": [{"name": "A"}, {"name": "B", "countries": ["Atlantis"]}]}')
    with pytest.raises(SourceError, match=r"p\.json: projects\[1\]\.countries: unknown country 'Atlantis'"):
        _read("projects-file", f)
    f.write_text('[{"name": "A", "start": "2020-05-01", "end": "2019-01-01"}]')
    with pytest.raises(SourceError, match=r"projects\[0\]\.end: ends"):
        _read("projects-file", f)
    f.write_text('[{"name": "A",}]')
    with pytest.raises(SourceError, match=r"p\.json:1: invalid JSON"):
        _read("projects-file", f)


# ---------------------------------------------------------------- feeds

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Other org</title><id>urn:x</id><updated>2025-03-02T00:00:00Z</updated>
  <entry><id>urn:x:1</id><title>First &amp; best</title><link href="https://other.example/1"/>
    <published>2025-03-01T10:00:00Z</published><updated>2025-03-01T10:00:00Z</updated>
    <content type="html">&lt;p&gt;Para one &amp;amp; more.&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;p&gt;Para two.&lt;/p&gt;</content>
  </entry>
  <entry><id>urn:x:2</id><title>No date</title><content>x</content></entry>
</feed>
"""


def test_feed_source_from_file(tmp_path: Path) -> None:
    f = tmp_path / "other.atom"
    f.write_text(ATOM)
    recs, skipped = _read("feed", f, skip=True)
    assert len(recs) == 1
    r = recs[0]
    assert r.external_id == "urn:x:1" and r.title == "First & best" and r.url == "https://other.example/1"
    assert r.body == "Para one & more.\n\nPara two."
    assert r.published == dt.date(2025, 3, 1)
    assert skipped[0].reason == "no published or updated date"


def test_html_to_text_drops_scripts() -> None:
    assert html_to_text("<p>a &lt;b&gt;</p><script>x()</script><style>p{}</style>") == "a <b>"


class _Handler(http.server.BaseHTTPRequestHandler):
    body = ATOM.encode()

    def do_GET(self) -> None:
        if self.path == "/big":
            self.send_response(200)
            self.send_header("Content-Length", str(10_000_000))
            self.end_headers()
            return
        if self.path == "/missing":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/atom+xml")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_base() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    t.join()


def test_feed_source_over_http(http_base: str) -> None:
    src = make_source(_src("feed", url=f"{http_base}/feed.atom"), Config())
    recs = list(src.read(lambda s: None))
    assert [r.external_id for r in recs] == ["urn:x:1"]


def test_fetch_refuses_oversized_and_reports_http_errors(http_base: str) -> None:
    big = make_source(_src("feed", url=f"{http_base}/big", max_bytes=1000), Config())
    with pytest.raises(FetchError, match="over max_bytes=1000"):
        list(big.read())
    missing = make_source(_src("feed", url=f"{http_base}/missing"), Config())
    with pytest.raises(FetchError, match="HTTP 404"):
        list(missing.read())


def test_not_a_feed(tmp_path: Path) -> None:
    f = tmp_path / "x.atom"
    f.write_text("this is not xml at all <<<")
    with pytest.raises(SourceError, match="not a readable feed"):
        _read("feed", f)


def test_overlong_urls_are_invalid_records(tmp_path: Path) -> None:
    long_url = "https://example.org/" + "a" * 1000
    f = tmp_path / "r.jsonl"
    f.write_text(
        f'{{"date": "2025-03-01", "body": "ok"}}\n{{"date": "2025-03-02", "body": "b", "url": "{long_url}"}}\n'
    )
    with pytest.raises(SourceError, match=r"r\.jsonl:2: url: longer than 1000 characters"):
        _read("jsonl", f)
    recs, skipped = _read("jsonl", f, skip=True)
    assert len(recs) == 1 and skipped[0].where == f"{f}:2"
    p = tmp_path / "p.json"
    p.write_text(f'[{{"name": "A", "url": "{long_url}"}}]')
    with pytest.raises(SourceError, match=r"projects\[0\]\.url: longer than 1000"):
        _read("projects-file", p)


# ---------------------------------------------------------------- link policy at the source boundary

UNSAFE_LINKS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html;base64,PHNjcmlwdD4=",
    "vbscript:msgbox(1)",
    "/news/relative",
    "//other.example/no-scheme",
    "https://",
    "https://user:pass@other.example/",
    "https://other.example/a b",
    "https://other.example:99999/",
]


@pytest.mark.parametrize("link", UNSAFE_LINKS)
def test_jsonl_drops_links_that_are_not_absolute_http_and_says_where(
    tmp_path: Path, link: str, caplog: pytest.LogCaptureFixture
) -> None:
    import json

    f = tmp_path / "r.jsonl"
    f.write_text(
        json.dumps({"date": "2025-03-01", "body": "ok"})
        + "\n"
        + json.dumps({"date": "2025-03-02", "body": "kept", "url": link})
        + "\n"
    )
    with caplog.at_level("WARNING", logger="publisher.sources"):
        recs, skipped = _read("jsonl", f)
    assert [r.body for r in recs] == ["ok", "kept"] and not skipped
    assert recs[1].url == ""
    assert any(f"{f}:2: url dropped" in m for m in caplog.messages), caplog.messages


def test_safe_links_are_kept_as_written(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    f = tmp_path / "r.jsonl"
    f.write_text('{"date": "2025-03-02", "body": "b", "url": "HTTPS://Other.example/news?id=1&x=%20#top"}\n')
    with caplog.at_level("WARNING", logger="publisher.sources"):
        recs, _ = _read("jsonl", f)
    assert recs[0].url == "HTTPS://Other.example/news?id=1&x=%20#top"
    assert not caplog.messages


def test_feed_and_project_file_links_follow_the_same_policy(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    feed = tmp_path / "other.atom"
    feed.write_text(ATOM.replace("https://other.example/1", "javascript:alert(1)"))
    projects = tmp_path / "p.json"
    projects.write_text('[{"name": "A", "url": "data:text/html,x"}, {"name": "B", "url": "https://b.example/"}]')
    with caplog.at_level("WARNING", logger="publisher.sources"):
        recs, _ = _read("feed", feed, skip=True)
        projs, _ = _read("projects-file", projects)
    assert recs[0].url == ""
    assert [p.url for p in projs] == ["", "https://b.example/"]
    assert any("other.atom: entry 1: link dropped" in m for m in caplog.messages), caplog.messages
    assert any("p.json: projects[0].url dropped" in m for m in caplog.messages), caplog.messages
