"""Start-up: the MicroPython build of the page, and failures shown on the page, not hung."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from pages import (
    DECIDED,
    KEYS,
    LOCK_UI,
    expect_session,
    log_out,
    open_lock,
    open_logged_out,
    stored_keys,
    submit_lock,
)
from playwright.sync_api import Page, Route, expect

import serve

pytestmark = pytest.mark.e2e


def wasm_path(interpreter: str) -> str:
    """The site path of the interpreter's wasm, as the build names it."""
    return serve.built_interpreters()[interpreter]["wasm"].removeprefix(".")


def expect_start_error(page: Page, text: str) -> None:
    expect_session(page, "error")
    notice = page.locator("#notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("could not start")
    expect(notice).to_contain_text(text)
    expect(notice).to_have_attribute("data-level", "error")
    expect(page.locator("#loading")).to_be_hidden()
    expect(page.locator("#btn-login")).to_be_hidden()


@pytest.mark.interpreter_agnostic
def test_micropython_runs_the_same_session_flow(
    page: Page, stack: Any, site_config: dict[str, Any]
) -> None:
    site_config["interpreter"] = "micropython"
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url))
    open_logged_out(page, stack.app_url)
    expect(page.locator("#runtime")).to_contain_text("MicroPython")
    assert any(u.endswith(wasm_path("micropython")) for u in scripts)
    assert not any("/vendor/pyodide" in u for u in scripts)

    open_lock(page)
    submit_lock(page, stack.user.email, stack.user.password)
    expect_session(page, "logged-in")
    expect(page.locator("#profile-name")).to_have_text(stack.user.name)
    stored = page.evaluate("() => ({...localStorage})")
    assert stored["id_token"].count(".") == 2
    # MicroPython wraps big JS integers: the expiry must come from Python's clock.
    assert abs(int(stored["expires_at"]) - page.evaluate("() => Date.now() / 1000") - 7200) < 60

    page.reload()
    expect_session(page, "logged-in")
    log_out(page, timeout=DECIDED)
    assert stored_keys(page) == dict.fromkeys(KEYS)


@pytest.mark.parametrize(
    "change, text",
    [
        ({"interpreter": "cobol"}, 'unknown interpreter "cobol"'),
        ({"clientId": ""}, "'clientId' is missing"),
        ({"storage": "cookies"}, "unknown storage 'cookies'"),
    ],
    ids=["unknown-interpreter", "no-client-id", "unknown-storage"],
)
def test_a_broken_config_is_reported_on_the_page(
    page: Page,
    stack: Any,
    site_config: dict[str, Any],
    browser_problems: Any,
    change: dict[str, Any],
    text: str,
) -> None:
    browser_problems.allow(r"PythonError")  # the traceback of the refused config
    site_config.update(change)
    page.goto(stack.app_url + "/")
    expect_start_error(page, text)


@pytest.mark.parametrize(
    "status, body, text",
    [(404, "Not found", "HTTP 404"), (200, "{not json", "not valid JSON")],
    ids=["missing", "not-json"],
)
def test_an_unreadable_config_file_is_reported_on_the_page(
    page: Page, stack: Any, browser_problems: Any, status: int, body: str, text: str
) -> None:
    browser_problems.allow(r"status of 404")
    page.route(
        "**/auth0-config.json",
        lambda route: route.fulfill(status=status, body=body, content_type="application/json"),
    )
    page.goto(stack.app_url + "/")
    expect_start_error(page, text)


@pytest.mark.parametrize(
    "status, content_type, text",
    [(404, "text/plain", "HTTP 404"), (200, "application/octet-stream", "not application/wasm")],
    ids=["missing", "wrong-type"],
)
def test_a_broken_interpreter_binary_is_reported_instead_of_hanging(
    page: Page,
    stack: Any,
    browser_problems: Any,
    app_interpreter: str,
    status: int,
    content_type: str,
    text: str,
) -> None:
    browser_problems.allow(r"status of 404|wasm|WebAssembly|ArrayBuffer instantiation")

    def broken(route: Route) -> None:
        route.fulfill(status=status, body=b"\0asm-not-really", content_type=content_type)

    page.route("**" + wasm_path(app_interpreter), broken)
    page.goto(stack.app_url + "/")
    expect_start_error(page, text)


@pytest.mark.parametrize(
    "script, text",
    [
        ("vendor/pyscript/core.js", "PyScript did not load"),
        ("vendor/lock/lock.js", "lock.js did not load"),
    ],
    ids=["pyscript", "lock"],
)
def test_a_script_that_cannot_load_is_reported_instead_of_hanging(
    page: Page, stack: Any, browser_problems: Any, script: str, text: str
) -> None:
    # On MicroPython, Lock is asked for by py/main.py: its traceback goes to the console too.
    browser_problems.allow(r"status of 404|core\.js|lock\.js did not load")
    page.route(
        "**/" + script,
        lambda route: route.fulfill(status=404, body="gone", content_type="text/plain"),
    )
    page.goto(stack.app_url + "/")
    expect_start_error(page, text)


@pytest.mark.interpreter_agnostic
@pytest.mark.parametrize("edited", [False, True], ids=["as-built", "edited-since"])
def test_micropython_imports_the_app_from_its_bytecode_unless_py_changed(
    page: Page, stack: Any, site_config: dict[str, Any], tmp_path: Any, edited: bool
) -> None:
    """As built, the page asks for no app module's source: their bytecode comes in one bundle.
    Once a py/ module differs from the build's (serve.py serves py/ live), serve.py's
    interpreters.json has no bundle, and the page runs the sources, the edited one included."""
    site_config["interpreter"] = "micropython"
    py = tmp_path / "py"
    py.mkdir()
    for module in serve.PY_DIR.glob("*.py"):
        (py / module.name).write_bytes(module.read_bytes())
    if edited:
        with (py / "view.py").open("a") as view:
            view.write("\nimport js\njs.document.body.dataset.edited = 'yes'\n")
    page.route(
        "**/vendor/interpreters.json",
        lambda route: route.fulfill(json=serve.current_interpreters(serve.VENDOR_DIR, py)),
    )
    page.route("**/py/view.py", lambda route: route.fulfill(path=py / "view.py"))
    asked: list[str] = []
    page.on("request", lambda request: asked.append(urlsplit(request.url).path))
    open_logged_out(page, stack.app_url)
    sources = sorted(path for path in asked if path.startswith("/py/"))
    bundles = [path for path in asked if path.endswith("/bytecode.bin")]
    if edited:
        expect(page.locator("body")).to_have_attribute("data-edited", "yes")
        assert sources == sorted("/py/" + m.name for m in serve.PY_DIR.glob("*.py"))
        assert bundles == []
    else:
        assert page.locator("body").get_attribute("data-edited") is None
        assert sources == ["/py/main.py"]
        assert len(bundles) == 1


# Run by the app's own MicroPython once the page has decided: a second script with the app
# script's config shares its interpreter. The bundle's pyscript/__init__ imports a submodule
# when one of its names is first asked for (scripts/lazy_pyscript_init.py).
LAZY_PACKAGE_CHECK = """
import json, sys
import pyscript
from pyscript import document
before = sorted(name for name in sys.modules if name.startswith("pyscript."))
from pyscript import HTML
from pyscript import display, when, Event, storage, Storage, WebSocket, web
try:
    pyscript.no_such_name
    missing = "found"
except AttributeError:
    missing = "AttributeError"
document.body.dataset.lazyCheck = json.dumps({
    "file": pyscript.__file__,
    "before": before,
    "kinds": [
        type(v).__name__ for v in (HTML, display, when, Event, storage, Storage, WebSocket, web)
    ],
    "display": display is pyscript.display and display is sys.modules["pyscript.display"].display,
    "missing": missing,
})
"""

ADD_SCRIPT_LIKE_THE_APPS = """([code, type]) => {
  const app = document.querySelector(`script[type="${type}"]`);
  const script = document.createElement("script");
  script.type = type;
  script.setAttribute("config", app.getAttribute("config"));
  script.textContent = code;
  document.body.append(script);
}"""


@pytest.mark.interpreter_agnostic
@pytest.mark.parametrize(
    ("interpreter", "script_type", "file", "storage_kind"),
    [
        # MicroPython: the .mpy the bundle wrote; an async function is a generator there.
        ("micropython", "mpy", "/bytecode/pyscript/__init__", "generator"),
        # Pyodide: the source PyScript wrote, imported from the bundle's unchecked pyc.
        ("pyodide", "py", "/home/pyodide/pyscript/__init__.py", "function"),
    ],
)
def test_pyscript_submodules_are_imported_when_their_names_are_asked_for(
    page: Page,
    stack: Any,
    site_config: dict[str, Any],
    interpreter: str,
    script_type: str,
    file: str,
    storage_kind: str,
) -> None:
    """PyScript's own start and the app's imports leave display, events, storage, websocket and
    workers unimported; every name the package re-exports still imports, the right object."""
    site_config["interpreter"] = interpreter
    open_logged_out(page, stack.app_url)
    page.evaluate(ADD_SCRIPT_LIKE_THE_APPS, [LAZY_PACKAGE_CHECK, script_type])
    expect(page.locator("body[data-lazy-check]")).to_have_count(1, timeout=30_000)
    result = json.loads(page.locator("body").get_attribute("data-lazy-check") or "")
    assert result["file"].startswith(file)
    for module in ("display", "events", "storage", "websocket", "workers"):
        assert f"pyscript.{module}" not in result["before"]
    assert "pyscript.context" in result["before"]
    assert result["kinds"] == [
        "type",
        "function",
        "function",
        "type",
        storage_kind,
        "type",
        "type",
        "module",
    ]
    assert result["display"] is True
    assert result["missing"] == "AttributeError"


@pytest.mark.interpreter_agnostic
@pytest.mark.parametrize("interpreter", ["pyodide", "micropython"])
@pytest.mark.parametrize(
    "status, body",
    [(404, b"gone"), (200, b"\xff\xff\xff\x7fnot a bundle")],
    ids=["missing", "garbled"],
)
def test_a_bytecode_bundle_that_cannot_be_read(
    page: Page,
    stack: Any,
    site_config: dict[str, Any],
    browser_problems: Any,
    interpreter: str,
    status: int,
    body: bytes,
) -> None:
    """Pyodide's bundle only saves compiling: without a usable one, Python compiles from source.
    MicroPython's stands in for the app's sources, which boot.js then no longer hands PyScript:
    without it the page cannot start, and says why instead of hanging."""
    site_config["interpreter"] = interpreter
    entry = serve.built_interpreters()[interpreter]
    bundle = (entry.get("pycache") or entry["bytecode"]).removeprefix(".")
    browser_problems.allow(r"status of 404|bytecode\.bin")
    warnings: list[str] = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    page.route(
        "**" + bundle,
        lambda route: route.fulfill(
            status=status, body=body, content_type="application/octet-stream"
        ),
    )
    if interpreter == "pyodide":
        open_logged_out(page, stack.app_url)
        assert [w for w in warnings if bundle in w and "compiles from source" in w], warnings
    else:
        page.goto(stack.app_url + "/")
        expect_start_error(page, "HTTP 404" if status == 404 else "is not a bundle of files")


SPINNER_TIMING = """() => {
  const [turn] = document.querySelector("#loading .spinner").getAnimations();
  const { delay, iterations } = turn.effect.getTiming();
  return { delay, iterations: Number.isFinite(iterations) ? iterations : null };
}"""


def test_a_start_up_file_that_stalls_is_reported_on_the_loading_line(
    page: Page, stack: Any
) -> None:
    """A file that never arrives fails nothing: after 15 s the page says it is still starting."""
    stalled: list[Route] = []
    page.route("**/vendor/pyscript/core.js", lambda route: stalled.append(route))  # no answer
    page.clock.install()
    page.goto(stack.app_url + "/")
    line = page.locator("#loading .loading-text")
    expect(line).to_have_text("Starting Python and checking your session…")
    expect(page.locator("#loading .spinner")).to_be_visible()
    # The ring turns once the start has taken a second (web/app.css: frames cost a busy page).
    timing = page.evaluate(SPINNER_TIMING)
    assert timing == {"delay": 1000, "iterations": None}  # JSON has no Infinity
    page.wait_for_function("() => globalThis.sessionAppConfig !== undefined")  # boot.js is waiting
    page.clock.run_for(16_000)
    expect(line).to_contain_text("taking longer than usual")
    expect(page.locator("body")).to_have_attribute("data-session", "loading")
    assert stalled, "core.js was never asked for"
    stalled[0].continue_()  # it arrives after all: the page starts, and the line reads as before
    expect_session(page, "logged-out")
    expect(line).to_have_text("Starting Python and checking your session…")


def test_lock_that_cannot_start_is_reported_inline(
    page: Page, stack: Any, site_config: dict[str, Any], browser_problems: Any
) -> None:
    browser_problems.allow(r"status of 404")  # the tenant has no such client
    site_config["clientId"] = "no-such-client"
    open_logged_out(page, stack.app_url)
    expect(page.locator("#notice")).to_contain_text("no-such-client", timeout=LOCK_UI)


def test_an_error_returned_in_the_url_is_shown_in_the_pages_own_words(
    page: Page, stack: Any, site_config: dict[str, Any]
) -> None:
    """A link can carry any description: the page names the error code's meaning instead."""
    description = "Your account is locked: call <b>+1 555 0100</b>"
    page.goto(
        stack.app_url + "/#error=access_denied&error_description=" + quote(description) + "&state=x"
    )
    expect_session(page, "logged-out")
    expect(page.locator("#notice")).to_have_text("The login was refused.")
    assert page.evaluate("() => location.hash") == ""
    assert page.evaluate("() => localStorage.getItem('id_token')") is None


def test_each_page_load_starts_one_interpreter(
    page: Page, stack: Any, slow_link: Any, site_config: dict[str, Any], app_interpreter: str
) -> None:
    """boot.js starts the interpreter early; PyScript gets that one, never a second.

    Two MicroPythons in one page corrupt each other's globals ("NULL object"); which of the two
    asks first is a race, likelier on a slower link, so the site answers as if over a 50 Mbit/s,
    20 ms one. tests/unit/check_interpreter_wrappers.mjs pins both orders.
    """
    documents: list[str] = []
    interpreters: list[str] = []

    def count(request: Any) -> None:
        app_page = request.url.startswith(stack.app_url)
        if request.resource_type == "document" and request.frame == page.main_frame and app_page:
            documents.append(request.url)
        elif request.method == "GET" and request.url.endswith(wasm_path(app_interpreter)):
            interpreters.append(request.url)

    page.on("request", count)
    open_logged_out(page, stack.app_url)
    open_lock(page)
    submit_lock(page, stack.user.email, stack.user.password)  # comes back through a redirect
    expect_session(page, "logged-in")
    page.reload()
    expect_session(page, "logged-in")
    assert len(documents) == 3, documents
    assert len(interpreters) == len(documents)


def test_each_start_up_file_is_asked_for_once(
    page: Page, stack: Any, site_config: dict[str, Any], app_interpreter: str
) -> None:
    """index.html preloads the configs boot.js reads, and boot.js preloads the files the
    interpreter and PyScript ask for later: each preload must be the very request its reader
    uses, not a second download of the same file (a preload and a fetch() for one file)."""
    asked: Counter[str] = Counter()

    def count(request: Any) -> None:
        if request.method == "GET" and request.url.startswith(stack.app_url):
            asked[request.url.removeprefix(stack.app_url)] += 1

    page.on("request", count)
    open_logged_out(page, stack.app_url)
    entry = serve.built_interpreters()[app_interpreter]
    expected = ["/auth0-config.json", "/pyscript.json", "/vendor/interpreters.json"]
    expected.append("/vendor/pyscript/core.js")
    preloaded = [entry["module"], *entry["scriptpreload"], *entry["modulepreload"]]
    expected += [url.removeprefix(".") for url in preloaded + entry["fetchpreload"]]
    assert [url for url in expected if url not in asked] == []
    assert {url: n for url, n in asked.items() if n > 1} == {}


@pytest.mark.parametrize("storage", ["localStorage", "lockr"])
def test_lockr_is_loaded_only_where_the_session_is_kept_with_it(
    page: Page, stack: Any, site_config: dict[str, Any], storage: str
) -> None:
    """Every page runs Lock; Lockr is read, once, only when the config keeps the session with it."""
    site_config["storage"] = storage
    asked: Counter[str] = Counter()
    page.on("request", lambda request: asked.update([urlsplit(request.url).path]))
    open_logged_out(page, stack.app_url)
    page.wait_for_function("() => window.Auth0Lock !== undefined")  # the scripts have run
    assert asked["/vendor/lock/lock.js"] == 1
    assert asked["/vendor/lockr/lockr.js"] == (1 if storage == "lockr" else 0)
    assert page.evaluate("() => 'Lockr' in window") == (storage == "lockr")


def test_a_repeat_visit_takes_the_interpreter_from_the_browser_cache(
    unrouted_context: Any, stack: Any, site_config: dict[str, Any], app_interpreter: str
) -> None:
    """The interpreter's files sit in a folder named by their content, so the browser keeps them
    and a second visit does not ask the server for any of them (boot.js and the configs it still
    asks for, and gets a 304)."""
    module = serve.built_interpreters()[app_interpreter]["module"]
    folder = stack.app_url + module.removeprefix(".").rsplit("/", 1)[0] + "/"
    page = unrouted_context.new_page()  # routing would turn the HTTP cache off
    open_logged_out(page, stack.app_url)
    cdp = unrouted_context.new_cdp_session(page)
    cdp.send("Network.enable")
    requested: dict[str, str] = {}
    from_cache: set[str] = set()
    asked_server: set[str] = set()

    def sent(event: dict[str, Any]) -> None:
        if event["request"]["method"] == "GET":  # boot.js's wasm check is a HEAD
            requested[event["requestId"]] = event["request"]["url"]

    def received(event: dict[str, Any]) -> None:
        response = event["response"]
        if response.get("fromDiskCache") or response.get("fromPrefetchCache"):
            from_cache.add(event["requestId"])
        else:
            asked_server.add(event["requestId"])

    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.requestServedFromCache", lambda event: from_cache.add(event["requestId"]))
    cdp.on("Network.responseReceived", received)
    page.goto(stack.app_url + "/")
    expect_session(page, "logged-out")
    tuned = {rid: url for rid, url in requested.items() if url.startswith(folder)}
    assert tuned, f"the second visit loaded nothing from {folder}"
    assert all(rid in from_cache for rid in tuned), [
        url for rid, url in tuned.items() if rid not in from_cache
    ]
    boot = [rid for rid, url in requested.items() if url.endswith("/boot.js")]
    assert boot and all(rid in asked_server for rid in boot)  # revalidated, as before
