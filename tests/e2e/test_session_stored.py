"""What the page does at load with a session already in storage.

Sessions are issued by the dev tenant over HTTP (the calls Lock makes, without the form) and
written into localStorage before the page loads, then tampered with, aged or replaced.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from pages import (
    KEYS,
    expect_session,
    issue_session,
    load_with_stored,
    stored_keys,
    userinfo_calls,
)
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

# The page's notices (py/session.py NOTICES), by what went wrong.
UNREADABLE = "could not be read"
EXPIRED = "has expired"
INVALID = "no longer valid"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def with_claims(token: str, **changes: Any) -> str:
    """The token with its payload edited and its signature kept: what a tamperer can make."""
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    return ".".join([head, b64url(json.dumps(claims).encode()), signature])


def expect_removed_with_notice(page: Page, notice: str) -> None:
    expect_session(page, "logged-out")
    expect(page.locator("#notice")).to_be_visible()
    expect(page.locator("#notice")).to_contain_text(notice)
    expect(page.locator("#btn-login")).to_be_visible()
    assert stored_keys(page) == dict.fromkeys(KEYS)


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
