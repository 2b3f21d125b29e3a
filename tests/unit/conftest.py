"""Unit tests of the browser-side Python in py/, run by CPython with fakes for JS objects."""

import sys
from pathlib import Path

PY_DIR = Path(__file__).resolve().parents[2] / "py"
if str(PY_DIR) not in sys.path:
    sys.path.insert(0, str(PY_DIR))
