"""Two tabs of the app in one browser stay in step: a login shows in the other tab, a logout
(local or federated) logs the other tab out. localStorage and Lockr tabs hear it through the
`storage` event, sessionStorage tabs through a BroadcastChannel.
"""

from __future__ import annotations

from typing import Any

import pytest
from pages import (
    KEYS,
    issue_session,
    load_with_stored,
    log_in_through_lock,
    log_out,
    open_logged_out,
    stored_keys,
)
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

ELSEWHERE = "logged out in another tab"
SYNCED = 30_000  # the other tab asks /userinfo for the profile first

# An unmodified Lock on the app page asks the tenant for a session the way the app's renewal
# does (`checkSession`: a hidden /authorize?prompt=none iframe): "tokens" or the error code.
CHECK_SESSION = """([clientId, domain]) => new Promise((resolve) => {
  const lock = new window.Auth0Lock(clientId, domain, {
    configurationBaseUrl: domain,
    overrides: { __token_issuer: domain + "/" },
    languageBaseUrl: location.origin + "/vendor/lock",
    avatar: null,
    theme: { logo: location.origin + "/vendor/lock/logo.svg" },
    auth: { redirectUrl: location.origin + "/", responseType: "token id_token",
            params: { scope: "openid profile email" } },
  });
  lock.checkSession({}, (err, result) =>
    resolve(err ? String(err.error || err.code) : result && result.idToken ? "tokens" : "none"));
})"""


def check_session(page: Page, site_config: dict[str, Any]) -> str:
    return page.evaluate(CHECK_SESSION, [site_config["clientId"], site_config["domain"]])


def two_tabs(page: Page, stack: Any) -> tuple[Page, Page]:
    other = page.context.new_page()
    for tab in (page, other):
        open_logged_out(tab, stack.app_url)
    return page, other


@pytest.mark.parametrize("storage", ["localStorage", "lockr", "sessionStorage"])
def test_login_and_logout_reach_the_other_tab(
    page: Page, stack: Any, site_config: dict[str, Any], storage: str
) -> None:
    site_config["storage"] = storage
    one, two = two_tabs(page, stack)

    issued = log_in_through_lock(one, stack.user)
    expect(two.locator("body")).to_have_attribute("data-session", "logged-in", timeout=SYNCED)
    expect(two.locator("#profile-name")).to_have_text(stack.user.name)
    expect(two.locator("#notice")).to_be_hidden()
    if storage == "sessionStorage":  # each tab keeps its own copy
        assert stored_keys(two, "sessionStorage")["id_token"] == issued
        assert stored_keys(two, "localStorage") == dict.fromkeys(KEYS)

    log_out(one)
    expect(two.locator("body")).to_have_attribute("data-session", "logged-out", timeout=SYNCED)
    expect(two.locator("#notice")).to_contain_text(ELSEWHERE)
    expect(two.locator("#btn-login")).to_be_visible()
    area = "sessionStorage" if storage == "sessionStorage" else "localStorage"
    assert stored_keys(two, area) == dict.fromkeys(KEYS)


def test_federated_logout_logs_out_every_tab_and_ends_the_tenant_session(
    page: Page, stack: Any, site_config: dict[str, Any]
) -> None:
    site_config["logout"] = "federated"
    one, two = two_tabs(page, stack)
    log_in_through_lock(one, stack.user)
    expect(two.locator("body")).to_have_attribute("data-session", "logged-in", timeout=SYNCED)
    assert check_session(two, site_config) == "tokens"  # the control: the tenant session lives

    stack.admin("DELETE", "requests")
    log_out(one, url=stack.app_url + "/")
    assert [r["status"] for r in stack.requests_to("/v2/logout")] == [302]
    expect(two.locator("body")).to_have_attribute("data-session", "logged-out", timeout=SYNCED)
    expect(two.locator("#notice")).to_contain_text(ELSEWHERE)

    assert check_session(two, site_config) == "login_required"
    assert check_session(one, site_config) == "login_required"


# What the page shows, each time `data-session` changes: [data-session, loading line, name].
WATCH_VIEW = """() => {
  window.seenViews = [];
  const line = document.getElementById("loading-text");
  const name = document.getElementById("profile-name");
  new MutationObserver(() => window.seenViews.push(
    [document.body.dataset.session, line.textContent, name.textContent]
  )).observe(document.body, { attributes: true, attributeFilter: ["data-session"] });
}"""


def test_another_account_from_the_other_tab_is_checked_before_it_is_shown(
    page: Page, stack: Any, site_config: dict[str, Any], ada_session: dict[str, str]
) -> None:
    bob = {"email": "bob@example.com", "password": "Babbage-1791", "name": "Bob Babbage"}
    stack.admin("POST", "users", json=bob)
    bob_session = issue_session(stack, site_config["clientId"], bob["email"], bob["password"])
    load_with_stored(page, stack, ada_session)
    expect(page.locator("#profile-name")).to_have_text(stack.user.name, timeout=SYNCED)
    page.evaluate(WATCH_VIEW)

    other = page.context.new_page()  # another tab stores Bob's session, as the app would
    other.goto(stack.app_url + "/auth0-config.json")
    other.evaluate(
        "([keys, values]) => { for (const k of keys) localStorage.setItem(k, values[k]) }",
        [list(KEYS), bob_session],
    )

    expect(page.locator("#profile-name")).to_have_text(bob["name"], timeout=SYNCED)
    expect(page.locator("body")).to_have_attribute("data-session", "logged-in")
    seen = page.evaluate("window.seenViews")
    loading = [view for view in seen if view[0] == "loading"]
    assert loading, seen
    # Neither Ada's card nor the start-up line while Bob's session is checked.
    assert all(view[1].startswith("Another account is logged in now") for view in loading), seen
    assert all(view[2] == "" for view in loading), seen
