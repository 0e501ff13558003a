"""Review findings on the CLI: operator mistakes end as `Error: ...` / `ErrorName: message`, never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from publisher.cli import main


def test_export_to_an_unwritable_path_names_the_option(
    config_file: Callable[..., Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "no-such-folder" / "out.jsonl"
    with pytest.raises(SystemExit) as exc:
        main(["export", "--config", str(config_file()), "--output", str(target)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--output" in err and str(target) in err and "Traceback" not in err
    assert not target.exists()
