"""A small version of bench/load_tenant.py: concurrent Lock-style logins over real sockets."""

from __future__ import annotations

import importlib.util
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "load_tenant.py"


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("load_tenant", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.load
def test_concurrent_logins_over_loopback_all_succeed() -> None:
    # Own thread: after the e2e tests, Playwright's sync API holds an event loop on this one.
    with ThreadPoolExecutor(max_workers=1) as worker:
        result = worker.submit(load_bench().run, logins=30, concurrency=6).result()
    assert result["errors"] == 0, result["error_samples"]
    assert result["ok"] == 30
