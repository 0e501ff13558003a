"""House rules checked on the source tree: no module in publisher/ over 400 lines, each opens with a docstring."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "publisher"
MAX_LINES = 400
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.relative_to(PACKAGE).parts)


def test_the_package_is_found() -> None:
    # Guards the two tests below against passing vacuously on an empty glob.
    assert len(MODULES) > 40
    assert PACKAGE / "config" / "__init__.py" in MODULES


def test_no_module_is_over_the_line_limit() -> None:
    over = {
        str(p.relative_to(PACKAGE.parent)): n
        for p in MODULES
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not over, f"split these by role (at most {MAX_LINES} lines each): {over}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_every_module_opens_with_a_one_line_docstring(path: Path) -> None:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert doc, f"{path.name}: no module docstring naming its job"
    assert doc.splitlines()[0].strip(), f"{path.name}: the docstring's first line is empty"
