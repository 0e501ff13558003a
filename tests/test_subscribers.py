"""Tests for subscriber management and signed links (publisher.subscribers)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import BASE_URL
from itsdangerous import URLSafeTimedSerializer

from publisher import pipeline
from publisher import subscribers as subs
from publisher.config import Config, config_from_dict
from publisher.errors import NotFoundError, SubscriberError
from publisher.models import Frequency, Subscriber, SubscriberStatus, utcnow
from publisher.store import Store
from publisher.subscribers import TokenError, TokenPurpose


def _insert(
    store: Store, email: str = "ada@example.org", status: SubscriberStatus = SubscriberStatus.ACTIVE, **kw: object
) -> Subscriber:
    now = utcnow()
    with store.session() as s:
        sub = Subscriber(
            email=email,
            name=kw.pop("name", ""),
            status=status,
            frequency=kw.pop("frequency", Frequency.WEEKLY),
            topics=kw.pop("topics", []),
            regions=kw.pop("regions", []),
            created_at=now,
            updated_at=now,
            token_version=kw.pop("token_version", 1),
            **kw,
        )
        s.add(sub)
        s.flush()
        return sub


@pytest.fixture
def plain_cfg(tmp_path: Path) -> Config:
    """A config without a database, for tests of pure functions (each DB costs a second on PostgreSQL)."""
    return config_from_dict({"site": {"base_url": BASE_URL}}, root=tmp_path)


def _detached(sid: int = 7, email: str = "ada@example.org", **kw: object) -> Subscriber:
    now = utcnow()
    return Subscriber(
        id=sid,
        email=email,
        name=kw.get("name", ""),
        status=kw.get("status", SubscriberStatus.ACTIVE),
        frequency=Frequency.WEEKLY,
        topics=[],
        regions=[],
        token_version=1,
        created_at=now,
        updated_at=now,
    )


def _token(url: str, prefix: str) -> str:
    path = urlsplit(url).path
    assert path.startswith(prefix), url
    return path.removeprefix(prefix)


# ---------------------------------------------------------------- tokens


def test_subscriber_links_are_absolute_and_resolve_to_the_subscriber(cfg: Config, store: Store) -> None:
    sub = _insert(store)
    links = subs.subscriber_links(cfg, sub)
    assert set(links) == {"manage", "unsubscribe", "one_click", "feed"}
    for url in links.values():
        assert url.startswith(BASE_URL)
    manage = _token(links["manage"], "/preferences/")
    unsub = _token(links["unsubscribe"], "/unsubscribe/")
    assert _token(links["one_click"], "/one-click/") == unsub
    feed = _token(links["feed"], "/feeds/private/").removesuffix(".atom")
    with store.session() as s:
        assert subs.resolve_token(s, cfg, manage, TokenPurpose.MANAGE).id == sub.id  # type: ignore[union-attr]
        assert subs.resolve_token(s, cfg, unsub, TokenPurpose.UNSUBSCRIBE).id == sub.id  # type: ignore[union-attr]
        assert subs.resolve_token(s, cfg, feed, TokenPurpose.FEED).id == sub.id  # type: ignore[union-attr]


def test_a_token_for_one_purpose_is_refused_for_another(plain_cfg: Config) -> None:
    unsub = subs.make_token(plain_cfg, _detached(), TokenPurpose.UNSUBSCRIBE)
    assert subs.read_token(plain_cfg, unsub, TokenPurpose.UNSUBSCRIBE).subscriber_id == 7
    for purpose in (TokenPurpose.MANAGE, TokenPurpose.CONFIRM):
        with pytest.raises(TokenError, match="not valid"):
            subs.read_token(plain_cfg, unsub, purpose)


def test_tampered_and_foreign_key_tokens_are_refused(plain_cfg: Config, tmp_path: Path) -> None:
    cfg = plain_cfg
    token = subs.make_token(cfg, _detached(), TokenPurpose.MANAGE)
    other = config_from_dict(
        {"site": {"base_url": BASE_URL}, "digest": {"secret_key": "another-secret-for-tests"}}, root=tmp_path
    )
    with pytest.raises(TokenError):
        subs.read_token(cfg, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), TokenPurpose.MANAGE)
    with pytest.raises(TokenError):
        subs.read_token(other, token, TokenPurpose.MANAGE)
    with pytest.raises(TokenError):
        subs.read_token(cfg, "garbage", TokenPurpose.MANAGE)
    # Correctly signed but not our payload shape.
    forged = URLSafeTimedSerializer(cfg.secret_key, salt="publisher.subscriber.manage").dumps({"id": 1})
    with pytest.raises(TokenError):
        subs.read_token(cfg, forged, TokenPurpose.MANAGE)


def test_confirm_tokens_expire_but_unsubscribe_tokens_do_not(
    plain_cfg: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = plain_cfg
    sub = _detached(status=SubscriberStatus.PENDING)
    confirm = subs.make_token(cfg, sub, TokenPurpose.CONFIRM)
    unsub = subs.make_token(cfg, sub, TokenPurpose.UNSUBSCRIBE)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=cfg.digest.token_max_age_days, hours=1)
    # itsdangerous reads the clock through time.time(); move it past the confirm window.
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later.timestamp())
    with pytest.raises(TokenError) as info:
        subs.read_token(cfg, confirm, TokenPurpose.CONFIRM)
    assert info.value.expired and info.value.subscriber_id == sub.id
    assert subs.read_token(cfg, unsub, TokenPurpose.UNSUBSCRIBE).subscriber_id == sub.id


def test_bumping_token_version_kills_manage_links_but_not_unsubscribe_links(cfg: Config, store: Store) -> None:
    sub = _insert(store)
    manage = subs.make_token(cfg, sub, TokenPurpose.MANAGE)
    unsub = subs.make_token(cfg, sub, TokenPurpose.UNSUBSCRIBE)
    with store.session() as s:
        row = s.get(Subscriber, sub.id)
        assert row is not None
        row.token_version += 1
    with store.session() as s:
        with pytest.raises(TokenError, match="no longer valid"):
            subs.resolve_token(s, cfg, manage, TokenPurpose.MANAGE)
        assert subs.resolve_token(s, cfg, unsub, TokenPurpose.UNSUBSCRIBE) is not None


# ---------------------------------------------------------------- validation


def test_validation_normalises_the_address_and_keeps_taxonomy_order(plain_cfg: Config) -> None:
    cfg = plain_cfg
    data = subs.validate_subscriber(
        cfg,
        "  Ada.Lovelace@Example.ORG ",
        name=" Ada\r\nBcc: x@evil.test ",
        topics=["research-data", "border-management", "research-data"],
        regions=[" west-africa "],
        frequency="Monthly",
    )
    assert data.email == "ada.lovelace@example.org"
    assert data.name == "Ada Bcc: x@evil.test"  # one line: it goes into the To header
    topic_order = list(cfg.taxonomy.topics)
    assert list(data.topics) == sorted(["research-data", "border-management"], key=topic_order.index)
    assert data.regions == ("west-africa",)
    assert data.frequency is Frequency.MONTHLY


def test_validation_reports_every_bad_field_at_once(plain_cfg: Config) -> None:
    cfg = plain_cfg
    with pytest.raises(subs.InvalidSubscriberError) as info:
        subs.validate_subscriber(
            cfg, "not-an-address", topics=["border-management", "astrology"], regions=["atlantis"], frequency="daily"
        )
    errors = info.value.errors
    assert set(errors) == {"email", "topics", "regions", "frequency"}
    assert "'astrology'" in errors["topics"] and "border-management" in errors["topics"]  # lists the known ones
    assert "'atlantis'" in errors["regions"]
    assert "daily" in errors["frequency"] and "weekly" in errors["frequency"]
    assert "not-an-address" in str(info.value)


# ---------------------------------------------------------------- add / update / remove


def _data(cfg: Config, email: str = "ada@example.org", **kw: object) -> subs.SubscriberData:
    return subs.validate_subscriber(cfg, email, **kw)  # type: ignore[arg-type]


def test_upsert_updates_instead_of_duplicating_and_never_demotes(cfg: Config, store: Store) -> None:
    with store.session() as s:
        sub, outcome = subs.upsert_subscriber(s, _data(cfg, "Ada@Example.org"), status=SubscriberStatus.ACTIVE)
        assert outcome is subs.Outcome.ADDED and sub.confirmed_at is not None
    with store.session() as s:
        again, outcome = subs.upsert_subscriber(
            s, _data(cfg, "ada@example.org", topics=["research-data"]), status=SubscriberStatus.PENDING
        )
        assert outcome is subs.Outcome.UPDATED
        assert again.id == sub.id and again.status is SubscriberStatus.ACTIVE and again.topics == ["research-data"]
    with store.session() as s:
        _, outcome = subs.upsert_subscriber(
            s, _data(cfg, "ada@example.org", topics=["research-data"]), status=SubscriberStatus.ACTIVE
        )
        assert outcome is subs.Outcome.UNCHANGED
        assert len(subs.list_subscribers(s)) == 1


def test_unsubscribed_addresses_come_back_only_on_request(cfg: Config, store: Store) -> None:
    sub = _insert(store, status=SubscriberStatus.UNSUBSCRIBED, token_version=3)
    with store.session() as s:
        with pytest.raises(SubscriberError, match="--resubscribe"):
            subs.upsert_subscriber(s, _data(cfg), status=SubscriberStatus.ACTIVE)
        row, outcome = subs.upsert_subscriber(s, _data(cfg), status=SubscriberStatus.ACTIVE, keep_inactive=True)
        assert outcome is subs.Outcome.KEPT_INACTIVE and row.status is SubscriberStatus.UNSUBSCRIBED
    with store.session() as s:
        row, outcome = subs.upsert_subscriber(s, _data(cfg), status=SubscriberStatus.ACTIVE, resubscribe=True)
        assert row.status is SubscriberStatus.ACTIVE and row.unsubscribed_at is None
        assert row.token_version == 4  # links from before the unsubscribe stay dead
    assert sub.id == row.id


def test_unsubscribe_is_idempotent_and_purge_erases_deliveries(cfg: Config, store: Store) -> None:
    from publisher.models import Delivery, DeliveryStatus, Edition, EditionStatus

    sub = _insert(store)
    now = utcnow()
    with store.session() as s:
        ed = Edition(
            frequency=Frequency.WEEKLY,
            period="2025-W10",
            period_start=dt.date(2025, 3, 3),
            period_end=dt.date(2025, 3, 9),
            status=EditionStatus.SENT,
            built_at=now,
        )
        s.add(ed)
        s.flush()
        s.add(
            Delivery(
                edition_id=ed.id,
                subscriber_id=sub.id,
                status=DeliveryStatus.SENT,
                message_id="<m1@x>",
                created_at=now,
                updated_at=now,
            )
        )
    with store.session() as s:
        row = subs.get_subscriber(s, "ADA@example.org")
        assert subs.unsubscribe(row) is True
        assert subs.unsubscribe(row) is False
        assert row.token_version == 2 and row.unsubscribed_at is not None
    with store.session() as s:
        subs.purge(s, subs.get_subscriber(s, "ada@example.org"))
    with store.session() as s:
        assert subs.find_subscriber(s, "ada@example.org") is None
        assert s.query(Delivery).count() == 0
        with pytest.raises(NotFoundError):
            subs.get_subscriber(s, "ada@example.org")


# ---------------------------------------------------------------- CSV import


def _csv(tmp_path: Path, text: str, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def test_import_is_all_or_nothing_and_names_file_and_line(cfg: Config, store: Store, tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "email,name,topics,regions,frequency\n"
        "ada@example.org,Ada,research-data;border-management,,weekly\n"
        "bad-address,Bob,,,\n"
        'cy@example.org,"Cy, Jr.",astrology,,\n',
    )
    with pytest.raises(SubscriberError) as info:
        pipeline.import_subscribers(cfg, path, store=store)
    message = str(info.value)
    assert f"{path}:3: " in message and "bad-address" in message
    assert f"{path}:4: " in message and "astrology" in message
    with store.session() as s:
        assert subs.list_subscribers(s) == []  # nothing half-imported

    result = pipeline.import_subscribers(cfg, path, skip_invalid=True, store=store)
    assert (result.added, result.updated) == (1, 0)
    assert [e.split(": ")[0] for e in result.skipped] == [f"{path}:3", f"{path}:4"]
    with store.session() as s:
        (ada,) = subs.list_subscribers(s)
        assert (ada.email, ada.name, ada.status) == ("ada@example.org", "Ada", SubscriberStatus.ACTIVE)
        assert set(ada.topics) == {"research-data", "border-management"}


def test_import_updates_existing_and_keeps_unsubscribed(cfg: Config, store: Store, tmp_path: Path) -> None:
    _insert(store, "ada@example.org", name="Old name", topics=["research-data"])
    _insert(store, "gone@example.org", status=SubscriberStatus.UNSUBSCRIBED)
    # A BOM (Excel), upper-case addresses and a quoted multi-line name.
    path = _csv(
        tmp_path,
        "\ufeffEmail,Name,Frequency,Regions\n"
        "ADA@example.org,New name,monthly,west-africa\n"
        "gone@example.org,Gone,,\n"
        'new@example.org,"Two\nLines",,\n',
    )
    result = pipeline.import_subscribers(cfg, path, store=store)
    assert (result.added, result.updated, result.unchanged) == (1, 1, 0)
    assert result.kept_inactive == ["gone@example.org (unsubscribed)"]
    with store.session() as s:
        rows = {r.email: r for r in subs.list_subscribers(s)}
    assert len(rows) == 3
    assert (rows["ada@example.org"].name, rows["ada@example.org"].frequency) == ("New name", Frequency.MONTHLY)
    assert rows["ada@example.org"].regions == ["west-africa"]
    assert rows["ada@example.org"].topics == ["research-data"]  # no topics column: their choice is kept
    assert rows["gone@example.org"].status is SubscriberStatus.UNSUBSCRIBED
    assert rows["new@example.org"].name == "Two Lines"


def test_import_rejects_bad_headers(plain_cfg: Config) -> None:
    for text, reason in [
        ("name,email,shoe_size\n", "people.csv:1: unknown column 'shoe_size'"),
        ("name,topics\nAda,\n", "people.csv:1: the header has no 'email' column"),
        ("email,name,Email\n", "people.csv:1: a column is named twice"),
        ("", "people.csv:1: empty file"),
    ]:
        with pytest.raises(SubscriberError, match=re.escape(reason)):
            subs.parse_csv(plain_cfg, text, "people.csv")


def test_import_reports_repeated_addresses_and_extra_fields(cfg: Config, store: Store, tmp_path: Path) -> None:
    path = _csv(tmp_path, "email,name\na@example.org,A\nb@example.org,B,surplus\nA@example.org,again\n")
    with pytest.raises(SubscriberError) as info:
        pipeline.import_subscribers(cfg, path, store=store)
    assert f"{path}:3: more fields than columns" in str(info.value)
    assert f"{path}:4: a@example.org repeats line 2" in str(info.value)


def test_import_dry_run_changes_nothing(cfg: Config, store: Store, tmp_path: Path) -> None:
    path = _csv(tmp_path, "email\na@example.org\nb@example.org\n")
    result = pipeline.import_subscribers(cfg, path, dry_run=True, store=store)
    assert result.added == 2
    with store.session() as s:
        assert subs.list_subscribers(s) == []


# ---------------------------------------------------------------- public requests and mails


def test_request_subscription_never_changes_an_active_subscriber(cfg: Config, store: Store) -> None:
    _insert(store, topics=["research-data"])
    with store.session() as s:
        sub, action = subs.request_subscription(s, _data(cfg, topics=["border-management"]))
        assert action is subs.RequestAction.ALREADY_ACTIVE and sub.topics == ["research-data"]
        new, action = subs.request_subscription(s, _data(cfg, "new@example.org"))
        assert action is subs.RequestAction.CONFIRM and new.status is SubscriberStatus.PENDING


def test_subscription_mails_carry_the_right_link(plain_cfg: Config) -> None:
    import email
    import email.policy

    cfg = plain_cfg
    pending = _detached(1, "p@example.org", status=SubscriberStatus.PENDING, name="Pé Ñ")
    active = _detached(2, "a@example.org")
    msg = subs.build_subscription_mail(cfg, pending, subs.RequestAction.CONFIRM)
    parsed = email.message_from_bytes(msg.as_bytes(policy=email.policy.SMTP), policy=email.policy.default)
    assert parsed["To"].addresses[0].addr_spec == "p@example.org"
    assert parsed["To"].addresses[0].display_name == "Pé Ñ"
    assert parsed["Auto-Submitted"] == "auto-generated"

    def tokens(text: str, page: str) -> list[str]:
        return re.findall(re.escape(cfg.site.url(page + "/")) + r"([A-Za-z0-9_.\-]+)", text)

    # Tokens carry a timestamp, so compare what they say rather than their text.
    (confirm,) = tokens(parsed.get_content(), "confirm")
    assert subs.read_token(cfg, confirm, TokenPurpose.CONFIRM).subscriber_id == 1
    other = subs.build_subscription_mail(cfg, active, subs.RequestAction.ALREADY_ACTIVE).get_content()
    (manage,) = tokens(other, "preferences")
    (unsub,) = tokens(other, "unsubscribe")
    assert subs.read_token(cfg, manage, TokenPurpose.MANAGE).subscriber_id == 2
    assert subs.read_token(cfg, unsub, TokenPurpose.UNSUBSCRIBE).subscriber_id == 2
    assert not tokens(other, "confirm")
