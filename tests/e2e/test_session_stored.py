"""What the page does at load with a session already in storage.

Sessions are issued by the dev tenant over HTTP (the calls Lock makes, without the form) and
written into localStorage before the page loads, then tampered with, aged or replaced.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

DECIDED = 60_000
KEYS = ("id_token", "access_token", "expires_at")
PASSWORD_REALM = "http://auth0.com/oauth/grant-type/password-realm"

# The page's notices (py/session.py NOTICES), by what went wrong.
UNREADABLE = "could not be read"
EXPIRED = "has expired"
INVALID = "no longer valid"


def expect_session(page: Page, value: str) -> None:
    expect(page.locator("body")).to_have_attribute("data-session", value, timeout=DECIDED)


def issue_session(stack: Any, client_id: str, email: str, password: str) -> dict[str, str]:
    """Log in at the tenant as Lock does (/co/authenticate, then /authorize with the ticket)."""
    with httpx.Client(base_url=stack.tenant_url, timeout=10) as http:
        ticket = http.post(
            "/co/authenticate",
            json={
                "client_id": client_id,
                "username": email,
                "password": password,
                "realm": "Username-Password-Authentication",
                "credential_type": PASSWORD_REALM,
            },
            headers={"Origin": stack.app_url},
        )
        ticket.raise_for_status()
        redirect = http.get(
            "/authorize",
            params={
                "client_id": client_id,
                "response_type": "token id_token",
                "redirect_uri": stack.app_url + "/",
                "scope": "openid profile email",
                "state": secrets.token_hex(8),
                "nonce": secrets.token_hex(8),
                "login_ticket": ticket.json()["login_ticket"],
            },
        )
    assert redirect.status_code == 302, redirect.text
    tokens = dict(parse_qsl(urlsplit(redirect.headers["location"]).fragment))
    return {
        "id_token": tokens["id_token"],
        "access_token": tokens["access_token"],
        "expires_at": str(int(time.time()) + int(tokens["expires_in"])),
    }


def load_with_stored(page: Page, stack: Any, values: dict[str, str]) -> None:
    """Write `values` into the app origin's localStorage, then open the app."""
    page.goto(stack.app_url + "/auth0-config.json")
    page.evaluate(
        "values => { for (const [k, v] of Object.entries(values)) localStorage.setItem(k, v) }",
        values,
    )
    page.goto(stack.app_url + "/")


def stored_keys(page: Page) -> dict[str, Any]:
    return page.evaluate(
        "keys => Object.fromEntries(keys.map(k => [k, localStorage.getItem(k)]))", list(KEYS)
    )


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def with_claims(token: str, **changes: Any) -> str:
    """The token with its payload edited and its signature kept: what a tamperer can make."""
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    return ".".join([head, b64url(json.dumps(claims).encode()), signature])


def userinfo_calls(stack: Any) -> list[int]:
    return [r["status"] for r in stack.requests_to("/userinfo") if r["method"] == "GET"]


def expect_removed_with_notice(page: Page, notice: str) -> None:
    expect_session(page, "logged-out")
    expect(page.locator("#notice")).to_be_visible()
    expect(page.locator("#notice")).to_contain_text(notice)
    expect(page.locator("#btn-login")).to_be_visible()
    assert stored_keys(page) == dict.fromkeys(KEYS)


@pytest.fixture
def ada_session(stack: Any, site_config: dict[str, Any]) -> dict[str, str]:
    user = stack.user
    values = issue_session(stack, site_config["clientId"], user.email, user.password)
    stack.admin("DELETE", "requests")
    return values


def test_a_valid_stored_session_is_kept(
    page: Page, stack: Any, ada_session: dict[str, str]
) -> None:
    # The control for the cases below: the same set-up, untouched, logs in.
    load_with_stored(page, stack, ada_session)
    expect_session(page, "logged-in")
    expect(page.locator("#profile-name")).to_have_text(stack.user.name)
    expect(page.locator("#notice")).to_be_hidden()
    assert stored_keys(page) == ada_session
    assert userinfo_calls(stack) == [200]


def test_a_tampered_access_token_is_rejected_by_the_tenant_and_removed(
    page: Page, stack: Any, ada_session: dict[str, str], browser_problems: Any
) -> None:
    browser_problems.allow(r"status of 401")  # /userinfo refuses the forged token
    forged = with_claims(ada_session["access_token"], scope="openid profile email admin")
    load_with_stored(page, stack, {**ada_session, "access_token": forged})
    expect_removed_with_notice(page, INVALID)
    assert userinfo_calls(stack) == [401]


def test_an_id_token_edited_to_another_user_is_removed(
    page: Page, stack: Any, ada_session: dict[str, str]
) -> None:
    # The access token is genuine, so /userinfo answers, but for someone else than the
    # id_token now claims: the page does not show that profile.
    forged = with_claims(ada_session["id_token"], sub="auth0|someone-else", name="Mallory")
    load_with_stored(page, stack, {**ada_session, "id_token": forged})
    expect_removed_with_notice(page, INVALID)
    expect(page.locator("#profile-name")).to_have_text("")


def test_an_expired_session_is_removed_without_asking_the_tenant(
    page: Page, stack: Any, site_config: dict[str, Any]
) -> None:
    stack.admin("POST", "clock", json={"advance": -3 * 3600})  # issued three hours ago
    user = stack.user
    values = issue_session(stack, site_config["clientId"], user.email, user.password)
    stack.admin("POST", "clock", json={"advance": 3 * 3600})
    values["expires_at"] = str(int(time.time()) - 3600)  # the access token ran out too
    stack.admin("DELETE", "requests")
    load_with_stored(page, stack, values)
    expect_removed_with_notice(page, EXPIRED)
    assert userinfo_calls(stack) == []


@pytest.mark.parametrize(
    "values",
    [
        {"id_token": "garbage", "access_token": "garbage", "expires_at": "garbage"},
        {"id_token": "a.b.c", "access_token": "x", "expires_at": "1"},
        {"id_token": "only the tutorial's marker"},
    ],
    ids=["all-garbage", "not-base64", "id-token-only"],
)
def test_a_garbage_stored_session_is_removed_without_asking_the_tenant(
    page: Page, stack: Any, values: dict[str, str]
) -> None:
    stack.admin("DELETE", "requests")
    load_with_stored(page, stack, values)
    expect_removed_with_notice(page, UNREADABLE)
    assert userinfo_calls(stack) == []


def test_a_profile_name_holding_html_is_shown_as_text(
    page: Page, stack: Any, site_config: dict[str, Any]
) -> None:
    name = '<img src=x onerror="document.body.dataset.pwned=1"><b>Eve</b> & "Co"'
    email, password = "eve@example.com", "Correct-Horse-42"
    stack.admin(
        "POST",
        "users",
        json={"email": email, "password": password, "name": name, "picture": "javascript:1"},
    )
    load_with_stored(page, stack, issue_session(stack, site_config["clientId"], email, password))
    expect_session(page, "logged-in")
    expect(page.locator("#profile-name")).to_have_text(name)
    expect(page.locator("#profile-email")).to_have_text(email)
    assert page.locator("#profile-name *").count() == 0
    assert page.locator("body").get_attribute("data-pwned") is None
    picture = page.locator("#profile-picture")
    expect(picture).to_be_hidden()
    assert picture.get_attribute("src") is None
