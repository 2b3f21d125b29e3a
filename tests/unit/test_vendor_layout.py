"""What the build writes to dist/vendor/ for boot.js: interpreters.json and the folders it names."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

import serve

DIST = Path(__file__).resolve().parents[2] / "dist"
TUNED = ("pyodide", "micropython")


@pytest.fixture(scope="module")
def interpreters() -> dict[str, dict[str, Any]]:
    if not (DIST / "vendor" / "interpreters.json").is_file():
        pytest.fail("dist/ is not built: run scripts/setup.sh (or npm run build)")
    return serve.built_interpreters()


def urls(entry: dict[str, Any]) -> list[str]:
    return [entry["module"], entry["wasm"], *entry["modulepreload"], *entry["fetchpreload"]]


def folder_hash(folder: Path) -> str:
    """The build's name for a folder: sha256 over its files' names and contents (not .br/.gz)."""
    digest = hashlib.sha256()
    for file in sorted(f for f in folder.iterdir() if f.suffix not in (".br", ".gz")):
        digest.update(f"{file.name}\0{hashlib.sha256(file.read_bytes()).hexdigest()}\n".encode())
    return digest.hexdigest()[:8]


def test_every_interpreter_a_config_may_name_is_listed(interpreters: dict) -> None:
    assert set(interpreters) == {"pyodide", "pyodide-stock", "micropython"}
    for name, entry in interpreters.items():
        assert entry["type"] in ("py", "mpy"), name
        assert entry["label"], name


def test_every_listed_file_is_a_local_built_file(interpreters: dict) -> None:
    for name, entry in interpreters.items():
        for url in [*urls(entry), *entry["pyscriptpreload"]]:
            assert url.startswith("./vendor/"), (name, url)
            assert (DIST / url).is_file(), (name, url)


@pytest.mark.parametrize("name", TUNED)
def test_a_tuned_interpreter_lives_in_one_folder_named_by_its_content(
    interpreters: dict, name: str
) -> None:
    folders = {(DIST / url).parent for url in urls(interpreters[name])}
    assert len(folders) == 1
    folder = folders.pop()
    assert re.fullmatch(r"[a-z-]+-[0-9a-f]{8}", folder.name)
    assert folder.name.endswith("-" + folder_hash(folder))
    assert serve.cache_control(interpreters[name]["wasm"].removeprefix(".")) == serve.IMMUTABLE


@pytest.mark.parametrize("name", TUNED)
def test_a_tuned_page_preloads_the_chunks_pyscript_imports_before_it_runs(
    interpreters: dict, name: str
) -> None:
    chunks = interpreters[name]["pyscriptpreload"]
    core = (DIST / "vendor" / "pyscript" / "core.js").read_text()
    core_chunk = re.search(r'from\s*"\./([\w.-]+\.js)"', core).group(1)
    assert chunks[0] == f"./vendor/pyscript/{core_chunk}"
    plugins = {re.sub(r"-[\w-]{8}\.js$", "", url.rsplit("/", 1)[1]) for url in chunks[1:]}
    assert {"error", "donkey", "py-terminal"} <= plugins
    for url in chunks:
        assert (DIST / url).is_file(), url
        assert serve.cache_control(url.removeprefix(".")) == serve.IMMUTABLE, url


def test_the_stock_reference_keeps_npm_names_and_is_revalidated(interpreters: dict) -> None:
    stock = interpreters["pyodide-stock"]
    assert stock["module"] == "./vendor/pyodide/pyodide.mjs"
    assert stock["modulepreload"] == stock["pyscriptpreload"] == []
    assert serve.cache_control(stock["wasm"].removeprefix(".")) == serve.REVALIDATE
