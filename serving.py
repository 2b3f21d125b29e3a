"""Serving helpers shared by the end-to-end tests and the benchmark.

ASGI apps on free loopback ports from daemon threads, and how to launch Chromium here.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import threading
from pathlib import Path
from typing import Any

import uvicorn

# Debian's Chromium cannot use the sandbox as root, and nothing may leave localhost.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def chromium_executable(playwright: Any) -> str | None:
    """None when Playwright has its own Chromium; else the system's (Debian's `chromium`).

    Raises RuntimeError when there is neither.
    """
    if Path(playwright.chromium.executable_path).exists():
        return None
    system_chromium = shutil.which("chromium")
    if system_chromium is None:
        raise RuntimeError("no Chromium: install Debian's `chromium` (scripts/setup.sh --browser)")
    return system_chromium


class BackgroundServer:
    """An ASGI app served by uvicorn on a loopback port from a daemon thread."""

    def __init__(self, app: Any, port: int) -> None:
        self.port = port
        self.url = f"http://localhost:{port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=asyncio.run, args=(self._server.serve(),))
        self._thread.daemon = True

    def start(self) -> BackgroundServer:
        self._thread.start()
        started = threading.Event()
        for _ in range(500):
            if self._server.started:
                started.set()
                break
            self._thread.join(0.01)
        if not started.is_set():
            raise RuntimeError(f"server on port {self.port} did not start")
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
