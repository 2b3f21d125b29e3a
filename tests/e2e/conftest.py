"""End-to-end fixtures: the real site and the dev tenant on free loopback ports, Chromium.

Every test gets a fresh tenant (reset through its admin API) and the default page config; a
test changes the config with `site_config.update(...)`. Any request that leaves localhost, and
any console error or uncaught page error, fails the test that caused it.

Every test runs once per interpreter (Pyodide, MicroPython): the same `py/` must behave the same
on both. `E2E_INTERPRETERS=micropython` narrows a local run; a test marked
`interpreter_agnostic` (it does not drive the app's Python, or picks its own) runs once.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest
from pages import issue_session

import serve
from devtenant import TenantConfig, create_app
from serving import CHROMIUM_ARGS, BackgroundServer, chromium_executable

ROOT = Path(__file__).resolve().parents[2]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}
INTERPRETERS = ("pyodide", "micropython")


def chosen_interpreters() -> list[str]:
    wanted = os.environ.get("E2E_INTERPRETERS", ",".join(INTERPRETERS)).split(",")
    unknown = set(wanted) - set(INTERPRETERS)
    if unknown:
        raise pytest.UsageError(f"E2E_INTERPRETERS: unknown {sorted(unknown)}")
    return wanted


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "interpreter_agnostic: run once, not once per app interpreter"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "app_interpreter" not in metafunc.fixturenames:
        return
    chosen = chosen_interpreters()
    if metafunc.definition.get_closest_marker("interpreter_agnostic"):
        chosen = chosen[:1]
    metafunc.parametrize("app_interpreter", chosen)


class SlowLink:
    """The site's side of a slow link, for a test that needs one: each response starts after
    `latency` seconds and its body is sent at `rate` bytes a second. Off (None) by default.

    With Chromium's own network emulation (DevTools `Network.emulateNetworkConditions`) a page
    load now and then stalls for good, which none has done without it: about 1 in 200 cold
    visits in the bench's runs, and once a test of this suite.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.latency: float | None = None
        self.rate: float | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        latency, rate = self.latency, self.rate
        if scope["type"] != "http" or (latency is None and rate is None):
            await self.app(scope, receive, send)
            return

        async def paced(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and latency:
                await asyncio.sleep(latency)
            elif message["type"] == "http.response.body" and rate:
                await asyncio.sleep(len(message.get("body", b"")) / rate)
            await send(message)

        await self.app(scope, receive, paced)


class Stack:
    """The served site plus the dev tenant, as a user's browser sees them."""

    def __init__(
        self, site: BackgroundServer, tenant: BackgroundServer, user: Any, link: SlowLink
    ) -> None:
        self.link = link
        self.app_url = site.url
        self.tenant_url = tenant.url
        self.user = user
        self._http = httpx2.Client(base_url=tenant.url, timeout=10)

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the dev tenant's admin API (`/_dev/...`) and return its JSON answer."""
        response = self._http.request(method, "/_dev/" + path.lstrip("/"), **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def requests_to(self, path: str) -> list[dict[str, Any]]:
        """Requests the tenant logged for `path` since the last reset."""
        return [r for r in self.admin("GET", "requests") if r["path"] == path]


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], playwright: Any
) -> dict[str, Any]:
    """Playwright's own Chromium when installed, else the system's (Debian's `chromium`)."""
    args = {**browser_type_launch_args}
    args["args"] = [*args.get("args", []), *CHROMIUM_ARGS]
    try:
        executable = chromium_executable(playwright)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    if executable is not None:
        args["executable_path"] = executable
    return args


@pytest.fixture(scope="session")
def site_config_store() -> dict[str, Any]:
    return {}


@pytest.fixture(scope="session")
def stack(site_config_store: dict[str, Any]) -> Iterator[Stack]:
    if not (serve.VENDOR_DIR / "lock" / "lock.js").is_file():
        pytest.fail("front-end assets are not built: run `npm ci && npm run build`")
    site, tenant = BackgroundServer(), BackgroundServer()
    tenant_config = TenantConfig.default(issuer_base=tenant.url, app_origin=site.url)
    site_config_store.update(serve.dev_tenant_config(tenant.url))
    tenant.start(create_app(tenant_config))
    link = SlowLink(serve.create_site_app(lambda: site_config_store))
    site.start(link)
    yield Stack(site, tenant, tenant_config.users[0], link)
    site.stop()
    tenant.stop()


@pytest.fixture
def app_interpreter() -> str:
    return INTERPRETERS[0]  # replaced by pytest_generate_tests' parameter


@pytest.fixture
def site_config(
    stack: Stack, site_config_store: dict[str, Any], app_interpreter: str
) -> Iterator[dict[str, Any]]:
    """The page's auth0-config.json for this test; changes are undone afterwards."""
    saved = dict(site_config_store)
    site_config_store["interpreter"] = app_interpreter
    yield site_config_store
    site_config_store.clear()
    site_config_store.update(saved)


@pytest.fixture(autouse=True)
def _fresh_tenant(stack: Stack, site_config: dict[str, Any]) -> None:
    stack.admin("POST", "reset")


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.hostname in LOCAL_HOSTS


class BrowserProblems:
    """What a page did that a self-contained, error-free page must not do."""

    def __init__(self) -> None:
        self.offsite: list[str] = []
        self.console_errors: list[str] = []
        self.allowed: list[re.Pattern[str]] = []
        # For a failure report: what the page was still waiting for, and what it logged.
        self.in_flight: dict[Any, str] = {}
        self.console: list[str] = []

    def allow(self, pattern: str) -> None:
        """Tolerate console errors matching `pattern` (a test that provokes them on purpose)."""
        self.allowed.append(re.compile(pattern))

    def watch(self, context: Any, block: bool = True) -> None:
        """Record what pages in `context` do wrong. Off-site requests are blocked by routing,
        which turns Chromium's HTTP cache off; with block=False they are only recorded (for a
        test of what the browser keeps in its cache)."""
        if block:
            context.route(lambda url: not is_local(url), self._block_offsite)
        else:
            context.on("request", self._record_offsite)
        context.on("console", self.record_console)
        context.on("weberror", lambda error: self.record_page_error(error.error))
        context.on("request", lambda request: self.in_flight.update({request: request.url}))
        context.on("requestfinished", lambda request: self.in_flight.pop(request, None))
        context.on("requestfailed", lambda request: self.in_flight.pop(request, None))

    def _block_offsite(self, route: Any) -> None:
        self.offsite.append(route.request.url)
        route.abort("blockedbyclient")

    def _record_offsite(self, request: Any) -> None:
        if not is_local(request.url):
            self.offsite.append(request.url)

    def record_console(self, message: Any) -> None:
        self.console.append(f"{message.type}: {message.text}")
        if message.type == "error":
            self.console_errors.append(message.text)

    def record_page_error(self, error: Any) -> None:
        self.console_errors.append(f"uncaught: {error}")

    def unexpected(self) -> list[str]:
        errors = [e for e in self.console_errors if not any(p.search(e) for p in self.allowed)]
        return [f"request left localhost: {u}" for u in self.offsite] + errors

    def report(self) -> str:
        """What a failed test's pages were doing: unanswered requests, the console's last lines."""
        waiting = sorted(self.in_flight.values()) or ["(none)"]
        logged = self.console[-40:] or ["(nothing)"]
        return "\n".join(["requests without an answer:", *waiting, "console:", *logged])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    problems = getattr(item, "funcargs", {}).get("browser_problems")
    if report.failed and problems is not None:
        report.sections.append(("Browser", problems.report()))
    return report


@pytest.fixture
def browser_problems() -> BrowserProblems:
    return BrowserProblems()


@pytest.fixture
def context(context: Any, browser_problems: BrowserProblems) -> Iterator[Any]:
    """pytest-playwright's context, guarded: off-site requests are blocked and recorded."""
    browser_problems.watch(context)
    yield context
    problems = browser_problems.unexpected()
    assert not problems, "the page misbehaved:\n" + "\n".join(problems)


@pytest.fixture
def slow_link(stack: Stack) -> Iterator[SlowLink]:
    """Each of the site's responses as if over a 50 Mbit/s link, 20 ms to its first byte (a
    server-side stand-in: parallel responses do not share the 50 Mbit/s)."""
    stack.link.latency, stack.link.rate = 0.020, 6.25e6
    yield stack.link
    stack.link.latency = stack.link.rate = None


@pytest.fixture
def unrouted_context(browser: Any, browser_problems: BrowserProblems) -> Iterator[Any]:
    """A context whose off-site requests are recorded, not routed: routing turns Chromium's
    HTTP cache off. Nothing leaves this machine either way (no network here), and the test
    still fails on such a request."""
    context = browser.new_context()
    browser_problems.watch(context, block=False)
    yield context
    context.close()
    problems = browser_problems.unexpected()
    assert not problems, "the page misbehaved:\n" + "\n".join(problems)


@pytest.fixture
def ada_session(stack: Stack, site_config: dict[str, Any]) -> dict[str, str]:
    """A session the tenant issued to its first user, for `pages.load_with_stored`; the
    tenant's request log starts after it."""
    user = stack.user
    values = issue_session(stack, site_config["clientId"], user.email, user.password)
    stack.admin("DELETE", "requests")
    return values
