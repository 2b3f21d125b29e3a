"""Start-up benchmark: how soon each page knows whether its visitor is logged in.

    python bench/run.py [--runs N] [--quick] [--only VARIANT ...] [--link loopback|emulated]

Serves the site and the dev tenant from a child process on free loopback ports, drives
Chromium through Playwright and measures, for four pages (the app on tuned Pyodide, on stock
Pyodide assets, on MicroPython, and the tutorial's app in plain JS): navigation start ->
`body[data-session]` decided, for a logged-out and a logged-in visitor, cold (new profile) and
warm (same profile again), on loopback and on an emulated 50 Mbit/s, 20 ms link; the login round
trip; bytes received. Prints medians with ratios and writes JSON to bench/results/. See
bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime
import json
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx2  # noqa: E402
import uvicorn  # noqa: E402
from playwright.sync_api import BrowserContext, Page, Playwright, sync_playwright  # noqa: E402
from playwright.sync_api import Error as PlaywrightError  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import Response  # noqa: E402
from starlette.routing import Mount, Route  # noqa: E402
from starlette.types import ASGIApp, Receive, Scope, Send  # noqa: E402

import serve  # noqa: E402
from devtenant import TenantConfig, create_app  # noqa: E402
from serving import CHROMIUM_ARGS, chromium_executable, free_port  # noqa: E402

BENCH_DIR = ROOT / "bench"
BASELINE_DIR = BENCH_DIR / "baseline"
RESULTS_DIR = BENCH_DIR / "results"
BASELINE_PATH = "/bench/baseline/"

DECIDE_TIMEOUT_MS = 45_000
LOGIN_TIMEOUT_MS = 45_000
FINAL_STATES = ("logged-in", "logged-out", "error")
DECIDED_MESSAGE = "bench: session decided"  # logged by the instrument (console.debug)


# ---------------------------------------------------------------------------------------------
# What is measured


@dataclass(frozen=True)
class Variant:
    key: str
    label: str
    path: str
    interpreter: str | None  # the auth0-config.json `interpreter`; None for the JS page
    compressed: bool = True  # False: the server ignores Accept-Encoding (a naive static host)


VARIANTS = (
    Variant("pyodide", "Pyodide tuned", "/", "pyodide"),
    Variant("snapshot", "Pyodide snapshot", "/", "pyodide-snapshot"),
    Variant("stock", "Pyodide stock", "/", "pyodide-stock", compressed=False),
    Variant("micropython", "MicroPython", "/", "micropython"),
    Variant("js", "JS baseline", BASELINE_PATH, None),
)


@dataclass(frozen=True)
class Link:
    key: str
    label: str
    conditions: dict[str, Any] | None  # CDP Network.emulateNetworkConditions; None: as is


MBIT = 1_000_000 / 8  # bytes per second
LINKS = (
    Link("loopback", "loopback", None),
    Link(
        "emulated",
        "50 Mbit/s 20 ms",
        {
            "offline": False,
            "latency": 20,
            "downloadThroughput": 50 * MBIT,
            "uploadThroughput": 50 * MBIT,
        },
    ),
)

# (metric key, row label); visits are "<cache>/<visitor>".
VISITS = ("cold/logged-out", "cold/logged-in", "warm/logged-out", "warm/logged-in")


@dataclass
class Visit:
    """One navigation: time to a decided session, and what crossed the wire until then."""

    ms: float | None = None
    state: str | None = None
    received: int = 0  # bytes (encoded, with headers) of requests finished by the decision
    requests: int = 0
    paths: list[str] = field(default_factory=list)
    error: str | None = None
    notice: str = ""  # the page's #notice text at the decision

    def ok(self, expect: str) -> bool:
        return self.ms is not None and self.state == expect and self.error is None


# ---------------------------------------------------------------------------------------------
# The served stack


def bench_tenant_config(tenant_url: str, app_url: str, *pages: str) -> TenantConfig:
    """The default dev tenant for `app_url`, with further pages (the JS baseline's, a second
    build's) as callback and logout URLs, and their origins as web origins."""
    config = TenantConfig.default(issuer_base=tenant_url, app_origin=app_url)
    app, *others = config.applications
    origins = {urlsplit(page)._replace(path="").geturl() for page in pages} - set(app.web_origins)
    app = dataclasses.replace(
        app,
        callbacks=(*app.callbacks, *pages),
        allowed_logout_urls=(*app.allowed_logout_urls, *pages),
        web_origins=(*app.web_origins, *sorted(origins)),
    )
    return dataclasses.replace(config, applications=(app, *others))


@dataclass
class Serving:
    """How the bench's site answers right now (one page is measured at a time)."""

    config: dict[str, Any]  # auth0-config.json
    compressed: bool = True  # False: Accept-Encoding is ignored (a naive static host)


def bench_site_app(state: Callable[[], Serving]) -> ASGIApp:
    """The site as serve.py serves it, plus the JS baseline under /bench/baseline/.

    While `compressed` is false the site ignores Accept-Encoding, so it sends every file as is,
    like a static host that knows nothing of the precompressed .br/.gz siblings.
    """

    def config() -> dict[str, Any]:
        return state().config

    async def variables(request: Request) -> Response:
        # The tutorial's sample keeps its tenant in auth0-variables.js; here it is generated.
        current = config()
        body = (
            f"var AUTH0_CLIENT_ID = {json.dumps(current['clientId'])};\n"
            f"var AUTH0_DOMAIN = {json.dumps(current['domain'])};\n"
        )
        headers = {"Cache-Control": "no-cache"}  # revalidated, like the app's own files
        return Response(body, media_type="text/javascript", headers=headers)

    site = Starlette(
        routes=[
            Route(BASELINE_PATH + "auth0-variables.js", variables),
            Mount(BASELINE_PATH.rstrip("/"), app=serve.create_site_app(config, BASELINE_DIR)),
            Mount("", app=serve.create_site_app(config)),
        ]
    )

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        current = state()
        if scope["type"] == "http" and not current.compressed:
            headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"]
            scope = {**scope, "headers": headers}
        await site(scope, receive, send)

    return app


SPAWN = multiprocessing.get_context("spawn")


class ServerProcess:
    """Runs `target(*args)`, which serves `urls`, in a process of its own.

    Served from a thread of the bench's process instead, every response waited for the GIL,
    which Playwright's client holds while it handles the page's CDP events: warm visits' 304s
    came back 40-100 ms after they were asked for.
    """

    def __init__(self, target: Callable[..., None], args: tuple[Any, ...], urls: list[str]) -> None:
        self.urls = urls
        self._process = SPAWN.Process(target=target, args=args, daemon=True)

    def start(self) -> None:
        self._process.start()
        deadline = time.monotonic() + 30
        for url in self.urls:
            while True:
                with contextlib.suppress(httpx2.TransportError):
                    httpx2.get(url + "/", timeout=1)
                    break
                if not self._process.is_alive() or time.monotonic() > deadline:
                    raise RuntimeError(f"bench server for {url} did not start")
                time.sleep(0.05)  # polling a port that is not listening yet: nothing to wait on

    def stop(self) -> None:
        self._process.terminate()
        self._process.join(10)


def serve_apps(apps: list[tuple[ASGIApp, int]]) -> None:
    """Serves each app on its loopback port in one event loop, as serve.py does."""
    servers = [
        uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        for app, port in apps
    ]

    async def run() -> None:
        await asyncio.gather(*(server.serve() for server in servers))

    asyncio.run(run())


class BenchStack:
    """Site and tenant on free loopback ports, served from their own process; what the site
    serves is switched per variant."""

    def __init__(self) -> None:
        site_port, tenant_port = free_port(), free_port()
        self.app_url = f"http://localhost:{site_port}"
        self.tenant_url = f"http://localhost:{tenant_port}"
        self.user = bench_tenant_config(self.tenant_url, self.app_url).users[0]
        self._variant = SPAWN.Value("i", 0)  # index into VARIANTS, read by the server process
        self._servers = ServerProcess(
            serve_stack, (site_port, tenant_port, self._variant), [self.tenant_url, self.app_url]
        )

    def __enter__(self) -> BenchStack:
        self._servers.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._servers.stop()

    def use(self, variant: Variant) -> str:
        """Serve what the variant needs; returns its URL."""
        self._variant.value = VARIANTS.index(variant)
        return self.app_url + variant.path


def serve_stack(site_port: int, tenant_port: int, variant: Any) -> None:
    """BenchStack's server process: the tenant, and the site as `variant` (shared) says."""
    app_url, tenant_url = f"http://localhost:{site_port}", f"http://localhost:{tenant_port}"
    servings = [
        Serving(
            serve.dev_tenant_config(tenant_url, interpreter=v.interpreter),
            compressed=v.compressed,
        )
        for v in VARIANTS
    ]
    tenant = create_app(bench_tenant_config(tenant_url, app_url, app_url + BASELINE_PATH))
    site = bench_site_app(lambda: servings[variant.value])
    serve_apps([(tenant, tenant_port), (site, site_port)])


# ---------------------------------------------------------------------------------------------
# In the browser

# Runs before any page script. Marks (performance.now(), i.e. ms since navigation start) when
# body[data-session] first leaves "loading" and when #profile-name first has text; optionally
# seeds or clears the app origin's localStorage first.
INSTRUMENT = """
(() => {
  if (location.origin !== %(origin)s) return;
  const seed = %(seed)s;
  if (seed !== null) {
    localStorage.clear();
    for (const [k, v] of Object.entries(seed)) localStorage.setItem(k, v);
  }
  const marks = { decided: null, state: null, profile: null };
  Object.defineProperty(window, "__bench", { value: marks });
  const final = %(final)s;
  const check = () => {
    const body = document.body;
    if (!body) return;
    if (marks.decided === null) {
      const state = body.getAttribute("data-session");
      if (final.includes(state)) {
        marks.decided = performance.now();
        marks.state = state;
        console.debug(%(decided_message)s);
      }
    }
    if (marks.profile === null) {
      const name = document.getElementById("profile-name");
      if (name && name.textContent.trim()) marks.profile = performance.now();
    }
  };
  new MutationObserver(check).observe(document, {
    subtree: true, childList: true, characterData: true,
    attributes: true, attributeFilter: ["data-session"],
  });
  document.addEventListener("DOMContentLoaded", check);
})();
"""

MARKS = """() => ({
  origin: performance.timeOrigin,
  notice: document.getElementById("notice")?.textContent,
  ...window.__bench,
})"""

# Click Lock's submit button and return the browser's clock (ms since the epoch) at the click.
SUBMIT = """() => {
  const t = performance.timeOrigin + performance.now();
  document.querySelector(".auth0-lock-submit").click();
  return t;
}"""


class NetLog:
    """Responses as Chromium's network stack saw them (CDP), for bytes on the wire."""

    def __init__(self, cdp: Any) -> None:
        self.start: float | None = None  # CDP monotonic seconds at the top-level navigation
        self.urls: dict[str, str] = {}
        self.finished: list[tuple[float, int, str]] = []
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.loadingFinished", self._finished)

    def reset(self) -> None:
        self.start = None
        self.finished.clear()

    def _sent(self, event: dict[str, Any]) -> None:
        self.urls[event["requestId"]] = event["request"]["url"]
        if self.start is None and event.get("type") == "Document":
            self.start = event["timestamp"]

    def _finished(self, event: dict[str, Any]) -> None:
        url = self.urls.get(event["requestId"], "")
        self.finished.append((event["timestamp"], int(event["encodedDataLength"]), url))

    def until(self, ms: float) -> tuple[int, int, list[str]]:
        """Bytes, request count and URL paths of requests finished `ms` after navigation start."""
        if self.start is None:
            return 0, 0, []
        limit = self.start + ms / 1000 + 0.005
        done = [(n, url) for t, n, url in self.finished if t <= limit]
        paths = sorted({_short(url) for _, url in done})
        return sum(n for n, _ in done), len(done), paths


def _short(url: str) -> str:
    parts = urlsplit(url)
    return f":{parts.port}{parts.path}" if parts.port else url[:60]


class Profile:
    """A Chromium profile directory; each visit is a fresh browser process on it."""

    def __init__(self, pw: Playwright, executable: str | None, path: Path, link: Link) -> None:
        self.pw = pw
        self.executable = executable
        self.path = path
        self.link = link

    @contextlib.contextmanager
    def open(
        self, origin: str, seed: dict[str, str] | None = None
    ) -> Iterator[tuple[Page, NetLog, list[str]]]:
        options: dict[str, Any] = {"headless": True, "args": CHROMIUM_ARGS}
        if self.executable:
            options["executable_path"] = self.executable
        context: BrowserContext = self.pw.chromium.launch_persistent_context(
            str(self.path), **options
        )
        console: list[str] = []
        try:
            script = INSTRUMENT % {
                "origin": json.dumps(origin),
                "seed": json.dumps(seed),
                "final": json.dumps(FINAL_STATES),
                "decided_message": json.dumps(DECIDED_MESSAGE),
            }
            context.add_init_script(script)
            page = context.pages[0] if context.pages else context.new_page()
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            cdp = context.new_cdp_session(page)
            net = NetLog(cdp)
            cdp.send("Network.enable")
            if self.link.conditions:
                cdp.send("Network.emulateNetworkConditions", self.link.conditions)
            yield page, net, console
        finally:
            context.close()


def visit(page: Page, net: NetLog, url: str, console: list[str]) -> Visit:
    """Navigate and wait until the page has decided the session."""
    net.reset()
    try:
        # The instrument logs when the page decides: waiting for that message keeps Playwright's
        # own in-page script (a locator wait compiles ~0.3 MB of JS) off the page's main thread.
        with page.expect_console_message(
            lambda message: message.text == DECIDED_MESSAGE, timeout=DECIDE_TIMEOUT_MS
        ):
            page.goto(url, wait_until="commit", timeout=DECIDE_TIMEOUT_MS)
        marks = page.evaluate(MARKS)
    except PlaywrightError as exc:
        tail = "; ".join(console[-3:])
        return Visit(error=f"{str(exc).splitlines()[0]} [{tail}]")
    received, requests, paths = net.until(marks["decided"])
    result = Visit(marks["decided"], marks["state"], received, requests, paths)
    result.notice = (marks.get("notice") or "").strip()
    if result.state == "error":
        result.error = "page error: " + result.notice
    return result


def login(page: Page, email: str, password: str) -> tuple[float | None, str | None]:
    """Log in through Lock: ms from the submit click to the profile shown (browser clock)."""
    try:
        page.click("#btn-login", timeout=10_000)
        page.fill('.auth0-lock input[name="email"]', email, timeout=10_000)
        page.fill('.auth0-lock input[name="password"]', password, timeout=10_000)
        clicked = page.evaluate(SUBMIT)
        page.locator('body[data-session="logged-in"]').wait_for(
            state="attached", timeout=LOGIN_TIMEOUT_MS
        )
        with contextlib.suppress(PlaywrightError):
            page.locator("#profile-name").filter(has_text=re.compile(r"\S")).wait_for(timeout=5_000)
        marks = page.evaluate(MARKS)
    except PlaywrightError as exc:
        return None, str(exc).splitlines()[0]
    shown = max(marks["decided"], marks["profile"] or 0)
    return marks["origin"] + shown - clicked, None


# Resolves true once the browser keeps the Pyodide memory snapshot for the next visit: the page
# has stored it, or started from it (fast.mjs marks either); false after `ms`.
SNAPSHOT_KEPT = """(ms) => new Promise((resolve) => {
  const done = (kept) => { observer.disconnect(); clearTimeout(timer); resolve(kept); };
  const marks = ["pyodide-snapshot: kept", "pyodide-snapshot: restored"];
  const observer = new PerformanceObserver((list) => {
    if (marks.some((name) => list.getEntriesByName(name).length)) done(true);
  });
  const timer = setTimeout(done, ms, false);
  observer.observe({ type: "mark", buffered: true });
})"""


def keep_snapshot(page: Page, interpreter: str | None) -> str | None:
    """A visitor who returns had stayed long enough for the page to keep its snapshot: wait for
    that on the pages that keep one. An error message when it was not kept."""
    if interpreter != "pyodide-snapshot":
        return None
    if page.evaluate(SNAPSHOT_KEPT, 20_000):
        return None
    return "the page did not keep its Pyodide snapshot within 20 s"


def stored_session(page: Page) -> dict[str, str]:
    return page.evaluate("() => Object.assign({}, localStorage)")


# ---------------------------------------------------------------------------------------------
# One round: every visit of one page on one link


@dataclass
class Round:
    variant: str
    link: str
    run: int
    visits: dict[str, Visit] = field(default_factory=dict)
    login_ms: float | None = None
    login_error: str | None = None


def measure(
    pw: Playwright,
    executable: str | None,
    stack: BenchStack,
    variant: Variant,
    link: Link,
    run: int,
    scratch: Path,
) -> Round:
    url = stack.use(variant)
    origin = stack.app_url
    result = Round(variant.key, link.key, run)
    returning = Profile(pw, executable, scratch / f"{variant.key}-{link.key}-{run}-a", link)
    newcomer = Profile(pw, executable, scratch / f"{variant.key}-{link.key}-{run}-b", link)

    def record(name: str, v: Visit, expect: str) -> bool:
        result.visits[name] = v
        if v.error is None and v.state != expect:
            v.error = f"decided {v.state!r}, expected {expect!r}; notice: {v.notice!r}"
        shown = f"{v.ms:7.0f} ms {v.received / 1e6:6.2f} MB" if v.ms is not None else "   failed"
        note = f"  ({v.error})" if v.error else ""
        print(f"  {variant.key:12} {link.key:9} {name:16} {shown}{note}", flush=True)
        return v.ok(expect)

    try:
        # First visit on a new profile; then log in through Lock; keep what the page stored.
        with returning.open(origin) as (page, net, console):
            if not record("cold/logged-out", visit(page, net, url, console), "logged-out"):
                return result
            result.login_ms, result.login_error = login(page, stack.user.email, stack.user.password)
            login_note = f"{result.login_ms:7.0f} ms" if result.login_ms else "   failed"
            err = f"  ({result.login_error})" if result.login_error else ""
            print(f"  {variant.key:12} {link.key:9} {'login':16} {login_note}{err}", flush=True)
            session = stored_session(page) if result.login_ms is not None else None
            if session is not None:
                result.login_error = keep_snapshot(page, variant.interpreter)
        if session is not None:
            # Seeded again: Chromium may not have flushed localStorage to disk at close.
            with returning.open(origin, seed=session) as (page, net, console):
                record("warm/logged-in", visit(page, net, url, console), "logged-in")
        with returning.open(origin, seed={}) as (page, net, console):
            record("warm/logged-out", visit(page, net, url, console), "logged-out")
        if session is not None:
            with newcomer.open(origin, seed=session) as (page, net, console):
                record("cold/logged-in", visit(page, net, url, console), "logged-in")
    finally:
        shutil.rmtree(returning.path, ignore_errors=True)
        shutil.rmtree(newcomer.path, ignore_errors=True)
    return result


# ---------------------------------------------------------------------------------------------
# Summary


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def summarize(rounds: list[Round]) -> dict[str, dict[str, dict[str, float | None]]]:
    """metric -> variant -> {median, n}; metrics: "<link>/<visit>", "<link>/login", bytes."""
    table: dict[str, dict[str, dict[str, float | None]]] = {}

    def add(metric: str, variant: str, value: float | None) -> None:
        cell = table.setdefault(metric, {}).setdefault(variant, {"values": []})
        if value is not None:
            cell["values"].append(value)

    for r in rounds:
        for name in VISITS:
            v = r.visits.get(name)
            ok = v is not None and v.error is None and v.ms is not None
            add(f"{r.link}/{name}", r.variant, v.ms if ok else None)
            if r.link == "loopback":
                add(f"bytes/{name}", r.variant, v.received if ok else None)
        add(f"{r.link}/login", r.variant, r.login_ms)
    for row in table.values():
        for cell in row.values():
            values = cell.pop("values")
            cell["median"] = median(values)
            cell["n"] = len(values)
    return table


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def metric_label(metric: str) -> str:
    scope, what = metric.split("/", 1)
    if scope == "bytes":
        return f"MB received, {what.replace('/', ' ')}"
    link = next(link.label for link in LINKS if link.key == scope)
    return f"{what.replace('/', ' ')}, {link}"


def metric_order(table: dict[str, Any]) -> list[str]:
    order = [f"{link.key}/{name}" for link in LINKS for name in (*VISITS, "login")]
    order += [f"bytes/{name}" for name in VISITS]
    return [m for m in order if m in table]


def render(table: dict[str, Any], variants: list[Variant]) -> str:
    measured = {variant for row in table.values() for variant, c in row.items() if c["n"]}
    keys = [v.key for v in variants if v.key in measured]
    variants = [v for v in variants if v.key in measured]
    header = ["metric"]
    for v in variants:
        header.append(v.label)
        if v.key != "stock" and "stock" in keys:
            header.append("×stock")
        if v.key != "js" and "js" in keys:
            header.append("×js")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for metric in metric_order(table):
        row = table[metric]
        is_bytes = metric.startswith("bytes/")

        def value(key: str, row: dict[str, Any] = row) -> float | None:
            return row.get(key, {}).get("median")

        cells = [metric_label(metric)]
        for v in variants:
            x = value(v.key)
            if x is None:
                cells.append("n/a")
            elif is_bytes:
                cells.append(f"{x / 1e6:.2f}")
            else:
                cells.append(f"{x / 1000:.2f} s")
            for other in ("stock", "js"):
                if v.key != other and other in keys:
                    r = ratio(x, value(other))
                    cells.append(f"{r:.2f}" if r is not None else "")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def targets(table: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, as ratios of medians from this run."""

    def med(metric: str, variant: str) -> float | None:
        return table.get(metric, {}).get(variant, {}).get("median")

    checks = []

    def check(name: str, pairs: list[tuple[str, str, str]], limit: float) -> None:
        ratios = {m: ratio(med(m, a), med(m, b)) for m, a, b in pairs}
        known = [r for r in ratios.values() if r is not None]
        worst = max(known) if known else None
        checks.append(
            {
                "target": name,
                "limit": limit,
                "worst": worst,
                "ratios": ratios,
                "met": None if worst is None else worst <= limit,
            }
        )

    check(
        "Pyodide tuned / stock, warm logged-in (loopback) <= 1/3",
        [("loopback/warm/logged-in", "pyodide", "stock")],
        1 / 3,
    )
    check(
        "Pyodide snapshot (opt-in) / stock, warm logged-in (loopback) <= 1/3",
        [("loopback/warm/logged-in", "snapshot", "stock")],
        1 / 3,
    )
    check(
        "Pyodide tuned / stock, cold on the emulated link <= 0.45",
        [(f"emulated/cold/{who}", "pyodide", "stock") for who in ("logged-out", "logged-in")],
        0.45,
    )
    check(
        "MicroPython / JS baseline, every navigation <= 2",
        [(f"{link.key}/{name}", "micropython", "js") for link in LINKS for name in VISITS],
        2.0,
    )
    return checks


def render_targets(checks: list[dict[str, Any]]) -> str:
    lines = []
    for c in checks:
        if c["worst"] is None:
            verdict, worst = "not measured", ""
        else:
            verdict = "met" if c["met"] else "MISSED"
            worst = f"{c['worst']:.2f}"
        lines.append(f"- {c['target']}: {worst} {verdict}".rstrip())
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Run


def environment(executable: str | None) -> dict[str, Any]:
    def run(*cmd: str) -> str:
        try:
            out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=30)
            return out.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commit": run("git", "rev-parse", "--short", "HEAD"),
        "dirty": bool(run("git", "status", "--porcelain", "--", "web", "py", "dist", "bench")),
        "chromium": run(executable, "--version") if executable else "playwright chromium",
        "cpus": os.cpu_count(),
        "loadavg": os.getloadavg(),
        "python": sys.version.split()[0],
    }


def preflight(stack: BenchStack, variants: list[Variant]) -> list[Variant]:
    """Drop pages that are not served at all (their parts have not landed yet)."""
    usable = []
    for variant in variants:
        url = stack.use(variant)
        status = httpx2.get(url, timeout=10).status_code
        if status == 200:
            usable.append(variant)
        else:
            print(f"skipping {variant.label}: {url} answers {status}", flush=True)
    return usable


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="rounds per page and link (default 3)")
    parser.add_argument("--quick", action="store_true", help="one round (same as --runs 1)")
    parser.add_argument(
        "--only", nargs="+", choices=[v.key for v in VARIANTS], help="measure only these pages"
    )
    parser.add_argument(
        "--link", choices=[link.key for link in LINKS], help="only this link (default: both)"
    )
    parser.add_argument("--out", type=Path, help="JSON file (default bench/results/<time>.json)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    runs = 1 if args.quick else max(1, args.runs)
    variants = [v for v in VARIANTS if not args.only or v.key in args.only]
    links = [link for link in LINKS if not args.link or link.key == args.link]
    if not (serve.VENDOR_DIR / "lock" / "lock.js").is_file():
        print("front-end assets are not built: run `npm ci && npm run build`", file=sys.stderr)
        return 2

    rounds: list[Round] = []
    started = time.monotonic()
    with (
        sync_playwright() as pw,
        BenchStack() as stack,
        tempfile.TemporaryDirectory() as tmp,
    ):
        executable = chromium_executable(pw)
        env = environment(executable)
        print(f"site {stack.app_url}  tenant {stack.tenant_url}  {env['chromium']}", flush=True)
        variants = preflight(stack, variants)
        failures: dict[str, int] = {}
        for run in range(1, runs + 1):
            print(f"run {run}/{runs}", flush=True)
            for link in links:
                for variant in variants:
                    if failures.get(variant.key, 0) >= 2:
                        continue
                    r = measure(pw, executable, stack, variant, link, run, Path(tmp))
                    rounds.append(r)
                    first = r.visits.get("cold/logged-out")
                    failed = first is None or first.error is not None
                    failures[variant.key] = failures.get(variant.key, 0) + 1 if failed else 0

    table = summarize(rounds)
    checks = targets(table)
    elapsed = time.monotonic() - started
    print()
    print(
        f"Medians of {runs} run(s); time from navigation start to body[data-session] decided "
        f"(in-page performance.now); login from Lock's submit click to the profile shown; "
        f"×stock / ×js: ratio to the stock-Pyodide page / to the JS baseline. "
        f"{elapsed:.0f} s in all; load average {env['loadavg'][0]:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end ({env['cpus']} CPUs)."
    )
    print()
    print(render(table, variants))
    print()
    print(render_targets(checks))
    failed = problems(rounds)
    if failed:
        print("\nfailures:\n" + "\n".join(f"- {line}" for line in failed))
    same = same_downloads(rounds)
    if same:
        print(f"\nwarning: identical cold downloads for {same}: interpreter switch ignored?")

    out = args.out or RESULTS_DIR / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "environment": {**env, "loadavg_end": os.getloadavg()},
        "runs": runs,
        "variants": [dataclasses.asdict(v) for v in variants],
        "links": [dataclasses.asdict(link) for link in links],
        "medians": table,
        "targets": checks,
        "rounds": [dataclasses.asdict(r) for r in rounds],
        "failures": failed,
        "table": render(table, variants),
    }
    out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    if not args.only and not args.link:  # a partial run would hide the last full table
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)  # --out may have put the run elsewhere
        shutil.copyfile(out, RESULTS_DIR / "latest.json")
    print(f"\nJSON: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    # A row a page never measured is a broken run; a failed round beside good ones is not.
    unmeasured = [
        f"{variant} {metric}"
        for metric, row in table.items()
        for variant, cell in row.items()
        if cell["n"] == 0
    ]
    if unmeasured:
        print("\nnot measured in any round: " + ", ".join(unmeasured), file=sys.stderr)
        return 1
    return 0


def problems(rounds: list[Round]) -> list[str]:
    """Each distinct failure, once per page."""
    seen: dict[str, list[str]] = {}
    for r in rounds:
        errors = [f"{name}: {v.error}" for name, v in r.visits.items() if v.error]
        if r.login_error:
            errors.append(f"login: {r.login_error}")
        for error in errors:
            listed = seen.setdefault(r.variant, [])
            if error.split(": ", 1)[1] not in [e.split(": ", 1)[1] for e in listed]:
                listed.append(f"{r.link} {error}")
    return [f"{variant}: {error}" for variant, errors in seen.items() for error in errors]


# The snapshot page downloads its snapshot only once it has decided: until then, tuned Pyodide's.
SAME_FIRST_VISIT = {"snapshot": "pyodide"}


def same_downloads(rounds: list[Round]) -> list[str]:
    """Python-page variants whose first visit fetched exactly the same paths."""
    seen: dict[tuple[str, ...], str] = {}
    clashes = []
    for r in rounds:
        v = r.visits.get("cold/logged-out")
        if r.variant == "js" or r.run != 1 or r.link != "loopback" or v is None or v.error:
            continue
        key = tuple(v.paths)
        expected = SAME_FIRST_VISIT.get(r.variant)
        if key in seen and seen[key] not in (r.variant, expected):
            clashes.append(f"{seen[key]} and {r.variant}")
        seen.setdefault(key, r.variant)
    return clashes


if __name__ == "__main__":
    sys.exit(main())
