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
    """A loopback port free now, for a server of another process (which binds it later)."""
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
    """An ASGI app served by uvicorn on a loopback port from a daemon thread.

    The port is bound when the server is made, before `start(app)`: the URLs that name it can
    go into the apps' configuration first, and no other process can take the port meanwhile
    (as it could between looking a free port up and binding it).
    """

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        self.url = f"http://localhost:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self, app: Any) -> BackgroundServer:
        config = uvicorn.Config(app, log_level="warning")
        server = self._server = uvicorn.Server(config)
        serving = server.serve(sockets=[self._socket])
        self._thread = threading.Thread(target=asyncio.run, args=(serving,), daemon=True)
        self._thread.start()
        for _ in range(500):
            if server.started:
                return self
            self._thread.join(0.01)
        raise RuntimeError(f"server on port {self.port} did not start")

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)
        self._socket.close()
