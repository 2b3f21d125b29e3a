"""The stdlib Pyodide starts on (built by scripts/build-site.mjs into dist/vendor/pyodide/)."""

from __future__ import annotations

import ast
import json
import re
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYODIDE = ROOT / "dist" / "vendor" / "pyodide"
START = PYODIDE / "python_stdlib.start.pyc.zip"
FULL = PYODIDE / "python_stdlib.pyc.zip"


def modules(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n.endswith(".pyc")]
    return {n.removesuffix(".pyc").replace("/", ".").removesuffix(".__init__") for n in names}


@pytest.fixture(scope="module")
def built() -> tuple[set[str], set[str], list[str]]:
    if not START.is_file() or not FULL.is_file():
        pytest.fail("dist/ is not built: run scripts/setup.sh (or npm run build)")
    wrapper = (PYODIDE / "fast.mjs").read_text()
    elsewhere = json.loads(re.search(r"const ELSEWHERE = (\[.*?\]);", wrapper).group(1))
    return modules(START), modules(FULL), elsewhere


def test_the_start_zip_is_part_of_the_whole_and_much_smaller(built: tuple) -> None:
    start, full, _ = built
    assert start < full
    assert START.stat().st_size < FULL.stat().st_size / 2


def test_every_stdlib_module_the_app_imports_is_in_the_start_zip(built: tuple) -> None:
    start, full, _ = built
    imported = set()
    for source in (ROOT / "py").glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module)
    stdlib = {name for name in imported if name.split(".")[0] in sys.stdlib_module_names}
    assert stdlib, "py/ imports no stdlib module: the check would prove nothing"
    assert {name for name in stdlib if name in full} <= start


def test_fast_mjs_knows_exactly_which_modules_only_the_whole_zip_has(built: tuple) -> None:
    start, full, elsewhere = built
    assert set(elsewhere) == full - start
    assert {"difflib", "email.mime.text", "json.tool"} <= set(elsewhere)
