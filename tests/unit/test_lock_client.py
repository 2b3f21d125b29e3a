"""Lock's options, failure kinds, and the adapter that turns Lock's JS values into events."""

from __future__ import annotations

from typing import Any

import lock_client
import pytest
import session as s
from unit_support import JS_NULL, FakeLock, Obj, Proxies, id_token, is_none

DEV = {"domain": "http://localhost:8001", "clientId": "pyscript-session-demo", "scope": "openid"}
REAL = {"domain": "example.eu.auth0.com", "clientId": "abc", "scope": "openid profile email"}


def test_dev_tenant_options() -> None:
    options = lock_client.lock_options(DEV, "http://localhost:8000", null=JS_NULL)
    assert options == {
        "auth": {
            "redirect": True,
            "redirectUrl": "http://localhost:8000/",
            "responseType": "token id_token",
            "params": {"scope": "openid"},
        },
        "languageBaseUrl": "http://localhost:8000/vendor/lock",
        "avatar": JS_NULL,
        "theme": {"logo": "http://localhost:8000/vendor/lock/logo.svg"},
        "configurationBaseUrl": "http://localhost:8001",
        "overrides": {"__token_issuer": "http://localhost:8001/"},
    }


def test_real_tenant_gets_locks_own_defaults() -> None:
    options = lock_client.lock_options(REAL, "https://app.example.org/")
    assert "configurationBaseUrl" not in options
    assert "overrides" not in options
    assert options["auth"]["redirectUrl"] == "https://app.example.org/"
    assert options["auth"]["params"]["scope"] == "openid profile email"
    # Still nothing from Auth0's CDN for the dictionary, and no gravatar lookups.
    assert options["languageBaseUrl"] == "https://app.example.org/vendor/lock"
    assert "avatar" in options and options["avatar"] is None


def test_trailing_slashes_and_missing_scope() -> None:
    config = {"domain": "http://localhost:9/", "clientId": "x"}
    options = lock_client.lock_options(config, "http://localhost:8/")
    assert options["overrides"]["__token_issuer"] == "http://localhost:9/"
    assert options["configurationBaseUrl"] == "http://localhost:9"
    assert options["auth"]["params"]["scope"] == "openid profile email"


@pytest.mark.parametrize(
    "status, kind",
    [
        (None, s.NETWORK),
        (0, s.NETWORK),
        (401, s.UNAUTHORIZED),
        (403, s.UNAUTHORIZED),
        (429, s.RATE_LIMITED),
        (500, s.SERVER),
        (503, s.SERVER),
        (400, s.INVALID),
        (404, s.INVALID),
    ],
)
def test_failure_kind(status: int | None, kind: str) -> None:
    assert lock_client.failure_kind(status) == kind


def make_client() -> tuple[lock_client.LockClient, FakeLock, Proxies, list[Any]]:
    lock, proxies, events = FakeLock(), Proxies(), []
    client = lock_client.LockClient(lock, proxies, lambda value: ("js", value), is_none)
    client.on_events(events.append)
    return client, lock, proxies, events


def test_lock_events_become_session_events_through_kept_proxies() -> None:
    client, lock, proxies, events = make_client()
    assert set(lock.handlers) == set(lock_client.LOCK_EVENTS)
    assert all(handler in proxies.made for handler in lock.handlers.values())
    assert client._proxies == proxies.made  # kept alive with the client

    lock.emit("hash_parsed", JS_NULL)
    lock.emit("hash_parsed")
    lock.emit("hash_parsed", Obj(accessToken="a"))
    token = id_token()
    lock.emit("authenticated", Obj(idToken=token, accessToken="a", expiresIn=7200, scope="x"))
    lock.emit("authorization_error", Obj(error="access_denied", errorDescription="Nope."))
    lock.emit("unrecoverable_error", Obj(message="no client"))
    assert events == [
        s.hash_parsed(False),
        s.hash_parsed(False),
        s.hash_parsed(True),
        s.authenticated({"id_token": token, "access_token": "a", "expires_in": 7200}),
        s.authorization_error("The login was refused."),
        s.unrecoverable_error("no client"),
    ]


def test_get_profile_success_gives_plain_strings() -> None:
    client, lock, proxies, events = make_client()
    client.get_profile("tok", events.append)
    assert lock.calls == [("getProfile", "tok")]
    token, callback = lock.profile_callbacks[0]
    assert callback in proxies.made
    profile = Obj(sub="auth0|1", name="Ada", email="a@x", picture=JS_NULL, emailVerified=True)
    callback(JS_NULL, profile)
    assert events == [
        s.profile_ok(
            {"sub": "auth0|1", "name": "Ada", "nickname": None, "email": "a@x", "picture": None},
            "tok",
        )
    ]


@pytest.mark.parametrize(
    "error, kind, message",
    [
        (
            Obj(statusCode=401, code="invalid_token", description="Bad token"),
            s.UNAUTHORIZED,
            "Bad token",
        ),
        (Obj(statusCode=429, description="Too many"), s.RATE_LIMITED, "Too many"),
        (Obj(statusCode=500), s.SERVER, "Unknown error"),
        (Obj(original=Obj(message="net"), description=JS_NULL), s.NETWORK, "Unknown error"),
        (Obj(statusCode="401"), s.NETWORK, "Unknown error"),
    ],
)
def test_get_profile_error_is_called_back_with_one_argument(
    error: Any, kind: str, message: str
) -> None:
    client, lock, _, events = make_client()
    client.get_profile("tok", events.append)
    lock.profile_callbacks[0][1](error)  # auth0-js passes only the error
    assert events == [s.profile_failed(kind, message, "tok")]


def test_show_and_logout() -> None:
    client, lock, _, _ = make_client()
    client.show()
    client.logout("http://app.test/")
    assert lock.calls == [("show",), ("logout", ("js", {"returnTo": "http://app.test/"}))]


@pytest.mark.parametrize(
    ("err", "shown"),
    [
        (Obj(error="access_denied", errorDescription="Call +1 555 to unlock"), "refused"),
        (Obj(error="invalid_token", errorDescription="`state` does not match."), "verified"),
        (Obj(error="made_up", errorDescription="Your account is locked"), "Try logging in again"),
        (Obj(), "Try logging in again"),
    ],
)
def test_a_failed_login_is_told_in_the_pages_own_words(err: Obj, shown: str) -> None:
    message = lock_client.login_error_message(err, is_none)
    assert shown in message
    assert "555" not in message and "locked" not in message and "state" not in message


def test_error_message_prefers_descriptions() -> None:
    assert lock_client.error_message("plain", is_none) == "plain"
    assert lock_client.error_message(Obj(error="e", description="d"), is_none) == "d"
    assert lock_client.error_message(Obj(error="e"), is_none) == "e"
    assert lock_client.error_message(Obj(), is_none) == "Unknown error"


class DestroyableProxy:
    """Pyodide's proxy of a Python callable: callable until destroyed."""

    def __init__(self, func: Any) -> None:
        self.func = func
        self.destroyed = False

    def __call__(self, *args: Any) -> None:
        assert not self.destroyed, "called after destroy"
        self.func(*args)

    def destroy(self) -> None:
        assert not self.destroyed, "destroyed twice"
        self.destroyed = True


@pytest.mark.parametrize("destroyable", [True, False])  # Pyodide, MicroPython (no destroy)
def test_one_shot_callbacks_are_released_after_use_not_piled_up(destroyable: bool) -> None:
    made: list[Any] = []

    def create_proxy(func: Any) -> Any:
        proxy = DestroyableProxy(func) if destroyable else Proxies()(func)
        made.append(proxy)
        return proxy

    lock, events = FakeLock(), []
    client = lock_client.LockClient(lock, create_proxy, lambda value: value, is_none)
    client.on_events(events.append)
    handlers = len(made)
    for round_ in range(20):  # retries and renewals, each answered
        client.get_profile(f"tok-{round_}", events.append)
        lock.profile_callbacks[-1][1](Obj(statusCode=503))
        client.check_session(f"tok-{round_}", events.append)
        lock.session_callbacks[-1][1](Obj(error="timeout"))
    assert len(events) == 40
    assert len(client._proxies) == handlers  # only Lock's event handlers stay
    assert client._pending == {}
    assert len(client._spent) <= 1
    if destroyable:
        released = made[handlers:-1]
        assert released and all(p.destroyed for p in released)
        assert not made[-1].destroyed  # never destroyed during or right after its own call
    # A call still waiting keeps its proxy until it answers, whatever comes in between.
    client.get_profile("slow", events.append)
    client.check_session("slow", events.append)
    slow = lock.profile_callbacks[-1][1]
    assert slow in client._pending.values()
    slow(JS_NULL, Obj(sub="auth0|1"))
    assert events[-1][0] == s.PROFILE_OK


def test_the_profile_fields_asked_of_userinfo_are_the_sessions_claims() -> None:
    assert not hasattr(lock_client, "PROFILE_FIELDS")  # one list: session.PROFILE_CLAIMS
    client, lock, _, events = make_client()
    client.get_profile("tok", events.append)
    lock.profile_callbacks[0][1](JS_NULL, Obj(sub="auth0|1", extra="x"))
    assert tuple(events[0][1][0]) == s.PROFILE_CLAIMS
