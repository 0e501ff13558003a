"""The one country resolver: names, aliases and codes to ISO codes; regions and collective phrases to members."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import run_cli

from publisher.config import TaxonomyConfig, config_from_dict
from publisher.countries import country_name, near_countries, resolve_country, resolve_places


@pytest.fixture(scope="module")
def taxonomy() -> TaxonomyConfig:
    return config_from_dict({}, root=Path(".")).taxonomy


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Russia", "RU"),
        ("Russian Federation", "RU"),
        ("Turkey", "TR"),
        ("Türkiye", "TR"),
        ("Turkiye", "TR"),
        ("Palestine", "PS"),
        ("State of Palestine", "PS"),
        ("Kosovo", "XK"),
        ("the Netherlands", "NL"),
        ("Kingdom of the Netherlands", "NL"),
        ("Ivory Coast", "CI"),
        ("Côte d’Ivoire", "CI"),
        ("Republic of Moldova", "MD"),
        ("Korea, Republic of", "KR"),
        ("  united kingdom. ", "GB"),
        ("uz", "UZ"),
        ("DEU", "DE"),
        ("XK", "XK"),
        # Kosovo's status note is no part of its name
        ("Kosovo*", "XK"),
        ("Kosovo under UNSCR 1244", "XK"),
        ("Kosovo (UNSCR 1244/99)", "XK"),
        # older and self-declared names, as project pages write them
        ("the former Yugoslav Republic of Macedonia", "MK"),
        ("Republic of Macedonia", "MK"),
        # which part of it a list means is no part of the name
        ("Republic of Moldova, including the Transnistria Region", "MD"),
        ("Ukraine (excluding Crimea)", "UA"),
        ("Mali, notably the north", "ML"),
        ("Somaliland", "SO"),
        # as UN and ISO lists write them
        ("Iran (Islamic Republic of)", "IR"),
        ("Bolivia (Plurinational State of)", "BO"),
        ("Micronesia (Federated States of)", "FM"),
        ("Congo, Democratic Republic of the", "CD"),
        ("Lao PDR", "LA"),
        ("Timor Leste", "TL"),
        ("DPRK", "KP"),
        # the official form without its article
        ("Republic of Marshall Islands", "MH"),
    ],
)
def test_resolve_country(name: str, code: str) -> None:
    assert resolve_country(name) == code


@pytest.mark.parametrize("name", ["", "Narnia", "Central Asia", "Tashkent", "Russian", "ZZ"])
def test_unknown_or_not_a_country(name: str) -> None:
    assert resolve_country(name) is None


def test_country_name_and_near_matches() -> None:
    assert country_name("XK") == "Kosovo"
    assert country_name("UZ") == "Uzbekistan"
    assert near_countries("Rusia")[0] == "Russia"
    assert near_countries("Uzbekstan") == ["Uzbekistan"]
    assert near_countries("Xyzzyland") == []


def test_resolve_places(taxonomy: TaxonomyConfig) -> None:
    central_asia = frozenset({"KZ", "KG", "TJ", "TM", "UZ"})
    assert resolve_places("Uzbekistan", taxonomy) == {"UZ"}
    assert resolve_places("Kosovo", taxonomy) == {"XK"}
    assert resolve_places("Central Asia", taxonomy) == central_asia
    assert resolve_places("central-asia", taxonomy) == central_asia
    assert resolve_places("all five Central Asian states", taxonomy) == central_asia
    assert resolve_places("the six Eastern Partnership countries", taxonomy) == {"AM", "AZ", "BY", "GE", "MD", "UA"}
    assert resolve_places("Western Balkans", taxonomy) == {"AL", "BA", "ME", "MK", "RS", "XK"}
    # An alias of two regions stands for both.
    assert resolve_places("MENA", taxonomy) == frozenset(
        taxonomy.regions["middle-east"].countries + taxonomy.regions["north-africa"].countries
    )
    assert resolve_places("Global", taxonomy) == frozenset()
    assert resolve_places("worldwide", taxonomy) == frozenset()
    assert resolve_places("Nationwide", taxonomy) == frozenset()  # the whole of a country it does not name
    assert resolve_places("Narnia", taxonomy) is None
    assert resolve_places("member states", taxonomy) is None


def test_resolve_places_coordinated(taxonomy: TaxonomyConfig) -> None:
    """Two places under one "and", the first one's noun left out, stand for both."""
    regions = taxonomy.regions
    west, africa = frozenset(regions["west-africa"].countries), frozenset(regions["africa"].countries)
    assert resolve_places("West and Central Africa", taxonomy) == west | africa
    assert resolve_places("East and Horn of Africa", taxonomy) == africa
    assert resolve_places("Iraq and Jordan", taxonomy) == {"IQ", "JO"}
    assert resolve_places("Western Balkans & Turkey", taxonomy) == frozenset(regions["western-balkans"].countries) | {
        "TR"
    }
    assert resolve_places("South and Central Asia", taxonomy) == frozenset(
        regions["south-asia"].countries + regions["central-asia"].countries
    )
    # a country whose name holds "and" stays one country
    assert resolve_places("Trinidad and Tobago", taxonomy) == {"TT"}
    assert resolve_places("Bosnia and Herzegovina", taxonomy) == {"BA"}
    # a note in brackets is no part of the name
    assert resolve_places("Latin America and the Caribbean (17 countries)", taxonomy) == frozenset(
        regions["latin-america"].countries
    )
    assert resolve_places("Bangladesh (under discussion)", taxonomy) == {"BD"}
    # either side unknown: nothing
    assert resolve_places("Narnia and Central Africa", taxonomy) is None
    assert resolve_places("West and Narnia", taxonomy) is None


def test_cli_country_filter_takes_names(config_file: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    conf = str(config_file())
    assert run_cli(["ingest", "--config", conf], capsys)[0] == 0
    _, by_code, _ = run_cli(["releases", "--config", conf, "--country", "UZ", "--json"], capsys)
    code, by_name, _ = run_cli(["releases", "--config", conf, "--country", "Uzbekistan", "--json"], capsys)
    assert code == 0 and by_name == by_code
    rows = [json.loads(line) for line in by_name.splitlines()]
    assert rows and all("UZ" in r["countries"] for r in rows)


def test_cli_unknown_country_lists_near_matches(
    config_file: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(["releases", "--config", str(config_file()), "--country", "Uzbekstan"], capsys)
    assert code == 1 and err.startswith("UsageError: --country: ")
    assert "unknown country 'Uzbekstan'" in err and "Uzbekistan" in err


def test_projects_file_takes_common_names(make_config: Callable[..., object], tmp_path: Path) -> None:
    from publisher.sources.structured import ProjectsFileSource

    path = tmp_path / "projects.toml"
    path.write_text('[[projects]]\nname = "A"\nobjective = "x"\ncountries = ["Russia", "Türkiye", "Kosovo"]\n')
    cfg = make_config(sources=[{"name": "p", "kind": "projects-file", "path": str(path)}])
    (record,) = ProjectsFileSource(cfg.sources[0], cfg).read()  # type: ignore[attr-defined]
    assert record.countries == ("RU", "TR", "XK")
