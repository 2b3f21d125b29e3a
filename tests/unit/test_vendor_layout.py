"""What the build writes to dist/vendor/ for boot.js: interpreters.json and the folders it names."""

from __future__ import annotations

import hashlib
import json
import re
import struct
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
    """The interpreter's own files (the app's bytecode, "pycache" or "bytecode", has a folder of
    its own: it changes with every edit of py/)."""
    files = [entry["module"], entry["wasm"], *entry["modulepreload"], *entry["scriptpreload"]]
    files += entry["fetchpreload"]
    return [url for url in files if url not in (entry.get("pycache"), entry.get("bytecode"))]


def bundle_files(url: str) -> list[tuple[str, bytes]]:
    """A bundle of files (scripts/build-site.mjs fileBundle): [(path, bytes)]."""
    bundle = (DIST / url).read_bytes()
    length = int.from_bytes(bundle[:4], "little")
    offset, files = 4 + length, []
    for name, size in json.loads(bundle[4:offset]):
        files.append((name, bundle[offset : offset + size]))
        offset += size
    assert offset == len(bundle)
    return files


def assert_own_content_addressed_folder(url: str, prefix: str) -> None:
    folder = (DIST / url).parent
    assert re.fullmatch(prefix + r"-[0-9a-f]{8}", folder.name)
    assert folder.name.endswith("-" + folder_hash(folder))
    assert serve.cache_control(url.removeprefix(".")) == serve.IMMUTABLE


def folder_hash(folder: Path) -> str:
    """The build's name for a folder: sha256 over its files' names and contents (no siblings)."""
    digest = hashlib.sha256()
    for file in sorted(f for f in folder.iterdir() if f.suffix not in (".zst", ".br", ".gz")):
        digest.update(f"{file.name}\0{hashlib.sha256(file.read_bytes()).hexdigest()}\n".encode())
    return digest.hexdigest()[:8]


def test_every_interpreter_a_config_may_name_is_listed(interpreters: dict) -> None:
    assert set(interpreters) == {"pyodide", "pyodide-snapshot", "pyodide-stock", "micropython"}
    for name, entry in interpreters.items():
        assert entry["type"] in ("py", "mpy"), name
        assert entry["label"], name


def test_every_listed_file_is_a_local_built_file(interpreters: dict) -> None:
    for name, entry in interpreters.items():
        for url in urls(entry):
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


def test_tuned_pyodide_preloads_bytecode_for_pyscript_and_the_app(interpreters: dict) -> None:
    entry = interpreters["pyodide"]
    url = entry["pycache"]
    assert url in entry["fetchpreload"]
    assert_own_content_addressed_folder(url, "pyodide-pycache")
    files = bundle_files(url)
    # name.cpython-3XX.pyc -> name.py, where PyScript writes the source.
    sources = {re.sub(r"__pycache__/(\w+)\.cpython-3\d+\.pyc$", r"\1.py", n) for n, _ in files}
    app = {p.name for p in (DIST.parent / "py").glob("*.py")} - {"main.py"}
    assert app | {"pyscript/__init__.py", "pyscript/web.py"} <= sources
    # Hash-based and checked (flags 0b11): a source edited since the build is compiled instead.
    # PyScript's __init__ is compiled from its rewrite (imports on first use): unchecked (0b01).
    for name, pyc in files:
        rewritten = name.startswith("pyscript/__pycache__/__init__.")
        assert int.from_bytes(pyc[4:8], "little") == (0b01 if rewritten else 0b11), name
    assert "pycache" not in interpreters["pyodide-stock"]
    assert "pycache" not in interpreters["micropython"]


def test_the_snapshot_interpreter_is_tuned_pyodide_with_a_memory_snapshot(
    interpreters: dict,
) -> None:
    """Opt-in: the same files as "pyodide", and a snapshot in a folder of its own, sent as is
    (no precompressed sibling), that holds Pyodide's image without its zero pages."""
    entry = dict(interpreters["pyodide-snapshot"])
    url = entry.pop("snapshot")
    assert entry == {**interpreters["pyodide"], "label": "Pyodide (memory snapshot)"}
    assert url not in entry["fetchpreload"]  # a first visit does not wait for it
    assert_own_content_addressed_folder(url, "pyodide-snapshot")
    assert [p.name for p in (DIST / url).parent.iterdir()] == ["snapshot.bin"]
    data = (DIST / url).read_bytes()
    assert data[:8] == b"PYSNAP1\n"
    size, count = struct.unpack_from("<II", data, 8)
    runs = [struct.unpack_from("<II", data, 16 + 8 * i) for i in range(count)]
    assert 16 + 8 * count + sum(length for _, length in runs) == len(data)
    assert all(a + n < b for (a, n), (b, _) in zip(runs, runs[1:], strict=False))  # zeros between
    assert runs[0][0] == 0 and runs[-1][0] + runs[-1][1] <= size
    assert len(data) < size / 2  # most of the image is zero pages
    # The image starts with Pyodide's own snapshot header (its magic number).
    assert struct.unpack_from("<I", data, 16 + 8 * count)[0] == 0x706E7300
    for other in ("pyodide", "pyodide-stock", "micropython"):
        assert "snapshot" not in interpreters[other]


def test_micropython_preloads_bytecode_for_pyscript_and_the_app(interpreters: dict) -> None:
    """One .mpy per module PyScript's package and py/ have (main.py runs as the page's script),
    in the .mpy version MicroPython 1.27 reads; the app's sources it was compiled from, by hash."""
    entry = interpreters["micropython"]
    url = entry["bytecode"]
    assert url in entry["fetchpreload"]
    assert_own_content_addressed_folder(url, "micropython-bytecode")
    files = dict(bundle_files(url))
    py = DIST.parent / "py"
    app = {p.stem for p in py.glob("*.py")} - {"main"}
    assert {f"{name}.mpy" for name in app} | {"pyscript/__init__.mpy", "pyscript/web.mpy"} <= set(
        files
    )
    for name, mpy in files.items():
        assert mpy[:2] == b"M\x06", name  # .mpy format version 6
    assert entry["compiled"] == {
        f"./py/{name}.py": hashlib.sha256((py / f"{name}.py").read_bytes()).hexdigest()
        for name in app
    }
    for other in ("pyodide", "pyodide-stock"):
        assert "bytecode" not in interpreters[other]
        assert "compiled" not in interpreters[other]


def test_pyscript_starts_from_one_file_and_loads_the_rest_on_demand() -> None:
    """core.js is PyScript's start bundled: no static import for the browser to find one after
    another. Its on-demand chunks exist under their content-hashed names, and none of them loads
    a second PyScript (the core chunk is inside core.js, not a file any more)."""
    pyscript = DIST / "vendor" / "pyscript"
    core = (pyscript / "core.js").read_text()
    assert re.search(r'\bfrom\s*"\./', core) is None
    assert 'import("./zip-' in core
    # A classic script, as the runtimes' are (Chromium keeps its compiled code between visits):
    # boot.js runs it and awaits the promise of PyScript's exports it sets.
    assert core.startswith("//# allFunctionsCalledOnLoad\nglobalThis.__pyscriptCore = (async ")
    assert "import.meta" not in core and re.search(r"(^|[;}])export\s*[{\w]", core) is None
    assert "hooks: " in core and "whenDefined: " in core
    for module in sorted(pyscript.glob("*.js")):
        for name in re.findall(r'(?:\bfrom|\bimport)\s*\(?"\./([\w.-]+\.js)"', module.read_text()):
            assert name != "core.js", module.name
            assert (pyscript / name).is_file(), (module.name, name)
            assert serve.cache_control(f"/vendor/pyscript/{name}") == serve.IMMUTABLE, name


def test_the_stock_reference_keeps_npm_names_and_is_revalidated(interpreters: dict) -> None:
    stock = interpreters["pyodide-stock"]
    assert stock["module"] == "./vendor/pyodide/pyodide.mjs"
    assert stock["modulepreload"] == []
    assert serve.cache_control(stock["wasm"].removeprefix(".")) == serve.REVALIDATE


def test_lock_runs_during_the_load_only_where_the_load_leaves_the_page_idle(
    interpreters: dict,
) -> None:
    # boot.js runs Lock while Pyodide loads; on MicroPython py/main.py runs it after deciding.
    running = {name: entry["scriptsWhileLoading"] for name, entry in interpreters.items()}
    assert running == {
        "pyodide-stock": True,
        "pyodide": True,
        "pyodide-snapshot": True,
        "micropython": False,
    }


@pytest.mark.parametrize("name", TUNED)
def test_a_tuned_runtime_runs_as_a_classic_script_with_all_its_code_cached(
    interpreters: dict, name: str
) -> None:
    """Chromium keeps a classic script's compiled code between visits, not a module's: the page
    preloads the runtime's classic script, which carries V8's compile hint, and the interpreter
    module runs it (scripts/build-site.mjs, "classic scripts")."""
    entry = interpreters[name]
    [script] = entry["scriptpreload"]
    text = (DIST / script).read_text()
    assert text.startswith("//# allFunctionsCalledOnLoad\n")
    assert "import.meta" not in text and "\nexport " not in text
    module = (DIST / entry["module"]).read_text()
    assert f"new URL({json.dumps(Path(script).name)}, import.meta.url)" in module
    # The module it was made from stays beside it, for Node and workers, but is not preloaded.
    stock_modules = ("pyodide.asm.mjs", "micropython.mjs")
    assert not [url for url in entry["modulepreload"] if url.endswith(stock_modules)]
