"""The app loop with fake Lock, storage and DOM: the tutorial's flows end to end, in CPython."""

from __future__ import annotations

from typing import Any

import lock_client
import pytest
import session
import storage
from app import App
from unit_support import (
    NOW,
    FakeDocument,
    FakeLock,
    FakeWebStorage,
    Obj,
    Proxies,
    id_token,
    is_none,
)
from view import View

PROFILE = Obj(sub="auth0|ada", name="Ada Lovelace", email="ada@example.com", picture=None)


class Page:
    """One page load: fresh Lock and DOM over a browser's (persisting) localStorage."""

    def __init__(self, web: FakeWebStorage, config: dict[str, Any] | None = None) -> None:
        self.doc = FakeDocument()
        self.lock = FakeLock()
        self.proxies = Proxies()
        self.visited: list[str] = []
        client = lock_client.LockClient(self.lock, self.proxies, lambda v: v, is_none)
        self.view = View(self.doc)
        self.app = App(
            config or {},
            storage.WebStorage(web, is_none),
            client,
            self.view,
            self.visited.append,
            home_url="http://app.test/",
            clock=lambda: NOW,
        )
        for element_id, event in (
            ("btn-login", session.login_clicked),
            ("btn-logout", session.logout_clicked),
        ):
            self.view.on_click(element_id, self.proxies(self.app.click_handler(event)))
        self.app.start()

    @property
    def session(self) -> str:
        return self.doc.body.attributes["data-session"]

    def answer_profile(self, *args: Any) -> None:
        _, callback = self.lock.profile_callbacks.pop(0)
        callback(*args)


def test_visit_login_reload_logout() -> None:
    web = FakeWebStorage()
    page = Page(web)
    page.lock.emit("hash_parsed", None)
    assert page.session == "logged-out"
    page.doc.elements["btn-login"].click()
    assert page.lock.calls == [("show",)]

    # Lock redirected to the tenant and back: a new page load with the result in the hash.
    page = Page(web)
    assert page.session == "loading"
    token = id_token()
    page.lock.emit("hash_parsed", Obj(accessToken="at"))
    assert page.session == "loading"
    page.lock.emit("authenticated", Obj(idToken=token, accessToken="at", expiresIn=7200))
    assert web.items == {"id_token": token, "access_token": "at", "expires_at": str(NOW + 7200)}
    page.answer_profile(None, PROFILE)
    assert page.session == "logged-in"
    assert page.doc.elements["profile-name"].textContent == "Ada Lovelace"

    page = Page(web)  # reload
    page.lock.emit("hash_parsed", None)
    assert page.lock.calls == [("getProfile", "at")]
    page.answer_profile(None, PROFILE)
    assert page.session == "logged-in"

    page.doc.elements["btn-logout"].click()
    assert web.items == {}
    assert page.visited == ["http://app.test/"]


def test_rejected_token_at_load_is_removed_with_a_notice() -> None:
    web = FakeWebStorage()
    storage.save(
        storage.WebStorage(web, is_none),
        {"id_token": id_token(), "access_token": "at", "expires_at": str(NOW + 60)},
    )
    page = Page(web)
    page.lock.emit("hash_parsed", None)
    page.answer_profile(Obj(statusCode=401, description="invalid token"))
    assert page.session == "logged-out"
    assert web.items == {}
    assert page.doc.elements["notice"].textContent == session.NOTICES[session.UNAUTHORIZED]


def test_every_callback_handed_to_js_is_a_kept_proxy() -> None:
    page = Page(FakeWebStorage())
    page.lock.emit("hash_parsed", None)
    handed = list(page.lock.handlers.values())
    handed += [h for el in page.doc.elements.values() for hs in el.listeners.values() for h in hs]
    assert handed and all(h in page.proxies.made for h in handed)
    kept = page.app.lock._proxies + page.view._listeners
    assert all(any(h is k for k in kept) for h in handed)


def test_an_exception_in_a_rule_marks_the_page_as_error() -> None:
    page = Page(FakeWebStorage())
    page.lock.emit("hash_parsed", None)
    page.app._effects[session.OPEN_LOCK] = lambda value: 1 / 0
    with pytest.raises(ZeroDivisionError):
        page.doc.elements["btn-login"].click()
    assert page.session == "error"
    assert "division by zero" in page.doc.elements["notice"].textContent
