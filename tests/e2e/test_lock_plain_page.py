"""The unmodified Lock 14 (bundled from npm) on a plain page, against the dev tenant, in Chromium.

No PyScript here: this checks that the tenant speaks what Lock and auth0-js expect. The page
(tests/e2e/lock_plain/) is served at `/` of its own origin, next to its own tenant, so Lock's
default redirect URL is that origin's `/`, the default config's Allowed Callback URL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest
from pages import LOCK_UI, submit_lock
from playwright.sync_api import Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from devtenant import TenantConfig, create_app
from serving import BackgroundServer

pytestmark = [pytest.mark.e2e, pytest.mark.interpreter_agnostic]  # Lock alone, no app Python

ROOT = Path(__file__).resolve().parents[2]
PAGE_DIR = Path(__file__).resolve().parent / "lock_plain"
VENDOR = ROOT / "dist" / "vendor"
ADA, ADA_PASSWORD = "ada@example.com", "Lovelace-1815"


@dataclass
class PlainSite:
    url: str
    tenant_url: str
    http: httpx2.Client

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, "/_dev/" + path, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def logged(self, path: str) -> list[int]:
        return [r["status"] for r in self.admin("GET", "requests") if r["path"] == path]


def static_site(tenant_url: str) -> Starlette:
    async def index(request: Request) -> Response:
        return FileResponse(PAGE_DIR / "index.html")

    async def script(request: Request) -> Response:
        return FileResponse(PAGE_DIR / "lock-plain.js", media_type="application/javascript")

    async def config(request: Request) -> Response:
        body = f"window.TENANT_URL = {json.dumps(tenant_url)};\n"
        return Response(body, media_type="application/javascript")

    return Starlette(
        routes=[
            Route("/", index),
            Route("/lock-plain.js", script),
            Route("/config.js", config),
            Mount("/vendor", StaticFiles(directory=VENDOR)),
        ]
    )


@pytest.fixture(scope="module")
def plain() -> Iterator[PlainSite]:
    if not (VENDOR / "lock" / "lock.js").is_file():
        pytest.fail("Lock is not bundled: run `npm ci && npm run build`")
    site, tenant = BackgroundServer(), BackgroundServer()
    site_url, tenant_url = site.url, tenant.url
    config = TenantConfig.default(issuer_base=tenant_url, app_origin=site_url)
    tenant.start(create_app(config))
    site.start(static_site(tenant_url))
    with httpx2.Client(base_url=tenant_url, timeout=10) as http:
        yield PlainSite(site_url, tenant_url, http)
    site.stop()
    tenant.stop()


@pytest.fixture(autouse=True)
def _fresh_plain_tenant(plain: PlainSite) -> None:
    plain.admin("POST", "reset")


def open_lock(page: Page, plain: PlainSite, screen: str = "login") -> None:
    page.goto(plain.url + "/")
    page.wait_for_function("() => window.plain !== undefined")
    page.evaluate("screen => window.plain.show({initialScreen: screen})", screen)
    expect(page.locator(".auth0-lock-widget input[name=email]")).to_be_visible(timeout=LOCK_UI)


def lock_event(page: Page, name: str) -> Any:
    """The payload of Lock's first `name` event on this page, waiting for it."""
    page.wait_for_function(
        "name => window.lockEvents && window.lockEvents.some(e => e.name === name)",
        arg=name,
        timeout=LOCK_UI,
    )
    return page.evaluate("name => window.lockEvents.find(e => e.name === name).payload", name)


def test_lock_renders_with_the_tenants_client_settings_and_dictionary(
    page: Page, plain: PlainSite
) -> None:
    open_lock(page, plain)
    expect(page.locator(".auth0-lock-widget input[name=password]")).to_be_visible()
    expect(page.locator(".auth0-lock-widget")).to_contain_text("Sign Up")
    expect(page.locator(".auth0-lock-widget")).to_contain_text("Don't remember your password?")
    assert plain.logged("/client/pyscript-session-demo.js") == [200]
    assert lock_event(page, "hash_parsed") is None


def test_wrong_password_shows_locks_error(
    page: Page, plain: PlainSite, browser_problems: Any
) -> None:
    browser_problems.allow(r"status of 403")  # the tenant's refusal of /co/authenticate
    open_lock(page, plain)
    submit_lock(page, ADA, "not-the-password")
    expect(page.locator(".auth0-global-message-error")).to_contain_text(
        "Wrong email or password", timeout=LOCK_UI
    )
    assert plain.logged("/co/authenticate") == [403]
    assert plain.logged("/authorize") == [200]  # only Lock's own remembered-login check


def test_login_profile_check_session_and_logout(page: Page, plain: PlainSite) -> None:
    open_lock(page, plain)
    submit_lock(page, ADA, ADA_PASSWORD)
    result = lock_event(page, "authenticated")
    assert result["accessToken"] and result["idToken"]
    assert result["tokenType"] == "Bearer" and result["expiresIn"] == 7200
    assert result["idTokenPayload"]["email"] == ADA
    assert result["idTokenPayload"]["iss"] == plain.tenant_url + "/"
    assert urlsplit(page.url).fragment == ""

    profile = page.evaluate("token => window.plain.getProfile(token)", result["accessToken"])
    assert profile["result"]["email"] == ADA
    assert profile["result"]["name"] == "Ada Lovelace"
    assert profile["result"]["sub"] == result["idTokenPayload"]["sub"]

    session = page.evaluate("() => window.plain.checkSession()")
    assert session["result"]["accessToken"] and session["result"]["idToken"]
    assert session["result"]["idTokenPayload"]["sub"] == result["idTokenPayload"]["sub"]

    page.evaluate("() => window.plain.logout()")
    page.wait_for_url(plain.url + "/", timeout=LOCK_UI)
    page.wait_for_function("() => window.plain !== undefined")
    assert plain.logged("/v2/logout") == [302]
    after = page.evaluate("() => window.plain.checkSession()")
    assert after["error"]["error"] == "login_required"


def test_sign_up_creates_the_user_and_logs_in(page: Page, plain: PlainSite) -> None:
    open_lock(page, plain, screen="signUp")
    submit_lock(page, "grace@example.com", "Hopper-1906")
    result = lock_event(page, "authenticated")
    assert result["idTokenPayload"]["email"] == "grace@example.com"
    users = [u["email"] for u in plain.admin("GET", "users")]
    assert "grace@example.com" in users
    assert plain.logged("/dbconnections/signup") == [200]


def test_forgot_password_sends_a_reset_email_whose_link_sets_a_new_password(
    page: Page, plain: PlainSite
) -> None:
    open_lock(page, plain, screen="forgotPassword")
    submit_lock(page, ADA, None)
    expect(page.locator(".auth0-global-message-success")).to_contain_text(
        "We've just sent you an email to reset your password.", timeout=LOCK_UI
    )
    (email,) = [e for e in plain.admin("GET", "emails") if e["kind"] == "reset_password"]
    assert email["to"] == ADA

    page.goto(email["link"])
    page.locator("input[name=password]").fill("Babbage-1822")
    page.locator("button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Password changed")

    open_lock(page, plain)
    submit_lock(page, ADA, "Babbage-1822")
    assert lock_event(page, "authenticated")["idTokenPayload"]["email"] == ADA
