"""Shared fixtures: a fresh store per test (SQLite, or PostgreSQL when PUBLISHER_TEST_DATABASE_URL is set),
a config bound to temporary folders, and the bundled sample data."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
import tomllib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from publisher.config import DATABASE_URL_ENV, Config, config_from_dict
from publisher.store import Store, normalise_url

# Fixture plugins (owner: infra): real Postfix/Dovecot (tests/services.py), axe-core in Chromium (tests/browser.py).
pytest_plugins = ("services",)

FIXTURES = Path(__file__).parent / "fixtures"
PG_ENV = "PUBLISHER_TEST_DATABASE_URL"
BASE_URL = "https://news.example.org/"
FIXED_NOW = dt.datetime(2025, 4, 1, 8, 0, tzinfo=dt.UTC)


def pytest_report_header(config: Any) -> str:
    return f"store backend: {'postgresql' if os.environ.get(PG_ENV) else 'sqlite'}"


def drop_database(admin: Any, name: str) -> None:
    """Drop a test database and dispose the admin engine, even when PostgreSQL is busy with it.

    WITH (FORCE) ends our own sessions, but not an autovacuum worker (a superuser process), which a loaded
    machine may have started on the database: then wait a moment and try again.
    """
    from sqlalchemy.exc import DBAPIError

    try:
        for attempt in range(40):
            try:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                return
            except DBAPIError:
                if attempt == 39:
                    raise
                time.sleep(0.25)
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated empty database that each test copies (much faster than migrating per test)."""
    base = os.environ.get(PG_ENV)
    if not base:
        path = tmp_path_factory.mktemp("template") / "template.db"
        store = Store(f"sqlite:///{path}")
        store.migrate()
        store.dispose()
        yield str(path)
        return
    admin = create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    name = f"tmpl_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalise_url(base)).set(database=name).render_as_string(hide_password=False)
    store = Store(url)
    store.migrate()
    store.dispose()
    yield name
    drop_database(admin, name)


@pytest.fixture
def db_url(tmp_path: Path, template_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """URL of a fresh, migrated database for this test only."""
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    base = os.environ.get(PG_ENV)
    if not base:
        path = tmp_path / "store" / "publisher.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(template_db, path)
        yield f"sqlite:///{path}"
        return
    admin = create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    name = f"t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"'))
    yield make_url(normalise_url(base)).set(database=name).render_as_string(hide_password=False)
    drop_database(admin, name)


@pytest.fixture
def empty_db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """URL of a fresh database with no schema at all (for migration tests)."""
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    base = os.environ.get(PG_ENV)
    if not base:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    admin = create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    name = f"e_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(normalise_url(base)).set(database=name).render_as_string(hide_password=False)
    drop_database(admin, name)


@pytest.fixture
def sample_dir(tmp_path: Path) -> Path:
    """Copies of the bundled seed documents in a temporary folder (tests may edit them)."""
    d = tmp_path / "data"
    d.mkdir()
    for name in ("releases.txt", "projects.txt"):
        shutil.copy(FIXTURES / name, d / name)
    return d


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run `publisher ARGV` in-process the way the console script does; (exit code, stdout, stderr)."""
    from publisher.cli import main

    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def wait_for(cond: Callable[[], object], timeout: float = 60.0, what: str = "condition") -> None:
    """Poll `cond` until true. The timeout is generous on purpose: polling costs nothing when things are quick,
    and a loaded machine (two cores, subprocesses starting Python) must not turn into a flaky failure."""
    import time

    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def base_config_data(db_url: str, sample_dir: Path) -> dict[str, Any]:
    """The test config as TOML data: this test's store, the sample sources, feeds and outbox in tmp_path."""
    return {
        "site": {"base_url": BASE_URL, "tag_authority": "news.example.org", "timezone": "Europe/Vienna"},
        "store": {"url": db_url},
        "sources": [
            {"name": "projects", "kind": "project-pages", "path": str(sample_dir / "projects.txt")},
            {"name": "releases", "kind": "release-text", "path": str(sample_dir / "releases.txt")},
        ],
        "feeds": {"dir": "feeds", "formats": ["atom", "rss"]},  # JSON Feed has tests of its own
        "delivery": {"transport": "outbox", "outbox_dir": "outbox"},
    }


@pytest.fixture
def make_config(tmp_path: Path, db_url: str, sample_dir: Path) -> Callable[..., Config]:
    """Build a Config rooted in tmp_path; keyword arguments replace whole sections, e.g. feeds={...}."""

    def make(**sections: Any) -> Config:
        data = {**base_config_data(db_url, sample_dir), **sections}
        return config_from_dict(data, root=tmp_path)

    return make


@pytest.fixture
def cfg(make_config: Callable[..., Config]) -> Config:
    return make_config()


@pytest.fixture
def store(cfg: Config) -> Iterator[Store]:
    s = Store(cfg.database_url)
    yield s
    s.dispose()


@pytest.fixture
def ingested(cfg: Config, store: Store) -> Store:
    """The store after ingesting the bundled sample (projects, then releases) at a fixed time."""
    from publisher import pipeline
    from publisher.ingest import ingest_source

    for source in pipeline.configured_sources(cfg):
        ingest_source(store, cfg, source, now=FIXED_NOW)
    return store


# ---- feeds (owner: feeds) ------------------------------------------------------------------------

FEEDS_T0 = dt.datetime(2025, 3, 1, 9, 30, tzinfo=dt.UTC)
TRICKY_TITLE = "Fish & Chips <script>alert(\"x\")</script> – “Zürich” 'quoted'"


def insert_feed_sample(store: Store) -> None:
    """A small fixed store for feed tests: 3 topics, 2 regions, 3 countries, 3 projects, 5 releases.

    Fixed ids, dates and times so the output is byte-for-byte reproducible (golden files).
    """
    from publisher.models import (
        Country,
        Project,
        Region,
        Release,
        ReleaseCountry,
        ReleaseProject,
        ReleaseRegion,
        ReleaseTopic,
        Topic,
    )

    def rel(i: int, day: dt.date, title: str, body: str, **kw: Any) -> Release:
        slug = kw.pop("slug", f"release-{i}")
        return Release(
            id=i,
            key=f"k{i}",
            guid=f"tag:news.example.org,{day.isoformat()}:news/{slug}",
            slug=slug,
            source="test",
            published=day,
            title=title,
            summary=kw.pop("summary", body.split("\n\n")[0]),
            body=body,
            url=kw.pop("url", ""),  # no link of its own: outputs link its page under the base_url of the build
            content_hash=f"h{i}",
            created_at=FEEDS_T0,
            updated_at=kw.pop("updated_at", FEEDS_T0),
            **kw,
        )

    with store.session() as s:
        s.add_all(
            [
                Topic(slug="border-management", name="Border Management"),
                Topic(slug="labour-migration", name="Labour Migration"),
                Topic(slug="trafficking", name="Trafficking & Smuggling"),
                Region(slug="north-africa", name="North Africa", countries=["TN"]),
                Region(slug="western-balkans", name="Western Balkans", countries=["AL"]),
                Country(code="TN", name="Tunisia"),
                Country(code="AL", name="Albania"),
                Country(code="AT", name="Austria"),
                Project(
                    id=1,
                    slug="bmp-tunisia",
                    source="test",
                    name="Border Management Programme Tunisia",
                    acronym="BMP-T",
                    url="https://www.example.org/projects/bmp-t",
                    content_hash="p1",
                    start_date=dt.date(2019, 1, 1),
                    end_date=dt.date(2026, 12, 31),
                    created_at=FEEDS_T0,
                    updated_at=FEEDS_T0,
                ),
                Project(
                    id=2,
                    slug="labour-lab",
                    source="test",
                    name="Labour <Lab> & Co",
                    acronym="",
                    url="javascript:alert(1)",
                    content_hash="p2",
                    created_at=FEEDS_T0,
                    updated_at=FEEDS_T0,
                ),
                Project(
                    id=3,
                    slug="quiet-project",
                    source="test",
                    name="Quiet Project",
                    content_hash="p3",
                    created_at=FEEDS_T0,
                    updated_at=dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC),
                ),
            ]
        )
        s.flush()
        s.add_all(
            [
                rel(
                    1,
                    dt.date(2025, 1, 10),
                    "Border conference in Tunis",
                    "ICMPD and Tunisia hosted a border management conference.\n\nSecond paragraph here.",
                ),
                rel(
                    2,
                    dt.date(2025, 2, 3),
                    TRICKY_TITLE,
                    'Body with <b>bold</b> & <script>alert("body")</script> “quotes”.\n\nZweiter Absatz: Grüße aus Wien.',
                    summary="Summary with <img src=x onerror=alert(1)> & ampersand",
                    url="javascript:alert('url')",
                ),
                rel(
                    3,
                    dt.date(2025, 2, 3),
                    "Labour migration study in Albania",
                    "A study on labour migration from Albania.",
                    updated_at=dt.datetime(2025, 3, 5, 10, 0, tzinfo=dt.UTC),
                ),
                rel(
                    4,
                    dt.date(2024, 12, 1),
                    "Trafficking training",
                    "Training on trafficking in human beings.",
                    url="https://www.example.org/original/4",
                ),
                rel(5, dt.date(2024, 11, 20), "General news", "Nothing tagged here."),
            ]
        )
        s.flush()
        s.add_all(
            [
                ReleaseTopic(release_id=1, topic="border-management", score=1.0, reasons=["border"]),
                ReleaseTopic(release_id=2, topic="border-management", score=1.0, reasons=[]),
                ReleaseTopic(release_id=2, topic="trafficking", score=1.0, reasons=[]),
                ReleaseTopic(release_id=3, topic="labour-migration", score=1.0, reasons=[]),
                ReleaseTopic(release_id=4, topic="trafficking", score=1.0, reasons=[]),
                ReleaseRegion(release_id=1, region="north-africa", score=1.0, reasons=[]),
                ReleaseRegion(release_id=3, region="western-balkans", score=1.0, reasons=[]),
                ReleaseCountry(release_id=1, country="TN", score=1.0, reasons=[]),
                ReleaseCountry(release_id=2, country="AT", score=1.0, reasons=[]),
                ReleaseCountry(release_id=3, country="AL", score=1.0, reasons=[]),
                ReleaseProject(release_id=1, project_id=1, score=0.9, reasons=["Names BMP-T"]),
                ReleaseProject(release_id=2, project_id=1, score=0.55, reasons=["<i>topic</i> & country"]),
                ReleaseProject(release_id=2, project_id=2, score=0.6, reasons=["labour"]),
                ReleaseProject(release_id=3, project_id=2, score=0.7, reasons=["labour migration"]),
            ]
        )


@pytest.fixture
def feed_store(store: Store) -> Store:
    """`store` holding the fixed feed sample (see insert_feed_sample)."""
    insert_feed_sample(store)
    return store


# ---- digests (owner: digests) ------------------------------------------------------------------
# Rows for digest/delivery tests inserted by hand (independent of ingest), and a real SMTP sink.


@pytest.fixture
def digest_world(store: Store) -> dict[str, Any]:
    """Topics, regions, countries, 2 projects and 8 releases (Feb–Apr 2025) with tags and project links."""
    from publisher.models import (
        Country,
        Project,
        Region,
        Release,
        ReleaseCountry,
        ReleaseProject,
        ReleaseRegion,
        ReleaseTopic,
        Topic,
    )

    created = dt.datetime(2025, 3, 1, 6, 0, tzinfo=dt.UTC)
    specs = [
        # (day, title, topics, regions, countries, project index or None)
        (dt.date(2025, 2, 20), "February border news", ["border-management"], ["western-balkans"], ["RS"], 0),
        (dt.date(2025, 3, 3), "Border training in Serbia", ["border-management"], ["western-balkans"], ["RS"], 0),
        (dt.date(2025, 3, 5), "Labour pathways & <skills>", ["labour-migration"], ["europe"], ["AT"], None),
        (dt.date(2025, 3, 12), "Returns in Central Asia", ["return-reintegration"], ["central-asia"], ["TJ"], 1),
        (dt.date(2025, 3, 19), "Research brief on data", ["research-data"], [], [], None),
        (
            dt.date(2025, 3, 26),
            "Mixed: borders and labour",
            ["border-management", "labour-migration"],
            ["central-asia"],
            ["KG"],
            1,
        ),
        (dt.date(2025, 3, 31), "Untagged organisational news", [], [], [], None),
        (dt.date(2025, 4, 2), "April news", ["border-management"], ["europe"], ["AT"], None),
    ]
    with store.session() as s:
        for slug, name in [
            ("border-management", "Border management"),
            ("labour-migration", "Labour migration"),
            ("return-reintegration", "Return and reintegration"),
            ("research-data", "Research and data"),
        ]:
            s.add(Topic(slug=slug, name=name))
        for slug, name in [
            ("western-balkans", "Western Balkans"),
            ("europe", "Europe"),
            ("central-asia", "Central Asia"),
        ]:
            s.add(Region(slug=slug, name=name, countries=[]))
        for code, name in [("RS", "Serbia"), ("AT", "Austria"), ("TJ", "Tajikistan"), ("KG", "Kyrgyzstan")]:
            s.add(Country(code=code, name=name))
        projects = [
            Project(
                slug="bomca",
                source="t",
                name="Border Management in Central Asia (BOMCA)",
                acronym="BOMCA",
                start_date=dt.date(2019, 1, 1),
                end_date=dt.date(2025, 12, 31),
                countries=["RS"],
                url="https://example.org/projects/bomca",
                content_hash="h",
                created_at=created,
                updated_at=created,
            ),
            Project(
                slug="restart",
                source="t",
                name="Reintegration Support (RESTART)",
                acronym="RESTART",
                start_date=dt.date(2021, 1, 1),
                end_date=None,
                countries=["TJ", "KG"],
                url="",
                content_hash="h",
                created_at=created,
                updated_at=created,
            ),
        ]
        s.add_all(projects)
        s.flush()
        releases = []
        for i, (day, title, topics, regions, countries, proj) in enumerate(specs):
            r = Release(
                key=f"k{i}",
                guid=f"tag:news.example.org,{day}:news/r{i}",
                slug=f"r{i}",
                source="t",
                published=day,
                title=title,
                summary=f"Summary of {title}.",
                body=f"Body of {title}.",
                url=f"https://news.example.org/news/r{i}?ref=digest&x=1",
                content_hash="h",
                created_at=created,
                updated_at=created,
            )
            r.topics = [ReleaseTopic(topic=t, score=1.0, reasons=[]) for t in topics]
            r.regions = [ReleaseRegion(region=x, score=1.0, reasons=[]) for x in regions]
            r.countries = [ReleaseCountry(country=c, score=1.0, reasons=[]) for c in countries]
            if proj is not None:
                r.project_links = [ReleaseProject(project=projects[proj], score=0.8, reasons=["Names the project"])]
            s.add(r)
            releases.append(r)
        s.flush()
        ids = [r.id for r in releases]
    return {"release_ids": ids, "created": created}


@pytest.fixture
def add_subscribers(store: Store) -> Callable[..., list[int]]:
    """add_subscribers([(email, frequency, topics, regions, status?, name?), ...]) -> ids."""
    from publisher.models.mail import Frequency, Subscriber, SubscriberStatus

    def add(specs: list[tuple[Any, ...]]) -> list[int]:
        now = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        with store.session() as s:
            subs = []
            for spec in specs:
                email, freq, topics, regions, *rest = spec
                status = rest[0] if rest else SubscriberStatus.ACTIVE
                name = rest[1] if len(rest) > 1 else ""
                subs.append(
                    Subscriber(
                        email=email,
                        name=name,
                        status=status,
                        frequency=Frequency(freq),
                        topics=list(topics),
                        regions=list(regions),
                        created_at=now,
                        confirmed_at=now,
                        updated_at=now,
                    )
                )
            s.add_all(subs)
            s.flush()
            return [x.id for x in subs]

    return add


def digest_test_links(cfg: Config, subscriber: Any) -> dict[str, str]:
    """Stand-in for publisher.subscribers.subscriber_links (signed tokens are the web work's job)."""
    base = cfg.site.url
    return {
        "manage": base(f"subscription?s={subscriber.id}&t=tok{subscriber.id}"),
        "unsubscribe": base(f"unsubscribe?s={subscriber.id}&t=tok{subscriber.id}"),
        "one_click": base(f"unsubscribe/one-click?s={subscriber.id}&t=tok{subscriber.id}"),
        "feed": base(f"feeds/private/feed{subscriber.id}.atom"),
    }


class SmtpSink:
    """aiosmtpd handler that records every accepted message; `policy(rcpt, attempt)` may refuse with a reply."""

    def __init__(
        self,
        policy: Callable[[str, int], str | None] | None = None,
        delay: float = 0.0,
        hang_up: Callable[[str], bool] | None = None,
        pipelining: bool = False,
    ) -> None:
        import threading

        self.policy = policy
        self.delay = delay
        self.hang_up = hang_up  # take the message, then drop the connection without replying
        self.pipelining = pipelining  # offer PIPELINING (RFC 2920) in the EHLO reply, as Postfix does
        self.messages: list[tuple[str, bytes]] = []
        self.arrivals: list[float] = []  # time.time() of each accepted message
        self.attempts: dict[str, int] = {}
        self.lock = threading.Lock()

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]) -> Any:
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import asyncio
        import time

        if self.delay:
            await asyncio.sleep(self.delay)
        rcpt = envelope.rcpt_tos[0]
        with self.lock:
            self.attempts[rcpt] = self.attempts.get(rcpt, 0) + 1
            reply = self.policy(rcpt, self.attempts[rcpt]) if self.policy else None
            if reply:
                return reply
            self.messages.append((rcpt, envelope.content))
            self.arrivals.append(time.time())
        if self.hang_up and self.hang_up(rcpt):
            server.transport.close()
        return "250 2.0.0 OK"

    def count(self) -> int:
        with self.lock:
            return len(self.messages)


def start_smtp_server(handler: Any, **smtp_kwargs: Any) -> Any:
    """A started aiosmtpd Controller for `handler` on 127.0.0.1 and a free port (its `.port`); stop() it after."""
    from aiosmtpd.controller import Controller

    class FreePortController(Controller):
        def _trigger_server(self) -> None:
            # Port 0 binds a free port; the readiness probe must use the real one.
            self.port = self.server.sockets[0].getsockname()[1]
            super()._trigger_server()

    controller = FreePortController(handler, hostname="127.0.0.1", port=0, **smtp_kwargs)
    controller.start()
    return controller


@pytest.fixture
def smtp_sink() -> Iterator[Callable[..., tuple[SmtpSink, int]]]:
    """Start real SMTP servers on 127.0.0.1 (free port); returns (sink, port)."""
    controllers: list[Any] = []

    def start(
        policy: Callable[[str, int], str | None] | None = None,
        delay: float = 0.0,
        hang_up: Callable[[str], bool] | None = None,
        pipelining: bool = False,
    ) -> tuple[SmtpSink, int]:
        sink = SmtpSink(policy, delay, hang_up, pipelining)
        controller = start_smtp_server(sink)
        controllers.append(controller)
        return sink, controller.port

    yield start
    for c in controllers:
        c.stop()


class RawSmtpServer:
    """A hand-written SMTP server on a raw socket (127.0.0.1, free port), one thread per connection, that can
    misbehave in ways aiosmtpd cannot. `fault(rcpt, attempt)` picks what happens at DATA:

    None: accept · "hangup-after-354": answer 354, then close at once (nothing of the body read) ·
    "garbled": take the whole message, then reply a line that is no SMTP reply · ("slow", s): take the whole
    message, reply 250 only after s seconds. `received` lists each recipient whose terminating dot arrived.

    `pipelining=True` offers PIPELINING (RFC 2920); "strict" also answers MAIL, RCPT and DATA only once all
    three have arrived, so a client that waits for each reply before the next command never gets one.
    `rcpt_fault(rcpt)` answers RCPT with "450" or "550" (DATA then gets 554), or "550-then-354": refuses the
    recipient and still answers DATA with 354, as a broken server might (a message with its dot would count)."""

    def __init__(
        self,
        fault: Callable[[str, int], Any] | None = None,
        pipelining: bool | str = False,
        rcpt_fault: Callable[[str], str | None] | None = None,
    ) -> None:
        import socket
        import threading

        self.fault = fault
        self.pipelining = pipelining
        self.rcpt_fault = rcpt_fault
        self.connections = 0
        self.received: list[str] = []
        self.attempts: dict[str, int] = {}
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.closing = False
        self.thread = threading.Thread(target=self._accept, name="raw-smtp", daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        import threading

        while not self.closing:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def count(self, rcpt: str | None = None) -> int:
        with self.lock:
            return len(self.received) if rcpt is None else self.received.count(rcpt)

    def _serve(self, conn: Any) -> None:
        import socket
        import time

        f = conn.makefile("rb")
        rcpt = ""
        refused: str | None = None
        held: list[bytes] = []  # strict pipelining: replies kept until MAIL, RCPT and DATA have all arrived
        with self.lock:
            self.connections += 1

        def reply(text: bytes, verb: bytes) -> None:
            if self.pipelining != "strict":
                conn.sendall(text)
                return
            held.append(text)
            if verb == b"DATA" or len(held) == 3:
                conn.sendall(b"".join(held))
                held.clear()

        try:
            conn.sendall(b"220 raw.test ESMTP\r\n")
            while True:
                line = f.readline()
                if not line:
                    return
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    extra = b"250-PIPELINING\r\n" if self.pipelining else b""
                    conn.sendall(b"250-raw.test\r\n" + extra + b"250 8BITMIME\r\n")
                elif verb == b"MAIL":
                    refused = None
                    reply(b"250 2.1.0 ok\r\n", verb)
                elif verb == b"RCPT":
                    rcpt = line.split(b"<", 1)[1].split(b">", 1)[0].decode()
                    refused = self.rcpt_fault(rcpt) if self.rcpt_fault else None
                    if refused:
                        reply(refused[:3].encode() + b" 5.1.1 no such user\r\n", verb)
                    else:
                        reply(b"250 2.1.5 ok\r\n", verb)
                elif verb == b"DATA" and refused and refused != "550-then-354":
                    reply(b"554 5.5.1 no valid recipients\r\n", verb)
                elif verb == b"DATA":
                    if held:
                        conn.sendall(b"".join(held))
                        held.clear()
                    with self.lock:
                        self.attempts[rcpt] = attempt = self.attempts.get(rcpt, 0) + 1
                    fault = self.fault(rcpt, attempt) if self.fault else None
                    if fault == "hangup-after-354":
                        # Corked: the 354 and the close leave together, as from a server that gave up at once.
                        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
                        conn.sendall(b"354 go ahead\r\n")
                        return
                    conn.sendall(b"354 go ahead\r\n")
                    while True:
                        body = f.readline()
                        if not body:
                            return
                        if body == b".\r\n":
                            break
                    with self.lock:
                        self.received.append(rcpt)
                    if fault == "garbled":
                        conn.sendall(b"OK, got it, thanks\r\n")
                    elif isinstance(fault, tuple) and fault[0] == "slow":
                        time.sleep(fault[1])
                        conn.sendall(b"250 2.0.0 queued\r\n")
                    else:
                        conn.sendall(b"250 2.0.0 queued\r\n")
                elif verb == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:  # RSET, NOOP
                    conn.sendall(b"250 ok\r\n")
        except OSError:
            return
        finally:
            f.close()
            conn.close()

    def stop(self) -> None:
        self.closing = True
        self.listener.close()


@pytest.fixture
def raw_smtp() -> Iterator[Callable[..., RawSmtpServer]]:
    """Start RawSmtpServer(fault) instances; stopped after the test."""
    servers: list[RawSmtpServer] = []

    def start(
        fault: Callable[[str, int], Any] | None = None,
        pipelining: bool | str = False,
        rcpt_fault: Callable[[str], str | None] | None = None,
    ) -> RawSmtpServer:
        server = RawSmtpServer(fault, pipelining, rcpt_fault)
        servers.append(server)
        return server

    yield start
    for s in servers:
        s.stop()


# ---- web & subscribers (owner: web) ------------------------------------------------------------
# The app on a real threaded HTTP server (127.0.0.1, port 0), and the links mailed to the outbox.


@pytest.fixture
def web_server(cfg: Config, store: Store) -> Iterator[str]:
    """Base URL (no trailing slash) of `publisher.web.make_server` serving `cfg` from a background thread."""
    import threading

    from publisher.web import make_server

    server = make_server(cfg, store, host="127.0.0.1", port=0)
    # A short poll interval only makes shutdown quicker (the default waits up to 0.5 s per test).
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="web-test-server", daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def outbox_mails(cfg: Config) -> list[Any]:
    """Every .eml in the outbox, parsed (oldest first)."""
    import email
    import email.policy

    folder = cfg.delivery.outbox_dir
    files = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns) if folder.is_dir() else []
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in files]


def mailed_link(cfg: Config, path_prefix: str) -> str:
    """The one link starting with site.url(path_prefix) in the outbox (asserts there is exactly one such mail)."""
    import re

    prefix = cfg.site.url(path_prefix)
    found = [
        m for mail in outbox_mails(cfg) for m in re.findall(re.escape(prefix) + r"[A-Za-z0-9_.\-]+", mail.get_content())
    ]
    assert len(found) == 1, f"expected one {prefix} link in the outbox, found {found}"
    return found[0]


# ---- scheduler & jobs (owner: scheduler) -------------------------------------------------------
# A config written to disk for `publisher` subprocesses, and a recent release so today's editions have content.


def to_toml(data: dict[str, Any], prefix: str = "") -> str:
    """Just enough TOML for test configs: scalars, lists of scalars, tables and arrays of tables."""
    import json

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, (str, Path)):
            return json.dumps(str(v))
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(value(x) for x in v) + "]"
        raise TypeError(f"cannot write {v!r} as TOML")

    lines: list[str] = []
    tables: list[str] = []
    for k, v in data.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            tables.append(f"[{key}]\n" + to_toml(v, key + "."))
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            tables.extend(f"[[{key}]]\n" + to_toml(x, key + ".") for x in v)
        else:
            lines.append(f"{json.dumps(k) if not k.replace('_', '').replace('-', '').isalnum() else k} = {value(v)}")
    return "\n".join([*lines, "", *tables]) + "\n"


@pytest.fixture
def config_file(tmp_path: Path, db_url: str, sample_dir: Path) -> Callable[..., Path]:
    """Write tmp_path/config.toml like make_config's (keyword arguments replace whole sections); returns its path."""

    def write(**sections: Any) -> Path:
        data = {**base_config_data(db_url, sample_dir), "web": {"host": "127.0.0.1", "port": 0}, **sections}
        path = tmp_path / "config.toml"
        path.write_text(to_toml(data), encoding="utf-8")
        return path

    return write


def add_recent_release(sample_dir: Path, days_ago: int = 7) -> dt.date:
    """Append a release dated `days_ago` days back (in last week's edition) to the sample releases file."""
    day = dt.date.today() - dt.timedelta(days=days_ago)
    with (sample_dir / "releases.txt").open("a", encoding="utf-8") as fh:
        fh.write(
            f"\nReleased {day:%d %B %Y}\nICMPD opened a border management training centre in Tunis for "
            "border guards from Tunisia and Libya.\n"
        )
    return day


def country_codes(clf: Any, text: str) -> list[str]:
    """The country codes a classifier tags `text` with, sorted."""
    return [t.slug for t in clf.classify(text).countries]


@pytest.fixture(scope="module")
def default_classifier() -> Any:
    """The classifier with the default taxonomy (no config file)."""
    from publisher.classify import Classifier

    return Classifier(config_from_dict({}, root=Path(".")).taxonomy)


# --- relevance sets (tests/fixtures/devset, holdout*): their files and where their pages may not come from

# The organisation whose releases judge this work, and the dialogue secretariats and facilities it runs: no
# development or held-out item may be modelled on their pages (the seed files are the only data of theirs we use).
EXCLUDED_SITES = (
    "icmpd.org",
    "budapestprocess.org",
    "pragueprocess.eu",
    "rabat-process.org",
    "khartoumprocess.net",
    "mieux-initiative.eu",
    "migrationpartnershipfacility.eu",
)


def on_excluded_site(host: str) -> bool:
    return any(host == s or host.endswith("." + s) for s in EXCLUDED_SITES)


def fixture_jsonl(folder: Path, name: str) -> list[dict[str, Any]]:
    """The records of a relevance set's JSON-lines file ([] when the set has no such file)."""
    path = folder / name
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def fixture_projects(folder: Path) -> list[dict[str, Any]]:
    """The [[projects]] tables of a relevance set's projects.toml ([] when it has none)."""
    path = folder / "projects.toml"
    if not path.exists():
        return []
    return tomllib.loads(path.read_text(encoding="utf-8"))["projects"]  # type: ignore[no-any-return]
