"""py/'s pure modules on MicroPython (PyScript `type="mpy"`), not only on CPython."""

from __future__ import annotations

import runpy
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MICROPYTHON = ROOT / "node_modules/@micropython/micropython-webassembly-pyscript/micropython.mjs"


def test_portable_check_passes_on_cpython(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(HERE / "portable_check.py"))
    assert "portable-ok" in capsys.readouterr().out


def test_portable_check_passes_on_micropython() -> None:
    if shutil.which("node") is None or not MICROPYTHON.is_file():
        pytest.fail("needs Node.js and the npm packages: run scripts/setup.sh")
    done = subprocess.run(
        ["node", str(HERE / "run_micropython.mjs"), str(HERE / "portable_check.py")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "portable-ok" in done.stdout, done.stdout + done.stderr


def test_early_interpreter_start_never_makes_a_second_interpreter() -> None:
    if shutil.which("node") is None or not (ROOT / "dist/vendor/interpreters.json").is_file():
        pytest.fail("needs Node.js and the built site: run scripts/setup.sh")
    done = subprocess.run(
        ["node", str(HERE / "check_interpreter_wrappers.mjs")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "wrappers-ok" in done.stdout, done.stdout + done.stderr
