"""Runs under MicroPython (and CPython): the pure modules of py/ on a restricted interpreter.

Plain asserts, no pytest, no typing: `test_portable.py` feeds this file to MicroPython's
WebAssembly build under Node, the same interpreter PyScript's `type="mpy"` runs.
"""

import binascii
import json

import app
import lock_client
import session as s
import storage
import tabs
import timer
import view


def b64url(data):
    return (
        binascii.b2a_base64(data).decode().strip().replace("+", "-").replace("/", "_").rstrip("=")
    )


def jwt(payload):
    parts = [{"alg": "RS256"}, payload]
    return ".".join([b64url(json.dumps(p).encode()) for p in parts] + ["c2ln"])


NOW = 1800000000
token = jwt({"sub": "auth0|ada", "exp": NOW + 3600, "name": "Añda"})
assert s.jwt_payload(token)["name"] == "Añda"
assert s.token_expiry(token) == NOW + 3600
for garbage in ["", "x", "a.b", "a.!!!.c", "a." + b64url(b"\xff\xfe") + ".c", None, 5]:
    assert s.jwt_payload(garbage) is None
    assert s.token_expiry(garbage) is None

# The page's own base64url decoder against the interpreter's binascii, every tail length.
for size in range(0, 40):
    data = bytes((i * 37 + size) % 256 for i in range(size))
    assert s.b64url_decode(b64url(data)) == data, size


# Calls on a DeferredLock wait for the client, then pass straight through.
class Recorder:
    def __init__(self):
        self.calls = []

    def show(self):
        self.calls.append("show")

    def logout(self, url):
        self.calls.append(url)


deferred = lock_client.DeferredLock()
deferred.show()
deferred.logout("http://app.test/")
recorder = Recorder()
deferred.attach(recorder)
assert recorder.calls == ["show", "http://app.test/"]
deferred.show()
assert recorder.calls == ["show", "http://app.test/", "show"]

store = storage.MemoryStorage()
state = s.initial_state({"logout": "local"}, "http://app.test/")
state, fx = s.step(state, s.page_loaded(storage.load(store)), NOW)
state, fx = s.step(state, s.hash_parsed(False), NOW)
assert state.phase == s.LOGGED_OUT and fx == [(s.SHOW_LOGGED_OUT, ""), (s.CANCEL_TIMER, None)]

result = {"id_token": token, "access_token": "at", "expires_in": 7200}
state, fx = s.step(state.but(phase=s.AUTHENTICATING), s.authenticated(result), NOW + 0.5)
assert fx[0] == (s.STORE, s.Session(token, "at", NOW + 7200))
storage.save(store, fx[0][1].to_stored())
assert store.get("expires_at") == str(NOW + 7200)

state = s.initial_state({})
state, fx = s.step(state, s.page_loaded(storage.load(store)), NOW)
state, fx = s.step(state, s.hash_parsed(False), NOW)
assert fx == [(s.CALL_GET_PROFILE, "at"), (s.SET_TIMER, s.PROFILE_TIMEOUT_SECONDS)]
state, fx = s.step(state, s.profile_ok({"sub": "auth0|ada"}, "at"), NOW)
assert state.phase == s.LOGGED_IN
assert fx == [(s.SHOW_LOGGED_IN, {"sub": "auth0|ada"}), (s.SET_TIMER, 3540)]

# Offline at load keeps the session; the retry and the renewal are timed in Python.
state = s.initial_state({"profileCacheSeconds": 30})
state, fx = s.step(state, s.page_loaded(storage.load(store)), NOW)
state, fx = s.step(state, s.hash_parsed(False), NOW)
state, fx = s.step(state, s.profile_failed(s.NETWORK, "", "at"), NOW + 0.25)
assert state.phase == s.UNVERIFIED and fx[-1] == (s.SET_TIMER, 2.0)
assert fx[0][0] == s.SHOW_UNVERIFIED and "Retrying in 2 seconds" in fx[0][1][1]
state, fx = s.step(state, s.timer_fired(), NOW + 2.25)
assert fx[1] == (s.CALL_GET_PROFILE, "at")
state, fx = s.step(state, s.profile_ok({"sub": "auth0|ada", "name": "Ada"}, "at"), NOW + 3)
assert fx[2] == (s.STORE_PROFILE, json.dumps({"at": NOW + 3, "profile": fx[1][1]}))
state, fx = s.step(state, s.timer_fired(), NOW + 3540)
assert fx == [(s.CALL_CHECK_SESSION, "at"), (s.SET_TIMER, 60)]
later = jwt({"sub": "auth0|ada", "exp": NOW + 7200, "name": "Ada L."})
renewal = {"id_token": later, "access_token": "at2", "expires_in": 7200}
state, fx = s.step(state, s.renewed(renewal, "at"), NOW + 3541)
assert state.phase == s.LOGGED_IN and state.profile["name"] == "Ada L."
assert s.retry_delay(30) == 60
assert tabs.parse_message(json.dumps({"stored": {"id_token": "x", "access_token": 5}})) == {
    "id_token": "x",
    "access_token": None,
    "expires_at": None,
    "profile_cache": None,
}

state = s.initial_state({})
state, fx = s.step(state, s.page_loaded(storage.load(store)), NOW + 3600)
state, fx = s.step(state, s.hash_parsed(False), NOW + 3600)
expired = [(s.CLEAR_STORAGE, None), (s.SHOW_LOGGED_OUT, s.NOTICES[s.EXPIRED])]
assert fx == expired + [(s.CANCEL_TIMER, None)]

assert s.login_response_in("#access_token=a&state=b") and not s.login_response_in("#top")
state, fx = s.step(s.initial_state({}), s.page_loaded({}, False), NOW)
assert fx == [(s.SHOW_LOGGED_OUT, "")]


# Two tabs' renewals under one Web Lock: the second finds fresh tokens stored and asks nothing.
class Held:
    def __init__(self, executor):
        self.done = []
        executor(lambda *a: self.done.append(True), None)


class Locks:
    def __init__(self):
        self.waiting = []

    def request(self, name, callback):
        self.waiting.append(callback)
        return self

    def catch(self, callback):
        return self


class Navigator:
    def __init__(self, locks):
        self.locks = locks


class Window:
    def __init__(self, locks):
        self.navigator = Navigator(locks)
        self.Promise = self
        self.timers = []

    def new(self, executor):
        return Held(executor)

    def setTimeout(self, callback, ms):
        self.timers.append(callback)
        return len(self.timers)

    def clearTimeout(self, handle):
        pass


locks, shared = Locks(), storage.MemoryStorage()
shared.set("access_token", "at")
asked = []
for _ in range(2):
    turns = tabs.RenewalTurns(Window(locks), shared, lambda f: f, lambda v: v is None)
    turns.renew("at", asked.append)
first = locks.waiting.pop(0)(None)
assert len(asked) == 1 and isinstance(first, Held) and first.done == []
shared.set("access_token", "at2")
asked.pop()()
assert first.done == [True]
assert locks.waiting.pop(0)(None) is None and asked == []

options = lock_client.lock_options({"domain": "http://localhost:1", "clientId": "c"}, "http://a")
assert options["overrides"]["__token_issuer"] == "http://localhost:1/"
assert lock_client.failure_kind(503) == s.SERVER
assert view.safe_picture_url("javascript:x") is None
assert app.App is not None and timer.Timer is not None
print("portable-ok")
