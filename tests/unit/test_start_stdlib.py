"""The stdlib Pyodide starts on (the build writes it to dist/vendor/pyodide-fast-*/)."""

from __future__ import annotations

import ast
import json
import re
import sys
import zipfile
from pathlib import Path

import pytest

import serve

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "dist"


def tuned_pyodide() -> Path:
    """The tuned Pyodide's folder (vendor/pyodide-fast-<hash>/), as the build names it."""
    if not (DIST / "vendor" / "interpreters.json").is_file():
        pytest.fail("dist/ is not built: run scripts/setup.sh (or npm run build)")
    return (DIST / serve.built_interpreters()["pyodide"]["module"]).parent


START, FULL = "python_stdlib.start.pyc.zip", "python_stdlib.pyc.zip"


def modules(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n.endswith(".pyc")]
    return {n.removesuffix(".pyc").replace("/", ".").removesuffix(".__init__") for n in names}


@pytest.fixture(scope="module")
def built() -> tuple[set[str], set[str], list[str]]:
    folder = tuned_pyodide()
    wrapper = (folder / "fast.mjs").read_text()
    elsewhere = json.loads(re.search(r"const ELSEWHERE = (\[.*?\]);", wrapper).group(1))
    return modules(folder / START), modules(folder / FULL), elsewhere


def test_the_start_zip_is_part_of_the_whole_and_much_smaller(built: tuple) -> None:
    start, full, _ = built
    assert start - {"sitecustomize"} < full
    folder = tuned_pyodide()
    assert (folder / START).stat().st_size < (folder / FULL).stat().st_size / 2


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


def test_only_the_start_zip_turns_the_garbage_collector_off(built: tuple) -> None:
    """Its sitecustomize (`gc.disable()`); fast.mjs turns the collector on again."""
    start, full, _ = built
    assert "sitecustomize" in start and "sitecustomize" not in full
    with zipfile.ZipFile(tuned_pyodide() / START) as archive:
        pyc = archive.read("sitecustomize.pyc")
    assert b"disable" in pyc
