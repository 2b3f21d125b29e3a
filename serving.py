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

# Chromium keeps only the last --disable-features switch it is given, and Playwright passes its
# own: ours repeats Playwright's list (playwright 1.65; tests/unit/test_serving.py checks the
# installed one against it) ...
PLAYWRIGHT_DISABLED_FEATURES = [
    "AvoidUnnecessaryBeforeUnloadCheckSync",
    "DestroyProfileOnBrowserClose",
    "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable",
    "LensOverlay",
    "MediaRouter",
    "PaintHolding",
    "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect",
    "TcpPortRandomizationWin",
    "OptimizationHints",
    "NetworkTimeServiceQuerying",
    "AimEnabled",
    "PreconnectToSearch",
    "msForceBrowserSignIn",
    "msEdgeUpdateLaunchServicesPreferredVersion",
]
# ... and turns off the browser window's own omnibox pages. Each launch otherwise starts a
# renderer for them that takes about a second of CPU while the page under test loads: on two
# cores that slowed a warm MicroPython page from 0.65 to 0.96 s (median of 8, alternated).
BROWSER_UI_FEATURES = [
    "PreloadTopChromeWebUI",
    "WebUIOmniboxPopup",
    "WebUIOmniboxAimPopup",
    "WebUIOmniboxFullPopup",
]

# Debian's Chromium cannot use the sandbox as root, and nothing may leave localhost.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-features=" + ",".join(PLAYWRIGHT_DISABLED_FEATURES + BROWSER_UI_FEATURES),
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
