"""The app loop with fake Lock, storage and DOM: the tutorial's flows end to end, in CPython."""

from __future__ import annotations

import json
from typing import Any

import lock_client
import pytest
import session
import storage
import tabs
from app import App
from timer import Timer
from unit_support import (
    JS_NULL,
    NOW,
    FakeChannels,
    FakeClock,
    FakeDocument,
    FakeLock,
    FakeLocks,
    FakePromise,
    FakeWebStorage,
    FakeWindow,
    Obj,
    Proxies,
    id_token,
    is_none,
)
from view import View

PROFILE = Obj(sub="auth0|ada", name="Ada Lovelace", email="ada@example.com", picture=None)


class Page:
    """One page load: fresh Lock, DOM and window over a browser's (persisting) storage.

    `store` and `tabs` default to localStorage and its `storage` event; `clock` is shared
    by the pages of one test (the fake time of the whole browser).
    """

    def __init__(
        self,
        web: FakeWebStorage,
        config: dict[str, Any] | None = None,
        clock: FakeClock | None = None,
        store: Any = None,
        channels: FakeChannels | None = None,
        url_fragment: str | None = None,
        lock_later: bool = False,
        locks: FakeLocks | None = None,
    ) -> None:
        self.doc = FakeDocument()
        self.lock = FakeLock()
        self.proxies = Proxies()
        self.visited: list[str] = []
        self.clock = clock or FakeClock()
        self.window = FakeWindow(self.clock)
        self.web = web
        client = lock_client.LockClient(self.lock, self.proxies, lambda v: v, is_none)
        if lock_later:  # as main.py wires it: Lock's script runs after the first decision
            deferred, ready = lock_client.DeferredLock(), client
            self.lock_ran = lambda: deferred.attach(ready)
            client = deferred
        if locks is not None:  # Web Locks, shared by the tabs of one browser
            self.window.navigator = Obj(locks=locks)
            self.window.Promise = FakePromise
        self.view = View(self.doc)
        self.store = store if store is not None else storage.WebStorage(web, is_none)
        if channels is not None:
            self.window.BroadcastChannel = channels
            kind = "sessionStorage"
        else:
            kind = "localStorage"
        self.app = App(
            config or {},
            self.store,
            client,
            self.view,
            self.visited.append,
            home_url="http://app.test/",
            clock=self.clock,
            timer=Timer(self.window, self.proxies),
            tabs=tabs.create(kind, self.window, self.store, self.proxies, is_none),
            url_fragment=url_fragment,
            renewals=tabs.RenewalTurns(self.window, self.store, self.proxies, is_none),
        )
        for element_id, event in (
            ("btn-login", session.login_clicked),
            ("btn-logout", session.logout_clicked),
            ("btn-retry", session.retry_clicked),
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


def test_a_plain_url_is_decided_without_waiting_for_lock() -> None:
    web = FakeWebStorage()
    assert Page(web, url_fragment="").session == "logged-out"
    storage.save(
        storage.WebStorage(web, is_none),
        {"id_token": id_token(), "access_token": "at", "expires_at": str(NOW + 60)},
    )
    page = Page(web, url_fragment="#section")
    assert page.lock.calls == [("getProfile", "at")]  # before Lock's hash_parsed
    page.answer_profile(None, PROFILE)
    assert page.session == "logged-in"
    page.lock.emit("hash_parsed", None)
    assert (page.session, page.lock.calls) == ("logged-in", [("getProfile", "at")])

    page = Page(web, url_fragment="#access_token=new&state=s")  # a login coming back
    assert (page.session, page.lock.calls) == ("loading", [])


def test_a_visitor_without_a_session_is_told_so_before_lock_has_run() -> None:
    page = Page(FakeWebStorage(), url_fragment="", lock_later=True)
    assert page.session == "logged-out"
    page.doc.elements["btn-login"].click()  # clicked before Lock is there: shown once it is
    assert (page.lock.calls, page.lock.handlers) == ([], {})
    page.lock_ran()
    assert page.lock.calls == [("show",)]
    assert sorted(page.lock.handlers) == sorted(lock_client.LOCK_EVENTS)
    page.doc.elements["btn-login"].click()
    assert page.lock.calls == [("show",), ("show",)]


def test_a_stored_session_is_checked_once_lock_has_run() -> None:
    web = FakeWebStorage()
    save_session(web, id_token(), NOW + 60)
    page = Page(web, url_fragment="", lock_later=True)
    assert (page.session, page.lock.calls) == ("loading", [])
    page.lock_ran()
    assert page.lock.calls == [("getProfile", "at")]
    page.answer_profile(None, PROFILE)
    assert page.session == "logged-in"
    page.doc.elements["btn-logout"].click()
    assert web.items == {}


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
    kept = (
        page.app.lock._proxies
        + list(page.app.lock._pending.values())
        + page.view._listeners
        + page.app.tabs._listeners
    )
    handed += page.window.listeners["storage"]
    assert all(any(h is k for k in kept) for h in handed)


def test_an_exception_in_a_rule_marks_the_page_as_error() -> None:
    page = Page(FakeWebStorage())
    page.lock.emit("hash_parsed", None)
    page.app._effects[session.OPEN_LOCK] = lambda value: 1 / 0
    with pytest.raises(ZeroDivisionError):
        page.doc.elements["btn-login"].click()
    assert page.session == "error"
    assert "division by zero" in page.doc.elements["notice"].textContent


# --- timers and other tabs, through the adapters -------------------------------------------


def logged_in_page(web: FakeWebStorage, clock: FakeClock, **options: Any) -> Page:
    page = Page(web, clock=clock, **options)
    page.lock.emit("hash_parsed", None)
    page.answer_profile(None, PROFILE)
    assert page.session == "logged-in"
    return page


def save_session(web: FakeWebStorage, token: str, expires_at: int) -> None:
    storage.save(
        storage.WebStorage(web, is_none),
        {"id_token": token, "access_token": "at", "expires_at": str(expires_at)},
    )


def test_offline_at_load_keeps_the_session_and_recovers_on_the_timer() -> None:
    web, clock = FakeWebStorage(), FakeClock()
    save_session(web, id_token(name="Ada Lovelace"), NOW + 7200)
    page = Page(web, clock=clock)
    page.lock.emit("hash_parsed", None)
    page.answer_profile(Obj(original=Obj(message="Failed to fetch")))  # no statusCode
    assert page.session == "unverified"
    assert "Could not verify" in page.doc.elements["notice"].textContent
    assert page.doc.elements["profile-name"].textContent == "Ada Lovelace"
    assert "id_token" in web.items
    page.window.advance(1.9)
    assert page.lock.profile_callbacks == []
    page.window.advance(0.2)
    assert [token for token, _ in page.lock.profile_callbacks] == ["at"]
    page.answer_profile(None, PROFILE)
    assert page.session == "logged-in"
    assert "hidden" in page.doc.elements["notice"].attributes


def test_the_retry_button_asks_again_at_once() -> None:
    web, clock = FakeWebStorage(), FakeClock()
    save_session(web, id_token(), NOW + 7200)
    page = Page(web, clock=clock)
    page.lock.emit("hash_parsed", None)
    page.answer_profile(Obj(statusCode=503))
    page.doc.elements["btn-retry"].click()
    assert len(page.lock.profile_callbacks) == 1
    page.answer_profile(Obj(statusCode=401))
    assert page.session == "logged-out"
    assert web.items == {}
    assert page.window.timeouts == {}


def test_the_page_renews_before_expiry_and_logs_out_on_login_required() -> None:
    web, clock = FakeWebStorage(), FakeClock()
    save_session(web, id_token(exp=NOW + 3600), NOW + 7200)
    page = logged_in_page(web, clock)
    page.window.advance(3600 - 61)
    assert page.lock.session_callbacks == []
    page.window.advance(1)
    options, callback = page.lock.session_callbacks.pop()
    assert options == {"timeout": lock_client.CHECK_SESSION_TIMEOUT_MS}
    fresh = id_token(exp=NOW + 7140, iat=NOW + 3540, name="Ada King")
    callback(None, Obj(idToken=fresh, accessToken="at-2", expiresIn=7200))
    assert web.items["id_token"] == fresh
    assert web.items["expires_at"] == str(NOW + 3540 + 7200)
    assert page.doc.elements["profile-name"].textContent == "Ada King"
    page.window.advance(3599)  # the next renewal is due 60 s before the new end
    _, callback = page.lock.session_callbacks.pop()
    callback(Obj(error="login_required", errorDescription="Login required"))
    assert page.session == "logged-out"
    assert web.items == {}
    assert page.doc.elements["notice"].textContent == session.NOTICES[session.ENDED]


def two_tabs_due_for_renewal(locks: FakeLocks) -> tuple[FakeWebStorage, Page, Page]:
    """Two logged-in tabs of one browser whose renewal timers have both fired."""
    web, clock = FakeWebStorage(), FakeClock()
    save_session(web, id_token(exp=NOW + 3600), NOW + 7200)
    one = logged_in_page(web, clock, locks=locks)
    two = logged_in_page(web, clock, locks=locks)
    one.window.advance(3600 - 60)
    two.window.advance(0)
    locks.run()
    return web, one, two


def storage_events(tab: Page) -> None:
    for key in session.KEYS:
        tab.window.fire("storage", Obj(key=key))
    tab.window.advance(0.05)


FRESH = Obj(idToken=id_token(exp=NOW + 7140, iat=NOW + 3540), accessToken="at-2", expiresIn=7200)


def test_open_tabs_renew_the_session_once() -> None:
    locks = FakeLocks()
    web, one, two = two_tabs_due_for_renewal(locks)
    assert len(one.lock.session_callbacks) == 1
    assert two.lock.session_callbacks == []  # waiting for its turn
    _, callback = one.lock.session_callbacks.pop()
    callback(None, FRESH)
    assert web.items["access_token"] == "at-2"
    locks.run()
    # Its turn came after the first tab had stored fresh tokens: it asks nothing ...
    assert ("checkSession",) not in two.lock.calls
    assert locks.held == set()
    storage_events(two)  # ... and takes them on like any change from another tab
    assert two.session == "logged-in"
    assert two.lock.calls.count(("getProfile", "at")) == 1  # no new /userinfo either
    two.window.advance(3541)  # its next renewal is planned from the fresh tokens
    locks.run()
    assert len(two.lock.session_callbacks) == 1


def test_the_next_tab_renews_when_the_first_could_not() -> None:
    locks = FakeLocks()
    web, one, two = two_tabs_due_for_renewal(locks)
    _, callback = one.lock.session_callbacks.pop()
    callback(Obj(error="timeout", description="Timeout during executing web_message"))
    assert web.items["access_token"] == "at"
    locks.run()
    assert len(two.lock.session_callbacks) == 1  # its turn: the session is still the old one
    _, callback = two.lock.session_callbacks.pop()
    callback(None, FRESH)
    assert web.items["access_token"] == "at-2"
    assert two.doc.elements["notice"].textContent == ""


def test_a_tab_that_never_hears_back_lets_the_next_one_renew() -> None:
    locks = FakeLocks()
    web, one, two = two_tabs_due_for_renewal(locks)
    one.window.advance(tabs.RENEWAL_HOLD_MS / 1000)
    locks.run()
    assert len(two.lock.session_callbacks) == 1
    _, callback = one.lock.session_callbacks.pop()
    callback(None, FRESH)  # the first tab's answer comes at last: it is still taken
    assert web.items["access_token"] == "at-2"


def turns_over_fake_locks(kind: str = "localStorage") -> tuple[Any, FakeWindow, Any]:
    """A tab's RenewalTurns over fake Web Locks, its window and its store (holding "at")."""
    window = FakeWindow(FakeClock())
    window.navigator, window.Promise = Obj(locks=FakeLocks()), FakePromise
    store = storage.WebStorage(FakeWebStorage(), is_none)
    store.set("access_token", "at")
    return tabs.renewal_turns(kind, window, store, Proxies(), is_none), window, store


def test_a_late_answer_ends_no_later_turn() -> None:
    turns, window, _ = turns_over_fake_locks()
    first: list[Any] = []
    turns.renew("at", first.append)
    window.navigator.locks.run()
    window.advance(tabs.RENEWAL_HOLD_MS / 1000)  # released by the hold limit
    second: list[Any] = []
    turns.renew("at", second.append)
    window.navigator.locks.run()
    window.advance(tabs.StorageEvents.SETTLE_MS / 1000)  # what the tab before wrote has come
    assert len(second) == 1
    first[0]()  # the first renewal's answer, long after its turn
    assert window.navigator.locks.held == {tabs.RENEWAL_LOCK}
    second[0]()
    assert window.navigator.locks.held == set()


def test_a_renewal_that_cannot_start_is_a_failed_one() -> None:
    locks = FakeLocks()
    web, clock = FakeWebStorage(), FakeClock()
    save_session(web, id_token(exp=NOW + 3600), NOW + 7200)
    one = logged_in_page(web, clock, locks=locks)

    def broken(options: Any, callback: Any) -> None:
        raise RuntimeError("Lock is gone")

    one.lock.checkSession = broken  # type: ignore[method-assign]
    one.window.advance(3600 - 60)
    locks.run()
    assert one.session == "logged-in"
    assert "Could not reach the login server" in one.doc.elements["notice"].textContent
    assert locks.held == set()  # the next tab's turn is not held up


def test_logging_out_while_waiting_for_the_turn_asks_nothing() -> None:
    locks = FakeLocks()
    web, one, two = two_tabs_due_for_renewal(locks)
    two.doc.elements["btn-logout"].click()
    _, callback = one.lock.session_callbacks.pop()
    callback(None, FRESH)  # the first tab renews, then hears of the logout
    locks.run()
    assert ("checkSession",) not in two.lock.calls


@pytest.mark.parametrize("kind", ["sessionStorage", "localStorage"])
def test_a_change_arriving_just_after_the_turn_is_waited_for(kind: str) -> None:
    """The tab before's broadcast (sessionStorage), or its localStorage write, which Chromium
    hands to another tab's renderer a moment later: either can come after this tab's turn."""
    turns, window, store = turns_over_fake_locks(kind)
    started: list[Any] = []
    turns.renew("at", started.append)
    window.navigator.locks.run()
    assert started == []  # the other tab's message may still be on its way ...
    store.set("access_token", "at-2")  # ... and here it is
    window.advance(tabs.StorageEvents.SETTLE_MS / 1000)
    assert started == [] and window.navigator.locks.held == set()
    turns.renew("at-2", started.append)
    window.navigator.locks.run()
    window.advance(tabs.StorageEvents.SETTLE_MS / 1000)
    assert len(started) == 1


@pytest.mark.parametrize("locks", [None, FakeLocks(refuse=True)], ids=["no-web-locks", "refused"])
def test_without_web_locks_each_tab_renews_by_itself(locks: FakeLocks | None) -> None:
    web, clock = FakeWebStorage(), FakeClock()
    save_session(web, id_token(exp=NOW + 3600), NOW + 7200)
    pages = [logged_in_page(web, clock, locks=locks) for _ in range(2)]
    pages[0].window.advance(3600 - 60)
    pages[1].window.advance(0)
    if locks is not None:
        locks.run()
    assert [len(p.lock.session_callbacks) for p in pages] == [1, 1]


class CacheRefusingStorage(FakeWebStorage):
    """A full storage: the session's keys fit, the profile cache does not."""

    def setItem(self, key: str, value: Any) -> None:
        if key == "profile_cache":
            raise RuntimeError("QuotaExceededError")
        super().setItem(key, value)


def test_a_profile_cache_the_browser_refuses_leaves_the_session_working() -> None:
    web, clock = CacheRefusingStorage(), FakeClock()
    save_session(web, id_token(exp=NOW + 3600), NOW + 7200)
    page = logged_in_page(web, clock, config={"profileCacheSeconds": 30})
    assert "profile_cache" not in web.items
    assert page.doc.elements["notice"].textContent == ""
    page.window.advance(3600 - 60)  # the renewal timer was still set
    assert len(page.lock.session_callbacks) == 1


def test_a_profile_cache_spares_the_tenant_on_reload() -> None:
    web, clock = FakeWebStorage(), FakeClock()
    save_session(web, id_token(), NOW + 7200)
    config = {"profileCacheSeconds": 30}
    logged_in_page(web, clock, config=config)
    assert "profile_cache" in web.items
    clock.now += 10
    page = Page(web, config=config, clock=clock)
    page.lock.emit("hash_parsed", None)
    assert page.session == "logged-in"
    assert page.lock.profile_callbacks == []


def test_logout_and_login_reach_the_other_tab_through_the_storage_event() -> None:
    web, clock = FakeWebStorage(), FakeClock()
    save_session(web, id_token(), NOW + 7200)
    one = logged_in_page(web, clock)
    two = logged_in_page(web, clock)
    one.doc.elements["btn-logout"].click()
    two.window.fire("storage", Obj(key="auth0.ignored"))
    two.window.advance(1)
    assert two.session == "logged-in"
    for key in ("id_token", "access_token", "expires_at"):  # one event per key ...
        two.window.fire("storage", Obj(key=key))
    assert two.session == "logged-in"  # ... read once they have settled
    two.window.advance(0.05)
    assert two.session == "logged-out"
    assert two.doc.elements["notice"].textContent == session.NOTICES[session.ELSEWHERE]
    assert two.window.timeouts == {}

    save_session(web, id_token(), NOW + 7200)  # a login in a third tab
    two.window.fire("storage", Obj(key=JS_NULL))
    two.window.advance(0.05)
    two.answer_profile(None, PROFILE)
    assert two.session == "logged-in"


@pytest.mark.parametrize("kind", ["sessionStorage", "memory"])
def test_tabs_without_storage_events_use_a_broadcast_channel(kind: str) -> None:
    clock, channels = FakeClock(), FakeChannels()
    webs = [FakeWebStorage(), FakeWebStorage()]

    def store(web: FakeWebStorage) -> Any:
        return storage.WebStorage(web, is_none) if kind == "sessionStorage" else None

    one = Page(webs[0], clock=clock, store=store(webs[0]), channels=channels)
    two = Page(webs[1], clock=clock, store=store(webs[1]), channels=channels)
    for page in (one, two):
        page.lock.emit("hash_parsed", None)
        assert page.session == "logged-out"
    token = id_token()
    one.lock.emit("authenticated", Obj(idToken=token, accessToken="at", expiresIn=7200))
    assert two.store.get("id_token") == token  # a copy in the other tab's own storage
    one.answer_profile(None, PROFILE)
    two.answer_profile(None, PROFILE)
    assert one.session == two.session == "logged-in"

    two.doc.elements["btn-logout"].click()
    assert one.session == "logged-out"
    assert one.store.get("id_token") is None
    assert json.loads(channels.channels[1].sent[-1])["stored"]["id_token"] is None
    channels.channels[0].postMessage("not ours")  # ignored
    assert one.session == "logged-out"


def test_no_broadcast_channel_means_tabs_stand_alone() -> None:
    window = FakeWindow(FakeClock())
    assert isinstance(
        tabs.create("sessionStorage", window, storage.MemoryStorage(), Proxies(), is_none),
        tabs.NoTabs,
    )


def test_a_halted_app_leaves_its_error_alone() -> None:
    """main.py halts the app when Lock cannot be created: the error it shows stays."""
    web, clock = FakeWebStorage(), FakeClock()
    save_session(web, id_token(), NOW + 7200)
    page = Page(web, clock=clock)
    page.lock.emit("hash_parsed", None)
    page.answer_profile(Obj(statusCode=503))  # unverified, a retry on the timer
    assert page.window.timeouts != {}
    page.app.view.error("The app could not start: Lock did not load")
    page.app.halt()
    assert page.window.timeouts == {}
    page.doc.elements["btn-retry"].click()
    page.lock.emit("hash_parsed", None)
    assert page.session == "error"
    assert page.lock.profile_callbacks == []
