"""The tutorial's session flow in Chromium: first visit, login through Lock, reload, logout.

Runs against serve.py's site and the dev tenant (fixtures in conftest.py); every test also
fails if a request leaves localhost or the console shows an error.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from pages import (
    DECIDED,
    KEYS,
    LOCK_UI,
    expect_session,
    log_in_through_lock,
    log_out,
    open_lock,
    open_logged_out,
    stored_keys,
    submit_lock,
    verify_issued,
)
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


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
    open_logged_out(page, stack.app_url)

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

    log_out(page, timeout=DECIDED)
    assert page.url == stack.app_url + "/"
    assert stored_keys(page) == dict.fromkeys(KEYS)
    expect(page.locator("#profile-name")).to_have_text("")


def test_wrong_password_shows_locks_error(page: Page, stack: Any, browser_problems: Any) -> None:
    browser_problems.allow(r"status of 403")  # the tenant's refusal of /co/authenticate
    open_logged_out(page, stack.app_url)
    open_lock(page)
    submit_lock(page, stack.user.email, "not-the-password")
    expect(page.locator(".auth0-global-message-error")).to_contain_text(
        "Wrong email or password", timeout=LOCK_UI
    )
    expect(page.locator("body")).to_have_attribute("data-session", "logged-out")
    assert stored_keys(page) == dict.fromkeys(KEYS)


@pytest.mark.parametrize("storage", ["sessionStorage", "memory"])
def test_other_storage_kinds(
    page: Page, stack: Any, site_config: dict[str, Any], storage: str
) -> None:
    site_config["storage"] = storage
    open_logged_out(page, stack.app_url)
    issued = log_in_through_lock(page, stack.user)
    assert stored_keys(page, "localStorage")["id_token"] is None
    assert stored_keys(page, "sessionStorage")["id_token"] == (
        issued if storage == "sessionStorage" else None
    )

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
    open_logged_out(page, stack.app_url)
    log_in_through_lock(page, stack.user)
    stack.admin("DELETE", "requests")
    log_out(page, url=stack.app_url + "/", timeout=DECIDED)
    assert stored_keys(page) == dict.fromkeys(KEYS)
    assert [r["status"] for r in stack.requests_to("/v2/logout")] == [302]
