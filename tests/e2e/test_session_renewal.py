"""Expiry while the page is open: silent renewal with `checkSession` before the tokens run out,
`login_required` logs out, a failed renewal is retried, open tabs renew once between them.

The tenant issues short-lived tokens (`PUT /_dev/lifetimes`) so renewal comes within seconds;
the tests wait on storage and the DOM, never on a fixed sleep. The session is issued through
the browser context's request API, so the tenant's session cookie is in the browser, as after a
login through Lock, and `checkSession`'s hidden iframe carries it.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from pages import (
    KEYS,
    authorize_params,
    co_authenticate_body,
    expect_session,
    load_with_stored,
    stored_keys,
    stored_values,
)
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

LIFETIME = 20  # seconds, both tokens
RENEW_BEFORE = 15  # renewal about LIFETIME / 2 after the page takes the session on
RENEWED = (LIFETIME + 10) * 1000  # ms: the renewal has happened by then, or it never will


def issue_in_browser(page: Page, stack: Any, client_id: str) -> dict[str, str]:
    """Log in at the tenant with the page's cookie jar (as Lock's form does); the tokens."""
    http = page.context.request
    ticket = http.post(
        stack.tenant_url + "/co/authenticate",
        data=co_authenticate_body(client_id, stack.user.email, stack.user.password),
        headers={"Origin": stack.app_url},
    )
    assert ticket.ok, ticket.text()
    redirect = http.get(
        stack.tenant_url + "/authorize",
        params=authorize_params(stack, client_id, ticket.json()["login_ticket"]),
        max_redirects=0,
    )
    assert redirect.status == 302, redirect.text()
    return stored_values(redirect.headers["location"])


@pytest.fixture
def short_session(page: Page, stack: Any, site_config: dict[str, Any]) -> dict[str, str]:
    stack.admin("PUT", "lifetimes", json={"id_token": LIFETIME, "access_token": LIFETIME})
    site_config["renewBeforeSeconds"] = RENEW_BEFORE
    values = issue_in_browser(page, stack, site_config["clientId"])
    stack.admin("DELETE", "requests")
    return values


def wait_for_new_id_token(page: Page, old: str) -> None:
    page.wait_for_function(
        "old => localStorage.getItem('id_token') !== old", arg=old, timeout=RENEWED
    )


def silent_authorize_calls(stack: Any) -> list[int]:
    return [r["status"] for r in stack.requests_to("/authorize")]


def load_past_locks_own_check(page: Page, stack: Any, values: dict[str, str]) -> None:
    """Load the page and wait for Lock's own `prompt=none` call at start-up (its remembered
    login), so a fault injected afterwards meets the page's renewal, not that call."""
    with page.expect_response(
        lambda r: urlsplit(r.url).path == "/authorize" and "prompt=none" in r.url
    ):
        load_with_stored(page, stack, values)


def load_then_fail_renewals(
    page: Page, stack: Any, values: dict[str, str], error: str, times: int
) -> None:
    """Load the page logged in, past Lock's own check; the tenant then answers the next `times`
    silent /authorize calls with `error`."""
    load_past_locks_own_check(page, stack, values)
    stack.admin("POST", "faults", json={"endpoint": "authorize", "error": error, "times": times})
    expect_session(page, "logged-in")


def test_silent_renewal_replaces_the_tokens_before_expiry(
    page: Page, stack: Any, short_session: dict[str, str]
) -> None:
    load_with_stored(page, stack, short_session)
    expect_session(page, "logged-in")
    wait_for_new_id_token(page, short_session["id_token"])
    renewed = stored_keys(page)
    assert renewed["access_token"] != short_session["access_token"]
    assert int(renewed["expires_at"]) > int(short_session["expires_at"])
    # Renewed before the old tokens ran out, and the page never left the logged-in view.
    assert time.time() < int(short_session["expires_at"])
    expect(page.locator("body")).to_have_attribute("data-session", "logged-in")
    expect(page.locator("#profile-name")).to_have_text(stack.user.name)
    expect(page.locator("#notice")).to_be_hidden()
    # Lock's own check at start-up, then the renewal: both silent, both answered.
    assert silent_authorize_calls(stack) == [200, 200]

    # The new access token is the one the page uses from now on: a reload checks with it.
    stack.admin("DELETE", "requests")
    page.reload()
    expect_session(page, "logged-in")
    assert [r["status"] for r in stack.requests_to("/userinfo")] == [200]


def test_login_required_on_renewal_logs_out_with_a_notice(
    page: Page, stack: Any, short_session: dict[str, str]
) -> None:
    load_with_stored(page, stack, short_session)
    expect_session(page, "logged-in")
    # The tenant session ends elsewhere (e.g. a logout from another app of the tenant).
    ended = page.context.request.get(
        stack.tenant_url + "/v2/logout",
        params={"client_id": "pyscript-session-demo", "returnTo": stack.app_url + "/"},
        max_redirects=0,
    )
    assert ended.status == 302
    expect(page.locator("body")).to_have_attribute("data-session", "logged-out", timeout=RENEWED)
    expect(page.locator("#notice")).to_contain_text("ended at the login server")
    expect(page.locator("#btn-login")).to_be_visible()
    assert stored_keys(page) == dict.fromkeys(KEYS)


def test_a_renewal_the_tenant_cannot_serve_is_retried(
    page: Page, stack: Any, short_session: dict[str, str]
) -> None:
    load_then_fail_renewals(page, stack, short_session, "temporarily_unavailable", times=1)
    notice = page.locator("#notice")
    expect(notice).to_contain_text("Could not reach the login server", timeout=RENEWED)
    expect(page.locator("body")).to_have_attribute("data-session", "logged-in")
    wait_for_new_id_token(page, short_session["id_token"])
    expect(notice).to_be_hidden()
    expect(page.locator("body")).to_have_attribute("data-session", "logged-in")


def test_a_session_is_not_kept_past_its_end_when_renewal_keeps_failing(
    page: Page, stack: Any, short_session: dict[str, str]
) -> None:
    load_then_fail_renewals(page, stack, short_session, "server_error", times=100)
    expect(page.locator("body")).to_have_attribute("data-session", "logged-out", timeout=RENEWED)
    assert time.time() >= int(short_session["expires_at"]) - 1  # at the end, not before
    expect(page.locator("#notice")).to_contain_text("has expired")
    assert stored_keys(page) == dict.fromkeys(KEYS)


def test_a_session_ending_with_the_id_token_is_renewed_by_it(
    page: Page, stack: Any, short_session: dict[str, str]
) -> None:
    # The stored expiry is far away, but the id_token's `exp` is near: that one counts.
    values = {**short_session, "expires_at": str(int(time.time()) + 7200)}
    load_with_stored(page, stack, values)
    expect_session(page, "logged-in")
    wait_for_new_id_token(page, values["id_token"])


# Both tabs' renewal lead is the configured one (not half of what is left when each took the
# session on), so both plan it for the same moment: 6 s before the tokens' end.
SAME_MOMENT = 6
NO_RENEWAL_LOCK = """async () => {
  const { held, pending } = await navigator.locks.query();
  return [...held, ...pending].every((lock) => lock.name !== "pyscript-auth0-session-renewal");
}"""


def test_open_tabs_renew_the_session_once(
    page: Page, stack: Any, site_config: dict[str, Any]
) -> None:
    stack.admin("PUT", "lifetimes", json={"id_token": LIFETIME, "access_token": LIFETIME})
    site_config["renewBeforeSeconds"] = SAME_MOMENT
    values = issue_in_browser(page, stack, site_config["clientId"])
    tabs = (page, page.context.new_page())
    for tab in tabs:
        load_past_locks_own_check(tab, stack, values)
        expect_session(tab, "logged-in")
    stack.admin("DELETE", "requests")
    for tab in tabs:
        wait_for_new_id_token(tab, values["id_token"])
    for tab in tabs:  # each tab has had its turn under the renewal lock
        tab.wait_for_function(NO_RENEWAL_LOCK, timeout=RENEWED)
    assert silent_authorize_calls(stack) == [200]
    for tab in tabs:
        expect(tab.locator("body")).to_have_attribute("data-session", "logged-in")
        expect(tab.locator("#profile-name")).to_have_text(stack.user.name)
        expect(tab.locator("#notice")).to_be_hidden()
