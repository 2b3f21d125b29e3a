"""The tuned Pyodide assets and the stock ones give the page the same behaviour.

The bench (bench/run.py) compares their start-up times; this only checks that what the visitor
sees does not depend on which assets booted the interpreter: a first visit is logged out, a
login through Lock shows the profile, a reload stays logged in.
"""

from __future__ import annotations

from typing import Any

import pytest
from pages import DECIDED, expect_session, open_logged_out
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.interpreter_agnostic]  # picks its own


def vendor_paths(requests: list[str], app_url: str) -> set[str]:
    return {
        url.removeprefix(app_url).split("?")[0]
        for url in requests
        if url.startswith(app_url + "/vendor/")
    }


def walk_through(page: Page, stack: Any) -> None:
    open_logged_out(page, stack.app_url)

    page.click("#btn-login")
    page.fill('.auth0-lock input[name="email"]', stack.user.email)
    page.fill('.auth0-lock input[name="password"]', stack.user.password)
    page.click(".auth0-lock-submit")
    expect_session(page, "logged-in")
    expect(page.locator("#profile-name")).to_have_text(stack.user.name, timeout=DECIDED)

    page.reload()
    expect_session(page, "logged-in")
    expect(page.locator("#profile-name")).to_have_text(stack.user.name, timeout=DECIDED)
    expect(page.locator("#btn-login")).to_be_hidden()


def test_tuned_and_stock_pyodide_behave_alike(
    page: Page, stack: Any, site_config: dict[str, Any]
) -> None:
    fetched: dict[str, list[str]] = {}
    for interpreter in ("pyodide", "pyodide-stock"):
        requests = fetched.setdefault(interpreter, [])
        listener = lambda request, seen=requests: seen.append(request.url)  # noqa: E731
        page.on("request", listener)
        site_config["interpreter"] = interpreter
        page.context.clear_cookies()
        page.goto(stack.app_url + "/auth0-config.json")
        page.evaluate("() => localStorage.clear()")
        walk_through(page, stack)
        page.remove_listener("request", listener)

    tuned = vendor_paths(fetched["pyodide"], stack.app_url)
    stock = vendor_paths(fetched["pyodide-stock"], stack.app_url)
    assert "/vendor/pyodide/python_stdlib.zip" in stock, sorted(stock)
    assert tuned != stock, "the page loads the same Pyodide assets for both interpreters"
    assert not any(path.startswith("/vendor/pyodide/") for path in tuned), sorted(tuned)
