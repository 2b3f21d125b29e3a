"""At load, offline is not logout: the tenant down, 5xx and 429 keep the stored session and
retry; only a rejected token removes it. Also the optional `/userinfo` cache.

Sessions are issued over HTTP and written into localStorage before the page loads (see
test_session_stored.py); failures come from the tenant's fault injection or from routing the
tenant's origin to a network error.
"""

from __future__ import annotations

from typing import Any

import pytest
from pages import KEYS, expect_session, load_with_stored, log_out, stored_keys, userinfo_calls
from playwright.sync_api import Page, Route, expect

pytestmark = pytest.mark.e2e

RETRY = 20_000  # automatic retries come 2, 4, 8 s after a failure
COULD_NOT_VERIFY = "Could not verify your session"
ABORTED = r"ERR_FAILED|ERR_CONNECTION_REFUSED|Failed to load resource|net::"


def load_with_failing_userinfo(
    page: Page,
    stack: Any,
    values: dict[str, str],
    browser_problems: Any,
    status: int,
    times: int,
) -> None:
    """Open the app on the stored `values` with the tenant's next `times` /userinfo answers
    replaced by `status` (the console error each refused answer logs is expected)."""
    browser_problems.allow(f"status of {status}")
    stack.admin("POST", "faults", json={"endpoint": "userinfo", "status": status, "times": times})
    load_with_stored(page, stack, values)


def expect_unverified(page: Page, stack: Any, values: dict[str, str], reason: str) -> None:
    """The session is kept and shown as not confirmed, with the reason and Retry Now."""
    expect_session(page, "unverified")
    notice = page.locator("#notice")
    expect(notice).to_contain_text(COULD_NOT_VERIFY)
    expect(notice).to_contain_text(reason)
    expect(notice).to_contain_text("Retrying in")
    expect(page.locator("#btn-retry")).to_be_visible()
    expect(page.locator("#btn-logout")).to_be_visible()
    expect(page.locator("#btn-login")).to_be_hidden()
    expect(page.locator("#profile-name")).to_have_text(stack.user.name)  # from the id_token
    expect(page.locator(".unverified-mark")).to_be_visible()
    expect(page.locator("#profile-picture")).to_be_hidden()
    assert stored_keys(page) == values


def expect_verified(page: Page, stack: Any, values: dict[str, str]) -> None:
    expect(page.locator("body")).to_have_attribute("data-session", "logged-in", timeout=RETRY)
    expect(page.locator("#notice")).to_be_hidden()
    expect(page.locator("#btn-retry")).to_be_hidden()
    expect(page.locator("#profile-picture")).to_be_visible()
    expect(page.locator("#profile-name")).to_have_text(stack.user.name)
    assert stored_keys(page) == values


def test_tenant_down_at_load_keeps_the_session_and_recovers_when_it_is_back(
    page: Page, stack: Any, ada_session: dict[str, str], browser_problems: Any
) -> None:
    browser_problems.allow(ABORTED)
    down: list[str] = []

    def unreachable(route: Route) -> None:
        down.append(route.request.url)
        route.abort("connectionrefused")

    page.route(stack.tenant_url + "/**", unreachable)
    load_with_stored(page, stack, ada_session)
    expect_unverified(page, stack, ada_session, "cannot be reached")
    assert any("/userinfo" in url for url in down)
    assert userinfo_calls(stack) == []  # nothing reached the tenant

    page.unroute(stack.tenant_url + "/**")
    expect_verified(page, stack, ada_session)  # the automatic retry, no click
    assert userinfo_calls(stack) == [200]


@pytest.mark.parametrize(
    "status, reason", [(500, "had a problem"), (429, "is busy")], ids=["500", "429"]
)
def test_a_5xx_or_429_keeps_the_session_and_retry_now_confirms_it(
    page: Page,
    stack: Any,
    ada_session: dict[str, str],
    browser_problems: Any,
    status: int,
    reason: str,
) -> None:
    load_with_failing_userinfo(page, stack, ada_session, browser_problems, status, times=2)
    expect_unverified(page, stack, ada_session, reason)
    # The second answer is refused too; Retry Now asks a third time without waiting.
    expect(page.locator("#notice")).to_contain_text("Retrying in 4 seconds", timeout=RETRY)
    page.locator("#btn-retry").click()
    expect_verified(page, stack, ada_session)
    assert userinfo_calls(stack) == [status, status, 200]


def test_a_401_removes_the_session(
    page: Page, stack: Any, ada_session: dict[str, str], browser_problems: Any
) -> None:
    load_with_failing_userinfo(page, stack, ada_session, browser_problems, 401, times=1)
    expect_session(page, "logged-out")
    expect(page.locator("#notice")).to_contain_text("no longer valid")
    expect(page.locator("#btn-retry")).to_be_hidden()
    assert stored_keys(page) == dict.fromkeys(KEYS)
    assert userinfo_calls(stack) == [401]


def test_log_out_while_unverified_clears_the_session(
    page: Page, stack: Any, ada_session: dict[str, str], browser_problems: Any
) -> None:
    load_with_failing_userinfo(page, stack, ada_session, browser_problems, 503, times=5)
    expect_session(page, "unverified")
    log_out(page)
    assert stored_keys(page) == dict.fromkeys(KEYS)


def test_a_cached_profile_spares_the_tenant_on_reload(
    page: Page, stack: Any, site_config: dict[str, Any], ada_session: dict[str, str]
) -> None:
    site_config["profileCacheSeconds"] = 300
    load_with_stored(page, stack, ada_session)
    expect_session(page, "logged-in")
    cached = page.evaluate("() => JSON.parse(localStorage.getItem('profile_cache'))")
    assert cached["profile"]["name"] == stack.user.name
    page.reload()
    expect_session(page, "logged-in")
    expect(page.locator("#profile-name")).to_have_text(stack.user.name)
    assert userinfo_calls(stack) == [200]  # the reload did not ask again

    site_config["profileCacheSeconds"] = 0  # the control: without the cache, it asks
    page.reload()
    expect_session(page, "logged-in")
    assert userinfo_calls(stack) == [200, 200]
