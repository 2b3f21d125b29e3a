"""Entry point the page runs (Pyodide or MicroPython): reads the config and wires the app."""

import json

import lock_client
import session
import storage
import tabs
from app import App
from pyscript import document, fetch, window
from pyscript.ffi import create_proxy, is_none, jsnull, to_js
from timer import Timer
from view import View

view = View(document)
# The window object itself: on MicroPython `pyscript.window` is the `js` module, whose
# functions (`setTimeout`, `addEventListener`) lose their `this` when called through it.
browser = window.window


async def read_config():
    handed = getattr(window, "sessionAppConfig", None)  # boot.js has read it already
    if handed is None or is_none(handed):
        response = await fetch("./auth0-config.json")
        if not response.ok:
            raise RuntimeError(f"auth0-config.json: HTTP {response.status}")
        handed = await response.text()
    config = json.loads(str(handed))
    for key in ("domain", "clientId"):
        if not isinstance(config.get(key), str) or not config[key]:
            raise ValueError(f"auth0-config.json: '{key}' is missing")
    return config


def open_storage(config):
    """(kind, store): the configured storage; in-memory (with a notice) when refused."""
    kind = storage.kind_from_config(config)
    try:
        store = storage.create(kind, window, is_none)
        store.get(session.ID_TOKEN)  # a blocked storage throws on first use
        return kind, store
    except Exception:
        if kind == "lockr" and is_none(getattr(window, "Lockr", None)):
            raise RuntimeError("Lockr did not load (vendor/lockr/lockr.js)") from None
        view.notice("This browser does not allow saving the session; it lasts for this page only.")
        return "memory", storage.MemoryStorage()


def create_lock(config, site_url):
    if is_none(getattr(window, "Auth0Lock", None)):
        raise RuntimeError("Lock did not load (vendor/lock/lock.js)")
    options = lock_client.lock_options(config, site_url, null=jsnull)
    lock = window.Auth0Lock.new(config["clientId"], config["domain"], to_js(options))
    return lock_client.LockClient(lock, create_proxy, to_js, is_none)


def navigate(url):
    window.location.assign(url)


async def scripts_ran():
    """Lock and Lockr have run (boot.js runs them once, on the first call)."""
    await browser.sessionScripts()


async def start():
    config = await read_config()
    # The page's folder: the site may sit below a static host's root (https://host/app/).
    site_url = str(window.URL.new(".", window.location.href).href)
    if storage.kind_from_config(config) == "lockr":
        await scripts_ran()  # Lockr holds the session
    kind, store = open_storage(config)
    lock = lock_client.DeferredLock()
    app = App(
        config,
        store,
        lock,
        view,
        navigate,
        home_url=site_url,
        timer=Timer(browser, create_proxy),
        tabs=tabs.create(kind, browser, store, create_proxy, is_none),
        renewals=tabs.renewal_turns(kind, browser, store, create_proxy, is_none),
        url_fragment=str(window.location.hash),
    )
    for element_id, event in (
        ("btn-login", session.login_clicked),
        ("btn-logout", session.logout_clicked),
        ("btn-retry", session.retry_clicked),
    ):
        view.on_click(element_id, create_proxy(app.click_handler(event)))
    try:
        app.start()  # a visitor without a session (and no login in the URL) is told so now
        await scripts_ran()
        lock.attach(create_lock(config, site_url))
    except Exception:
        app.halt()  # the page shows the error; a stored session must not be retried over it
        raise
    return app


try:
    APP = await start()  # noqa: F704 (PyScript runs top-level await)
except Exception as exc:
    view.error(f"The app could not start: {exc}")
    raise
