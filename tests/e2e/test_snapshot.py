"""The opt-in "pyodide-snapshot" interpreter: tuned Pyodide that starts from a memory snapshot
the browser kept from an earlier visit (scripts/build-site.mjs, vendorPyodideSnapshot).

A first visit starts Python afresh and keeps the snapshot once the page has decided; a visit
after it starts from that copy; a copy that does not restore is replaced, and the page starts
as a first visit would.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from pages import DECIDED, expect_session, log_in_through_lock, open_logged_out, serve_page
from playwright.sync_api import Page, expect

import serve
from bench.run import SNAPSHOT_KEPT

pytestmark = [pytest.mark.e2e, pytest.mark.interpreter_agnostic]  # picks its own

RESTORED = "pyodide-snapshot: restored"


def snapshot_entry() -> dict[str, Any]:
    return serve.built_interpreters()["pyodide-snapshot"]


def restored(page: Page) -> bool:
    return page.evaluate("(name) => performance.getEntriesByName(name).length > 0", RESTORED)


def kept(page: Page) -> bool:
    """Waits until the browser keeps the snapshot (the page stored it or started from it)."""
    return page.evaluate(SNAPSHOT_KEPT, 30_000)


def test_a_returning_visitor_starts_python_from_the_kept_snapshot(
    page: Page, stack: Any, site_config: dict[str, Any]
) -> None:
    site_config["interpreter"] = "pyodide-snapshot"
    snapshot = urlsplit(stack.app_url + snapshot_entry()["snapshot"].removeprefix(".")).path
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(urlsplit(request.url).path))

    open_logged_out(page, stack.app_url)
    assert not restored(page)  # nothing kept yet: Python starts afresh
    log_in_through_lock(page, stack.user)
    assert kept(page)

    fetched.clear()
    page.reload()
    expect_session(page, "logged-in")
    expect(page.locator("#profile-name")).to_have_text(stack.user.name, timeout=DECIDED)
    assert restored(page)
    assert snapshot not in fetched  # the browser's own copy, not a download


# Runs in the page: starts the interpreter as boot.js does, with the snapshot; what it drew.
START_AND_DRAW = """async ([module, snapshot]) => {
  const fast = await import(module);
  const pyodide = await fast.prestart({ snapshot });
  return {
    restored: performance.getEntriesByName("pyodide-snapshot: restored").length > 0,
    draw: pyodide.runPython("import random; random.random()"),
  };
}"""


def test_each_page_started_from_the_snapshot_draws_its_own_random_numbers(
    page: Page, stack: Any, site_config: dict[str, Any]
) -> None:
    """The snapshot holds the build's random generator state: fast.mjs seeds it again."""
    entry = snapshot_entry()
    url = stack.app_url + "/_snapshot_random.html"
    serve_page(page, url, "</head><body></body></html>", site_config)
    starts = []
    for _ in range(3):
        page.goto(url)
        starts.append(page.evaluate(START_AND_DRAW, [entry["module"], entry["snapshot"]]))
        assert kept(page)
    assert [start["restored"] for start in starts] == [False, True, True]
    assert len({start["draw"] for start in starts}) == 3


def test_a_kept_snapshot_that_does_not_restore_is_replaced(
    page: Page, stack: Any, site_config: dict[str, Any]
) -> None:
    site_config["interpreter"] = "pyodide-snapshot"
    snapshot = snapshot_entry()["snapshot"]
    page.goto(stack.app_url + "/auth0-config.json")
    page.evaluate(
        """async (url) => {
          const cache = await caches.open("pyodide-snapshot");
          await cache.put(url, new Response("not a snapshot"));
        }""",
        snapshot,
    )
    warnings: list[str] = []
    page.on("console", lambda m: m.type == "warning" and warnings.append(m.text))

    open_logged_out(page, stack.app_url)
    assert not restored(page)
    assert any("the kept snapshot did not restore (not a snapshot file)" in w for w in warnings)
    assert kept(page)

    page.reload()
    expect_session(page, "logged-out")
    assert restored(page)
