"""The tutorial's session flow in Chromium: first visit, login through Lock, reload, logout.

Runs against serve.py's site and the dev tenant (fixtures in conftest.py); every test also
fails if a request leaves localhost or the console shows an error.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jwt
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

# Pyodide compiles its stdlib on every cold load: allow for a slow, shared machine.
DECIDED = 60_000
LOCK_UI = 30_000

KEYS = ("id_token", "access_token", "expires_at")


def expect_session(page: Page, value: str) -> None:
    expect(page.locator("body")).to_have_attribute("data-session", value, timeout=DECIDED)


def stored_keys(page: Page) -> dict[str, Any]:
    """The session keys as localStorage holds them (None when absent)."""
    return page.evaluate(
        "keys => Object.fromEntries(keys.map(k => [k, localStorage.getItem(k)]))", list(KEYS)
    )


def open_lock(page: Page) -> None:
    page.locator("#btn-login").click()
    expect(page.locator(".auth0-lock-widget input[name=email]")).to_be_visible(timeout=LOCK_UI)


def submit_lock(page: Page, email: str, password: str) -> None:
    page.locator(".auth0-lock-widget input[name=email]").fill(email)
    page.locator(".auth0-lock-widget input[name=password]").fill(password)
    page.locator(".auth0-lock-widget button[type=submit]").click()


def log_in_through_lock(page: Page, user: Any) -> str:
    """Log in with Lock's form; returns the id_token the tenant put in the redirect."""
    open_lock(page)
    with page.expect_response(
        lambda r: urlsplit(r.url).path == "/authorize" and "login_ticket=" in r.url,
        timeout=LOCK_UI,
    ) as authorize:
        submit_lock(page, user.email, user.password)
    response = authorize.value
    assert response.status == 302
    issued = dict(parse_qsl(urlsplit(response.headers["location"]).fragment))
    expect_session(page, "logged-in")
    return issued["id_token"]


def verify_issued(token: str, tenant_url: str, client_id: str) -> dict[str, Any]:
    """Check the token's signature and claims against the tenant's published keys."""
    keys = jwt.PyJWKClient(tenant_url + "/.well-known/jwks.json")
    return jwt.decode(
        token,
        keys.get_signing_key_from_jwt(token).key,
        algorithms=["RS256"],
        audience=client_id,
        issuer=tenant_url + "/",
    )


def test_first_visit_is_logged_out(page: Page, stack: Any) -> None:
    page.goto(stack.app_url + "/")
    expect(page.locator("#loading")).to_contain_text("Starting Python")
    expect_session(page, "logged-out")
    expect(page.locator("#btn-login")).to_be_visible()
    expect(page.locator("#btn-logout")).to_be_hidden()
    expect(page.locator("#profile")).to_be_hidden()
    expect(page.locator("#notice")).to_be_hidden()
    assert stored_keys(page) == dict.fromkeys(KEYS)


@pytest.mark.parametrize("storage", ["localStorage", "lockr"])
def test_login_reload_logout(
    page: Page, stack: Any, site_config: dict[str, Any], storage: str
) -> None:
    site_config["storage"] = storage
    page.goto(stack.app_url + "/")
    expect_session(page, "logged-out")

    issued = log_in_through_lock(page, stack.user)
    claims = verify_issued(issued, stack.tenant_url, site_config["clientId"])
    expect(page.locator("#profile-name")).to_have_text(stack.user.name)
    expect(page.locator("#profile-email")).to_have_text(stack.user.email)
    picture = page.locator("#profile-picture")
    expect(picture).to_be_visible()
    assert picture.get_attribute("src") == claims["picture"]
    expect(page.locator("#btn-logout")).to_be_visible()
    expect(page.locator("#btn-login")).to_be_hidden()
    assert urlsplit(page.url).fragment == ""  # Lock removed the tokens from the address bar

    raw = stored_keys(page)
    if storage == "lockr":
        assert page.evaluate("() => window.Lockr.get('id_token')") == issued
        assert raw["id_token"] == '{"data":"' + issued + '"}'
    else:
        assert raw["id_token"] == issued
        assert raw["access_token"]
        assert abs(int(raw["expires_at"]) - (claims["iat"] + 7200)) <= 5

    stack.admin("DELETE", "requests")
    page.reload()
    expect_session(page, "logged-in")
    expect(page.locator("#profile-name")).to_have_text(stack.user.name)
    userinfo = [r for r in stack.requests_to("/userinfo") if r["method"] == "GET"]
    assert [r["status"] for r in userinfo] == [200]

    with page.expect_navigation(timeout=DECIDED):
        page.locator("#btn-logout").click()
    expect_session(page, "logged-out")
    assert page.url == stack.app_url + "/"
    assert stored_keys(page) == dict.fromkeys(KEYS)
    expect(page.locator("#profile-name")).to_have_text("")


def test_wrong_password_shows_locks_error(page: Page, stack: Any, browser_problems: Any) -> None:
    browser_problems.allow(r"status of 403")  # the tenant's refusal of /co/authenticate
    page.goto(stack.app_url + "/")
    expect_session(page, "logged-out")
    open_lock(page)
    submit_lock(page, stack.user.email, "not-the-password")
    expect(page.locator(".auth0-global-message-error")).to_contain_text(
        "Wrong email or password", timeout=LOCK_UI
    )
    expect(page.locator("body")).to_have_attribute("data-session", "logged-out")
    assert stored_keys(page) == dict.fromkeys(KEYS)


def stored_in(page: Page, area: str) -> str | None:
    return page.evaluate(f"() => {area}.getItem('id_token')")


@pytest.mark.parametrize("storage", ["sessionStorage", "memory"])
def test_other_storage_kinds(
    page: Page, stack: Any, site_config: dict[str, Any], storage: str
) -> None:
    site_config["storage"] = storage
    page.goto(stack.app_url + "/")
    expect_session(page, "logged-out")
    issued = log_in_through_lock(page, stack.user)
    assert stored_in(page, "localStorage") is None
    assert stored_in(page, "sessionStorage") == (issued if storage == "sessionStorage" else None)

    page.reload()
    if storage == "sessionStorage":
        expect_session(page, "logged-in")
    else:  # the session lived in the page that was left
        expect_session(page, "logged-out")
        expect(page.locator("#notice")).to_be_hidden()


def test_federated_logout_also_ends_the_tenant_session(
    page: Page, stack: Any, site_config: dict[str, Any]
) -> None:
    site_config["logout"] = "federated"
    page.goto(stack.app_url + "/")
    expect_session(page, "logged-out")
    log_in_through_lock(page, stack.user)
    stack.admin("DELETE", "requests")
    with page.expect_navigation(url=stack.app_url + "/", timeout=DECIDED):
        page.locator("#btn-logout").click()
    expect_session(page, "logged-out")
    assert stored_keys(page) == dict.fromkeys(KEYS)
    assert [r["status"] for r in stack.requests_to("/v2/logout")] == [302]
