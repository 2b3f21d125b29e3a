"""The dev tenant's own HTML pages in Chromium, under the strict policy the tenant sends them.

The hosted login page (`/authorize` without a session, as redirect-based SDKs use it) must
still show its styling, take a password and send the browser on to the app's callback: the
policy allows inline styles and nothing else, and leaves the form's redirects alone. A
violation would show as a console error, which the `context` fixture fails on.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import Page, expect

from serve import CLIENT_ID

pytestmark = [pytest.mark.e2e, pytest.mark.interpreter_agnostic]  # tenant pages, no app Python


def authorize_url(stack: Any, state: str) -> str:
    verifier = secrets.token_urlsafe(32)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    params = {
        "client_id": CLIENT_ID,
        "redirect_uri": stack.app_url + "/",
        "response_type": "code",
        "response_mode": "query",
        "scope": "openid profile email",
        "state": state,
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }
    return f"{stack.tenant_url}/authorize?{urlencode(params)}"


def test_the_hosted_login_page_works_under_its_policy(page: Page, stack: Any) -> None:
    response = page.goto(authorize_url(stack, "hosted-1"))
    assert response is not None and response.ok
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    # The page's inline style applied: the policy allows styles, and only styles.
    assert page.evaluate("getComputedStyle(document.body).maxWidth") == "384px"
    page.get_by_label("Email").fill(stack.user.email)
    page.get_by_label("Password").fill(stack.user.password)
    with page.expect_request(lambda r: r.url.startswith(stack.app_url + "/?")) as back:
        page.get_by_role("button", name="Continue").click()
    answer = parse_qs(urlsplit(back.value.url).query)
    assert answer["state"] == ["hosted-1"] and answer["code"][0]


def test_a_wrong_password_shows_the_form_again(
    page: Page, stack: Any, browser_problems: Any
) -> None:
    browser_problems.allow(r"status of 401")  # the refused password's answer
    page.goto(authorize_url(stack, "hosted-2"))
    page.get_by_label("Email").fill(stack.user.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    page.get_by_label("Email").fill(stack.user.email)
    page.get_by_label("Password").fill(stack.user.password)
    with page.expect_request(lambda r: r.url.startswith(stack.app_url + "/?")):
        page.get_by_role("button", name="Continue").click()
