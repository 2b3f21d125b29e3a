"""scripts/lazy_pyscript_init.py: PyScript's package __init__, importing submodules on use.

Run here in CPython on the pinned PyScript's own __init__.py, over stand-in submodules that
record being imported (the e2e suite runs the built bundle in MicroPython)."""

from __future__ import annotations

import ast
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.lazy_pyscript_init import lazy_init

ROOT = Path(__file__).resolve().parents[2]
PYSCRIPT_INIT = ROOT / "node_modules/@pyscript/core/src/stdlib/pyscript/__init__.py"
SUBMODULES = ("context", "display", "fetch", "storage", "websocket", "events", "workers", "web")


def reexported(source: str) -> dict[str, tuple[str, str]]:
    """name -> (submodule, attribute) for every `from pyscript.x import ...` in `source`."""
    names = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pyscript."):
            for alias in node.names:
                names[alias.asname or alias.name] = (node.module, alias.name)
    return names


def stand_in(module: str, names: list[str]) -> str:
    lines = ["import probe", f"probe.imported.append({module!r})"]
    if module == "pyscript.context":
        lines.append("RUNNING_IN_WORKER = probe.in_worker")
    lines += [
        f"{name} = probe.Token({module!r}, {name!r})"
        for name in names
        if name != "RUNNING_IN_WORKER"
    ]
    return "\n".join(lines) + "\n"


class Token:
    def __init__(self, module: str, name: str) -> None:
        self.where = (module, name)


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[types.ModuleType]:
    """A `pyscript` package of the lazy __init__ over stand-ins; `probe` records imports."""
    source = PYSCRIPT_INIT.read_text()
    root = tmp_path / "pyscript"
    root.mkdir()
    (root / "__init__.py").write_text(lazy_init(source))
    by_module: dict[str, list[str]] = {f"pyscript.{m}": [] for m in SUBMODULES}
    for module, attribute in reexported(source).values():
        by_module[module].append(attribute)
    for module, names in by_module.items():
        (root / (module.split(".")[1] + ".py")).write_text(stand_in(module, names))
    probe = types.ModuleType("probe")
    probe.imported = []  # type: ignore[attr-defined]
    probe.in_worker = False  # type: ignore[attr-defined]
    probe.Token = Token  # type: ignore[attr-defined]
    polyscript = types.ModuleType("polyscript")
    polyscript.lazy_py_modules = object()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "probe", probe)
    monkeypatch.setitem(sys.modules, "polyscript", polyscript)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield probe
    for name in [n for n in sys.modules if n == "pyscript" or n.startswith("pyscript.")]:
        del sys.modules[name]


def test_importing_the_package_imports_only_its_context(package: types.ModuleType) -> None:
    import pyscript

    assert package.imported == ["pyscript.context"]
    assert pyscript.document.where == ("pyscript.context", "document")


def test_every_reexported_name_is_the_submodules_object(package: types.ModuleType) -> None:
    import pyscript

    names = reexported(PYSCRIPT_INIT.read_text())
    assert {"display", "HTML", "fetch", "storage", "when", "workers"} <= set(names)
    for name, where in names.items():
        if name != "RUNNING_IN_WORKER":
            assert getattr(pyscript, name).where == where, name
    assert sorted(package.imported) == sorted({m for m, _ in names.values()})


def test_a_name_shared_with_its_submodule_is_the_name_not_the_submodule(
    package: types.ModuleType,
) -> None:
    """Asking for HTML imports pyscript.display, which binds the submodule to `display`."""
    from pyscript import HTML, display

    assert HTML.where == ("pyscript.display", "HTML")
    assert display.where == ("pyscript.display", "display")
    assert package.imported.count("pyscript.display") == 1


def test_other_submodules_import_by_name_and_unknown_names_fail(
    package: types.ModuleType,
) -> None:
    import pyscript
    from pyscript import web

    assert web is sys.modules["pyscript.web"]
    with pytest.raises(AttributeError, match="no_such_name"):
        pyscript.no_such_name  # noqa: B018
    assert not hasattr(pyscript, "_private")


def test_in_a_worker_the_main_thread_names_stay_undefined(package: types.ModuleType) -> None:
    package.in_worker = True
    import pyscript

    assert pyscript.RUNNING_IN_WORKER is True
    with pytest.raises(AttributeError):
        pyscript.create_named_worker  # noqa: B018
    assert "pyscript.workers" not in package.imported


def test_a_source_with_nothing_to_defer_is_refused() -> None:
    with pytest.raises(ValueError, match="has PyScript changed"):
        lazy_init("from pyscript.context import document\n")
    with pytest.raises(ValueError, match="cannot be deferred"):
        lazy_init("from pyscript.display import *\n")
    script = ROOT / "scripts" / "lazy_pyscript_init.py"
    run = subprocess.run(
        [sys.executable, str(script)], input="x = (", capture_output=True, text=True, check=False
    )
    assert run.returncode == 1
    assert run.stderr.startswith("lazy_pyscript_init: ")
    assert run.stdout == ""
