"""web/boot.js picks the interpreter auth0-config.json names (run with node)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOOT = ROOT / "web" / "boot.js"
TABLE = ROOT / "dist" / "vendor" / "interpreters.json"


def interpreter_named(names: list[object]) -> list[object]:
    """What boot.js's `interpreterNamed` gives for each name in the built table: label or null."""
    source = BOOT.read_text()
    lookup = re.search(
        r"^function interpreterNamed\(interpreters, name\) \{.*?^}\n", source, re.S | re.M
    )
    assert lookup, "boot.js no longer has interpreterNamed"
    if not TABLE.is_file():
        pytest.fail("dist/ is not built: run scripts/setup.sh (or npm run build)")
    script = (
        lookup.group(0)
        + f"const table = JSON.parse({json.dumps(TABLE.read_text())});\n"
        + f"console.log(JSON.stringify({json.dumps(names)}"
        + ".map((n) => interpreterNamed(table, n))"
        + ".map((v) => (v === undefined ? null : String(v.label)))));"
    )
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: the project needs Node.js 20+ (README)")
    out = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_only_the_tables_own_names_are_interpreters() -> None:
    names = ["pyodide", "micropython", "pyodide-stock", "toString", "__proto__", "constructor"]
    names += ["hasOwnProperty", "", None, 1]
    labels = interpreter_named(names)
    assert labels[:3] == ["Pyodide", "MicroPython", "Pyodide (stock)"]
    assert labels[3:] == [None] * 7
