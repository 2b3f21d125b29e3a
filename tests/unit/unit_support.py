"""Helpers for the unit tests: tokens, stored sessions and fakes of the JS objects py/ wraps."""

from __future__ import annotations

import base64
import json
from typing import Any

NOW = 1_800_000_000  # a fixed "current time" for the fake clock


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(payload: Any, header: dict[str, Any] | None = None) -> str:
    """A compact JWS with `payload` and a dummy signature (py/ never verifies signatures)."""
    head = header or {"alg": "RS256", "typ": "JWT", "kid": "test"}
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return ".".join([b64url(json.dumps(head).encode()), b64url(body), b64url(b"signature")])


def id_token(exp: int = NOW + 3600, sub: str = "auth0|ada", **claims: Any) -> str:
    return make_jwt({"sub": sub, "exp": exp, "iat": NOW} | claims)


def stored(
    token: str | None = None,
    access: str | None = "access-1",
    expires_at: str | None = str(NOW + 7200),
) -> dict[str, str | None]:
    return {
        "id_token": id_token() if token is None else token,
        "access_token": access,
        "expires_at": expires_at,
    }


class JsNull:
    """Stands for Pyodide's `JsNull`: JS null that is not Python's None."""

    def __repr__(self) -> str:
        return "jsnull"


JS_NULL = JsNull()


def is_none(value: Any) -> bool:
    return value is None or value is JS_NULL


class FakeWebStorage:
    """The Web Storage API as the browser exposes it: strings in, strings or null out."""

    def __init__(self, missing: Any = JS_NULL) -> None:
        self.items: dict[str, str] = {}
        self.missing = missing

    def getItem(self, key: str) -> Any:
        return self.items.get(key, self.missing)

    def setItem(self, key: str, value: Any) -> None:
        self.items[key] = str(value)

    def removeItem(self, key: str) -> None:
        self.items.pop(key, None)


class FakeLockr:
    """Lockr 0.8 over a fake localStorage: values JSON-wrapped as {"data": value}."""

    def __init__(self, local_storage: FakeWebStorage) -> None:
        self.local_storage = local_storage

    def set(self, key: str, value: Any) -> None:
        self.local_storage.setItem(key, json.dumps({"data": value}))

    def get(self, key: str, missing: Any = None) -> Any:
        raw = self.local_storage.getItem(key)
        if is_none(raw):
            return missing
        try:
            value = json.loads(raw)
        except ValueError:
            return raw
        if isinstance(value, dict) and "data" in value:
            return value["data"]
        return None

    def rm(self, key: str) -> None:
        self.local_storage.removeItem(key)


class Obj:
    """A JS object: attributes only (no item access, as Pyodide's JsProxy)."""

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)


class FakeLock:
    """An Auth0Lock instance recording what the app asked of it."""

    def __init__(self) -> None:
        self.handlers: dict[str, Any] = {}
        self.calls: list[tuple[Any, ...]] = []
        self.profile_callbacks: list[tuple[str, Any]] = []
        self.session_callbacks: list[tuple[Any, Any]] = []

    def on(self, name: str, handler: Any) -> None:
        self.handlers[name] = handler

    def emit(self, name: str, *args: Any) -> None:
        self.handlers[name](*args)

    def show(self) -> None:
        self.calls.append(("show",))

    def getProfile(self, token: str, callback: Any) -> None:
        self.calls.append(("getProfile", token))
        self.profile_callbacks.append((token, callback))

    def checkSession(self, options: Any, callback: Any) -> None:
        self.calls.append(("checkSession",))
        self.session_callbacks.append((options, callback))

    def logout(self, options: Any) -> None:
        self.calls.append(("logout", options))


class Proxies:
    """Stands for `create_proxy`: records what was handed to JS."""

    def __init__(self) -> None:
        self.made: list[Any] = []

    def __call__(self, func: Any) -> Any:
        self.made.append(func)
        return func


class FakeElement:
    """A DOM element that refuses markup: setting innerHTML fails the test."""

    def __init__(self, element_id: str) -> None:
        self.id = element_id
        self.textContent = ""
        self.attributes: dict[str, str] = {}
        self.listeners: dict[str, list[Any]] = {}

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("innerHTML", "outerHTML"):
            raise AssertionError(f"{name} written on #{self.id}")
        super().__setattr__(name, value)

    def setAttribute(self, name: str, value: str) -> None:
        self.attributes[name] = value

    def removeAttribute(self, name: str) -> None:
        self.attributes.pop(name, None)

    def getAttribute(self, name: str) -> str | None:
        return self.attributes.get(name)

    def addEventListener(self, kind: str, handler: Any) -> None:
        self.listeners.setdefault(kind, []).append(handler)

    def click(self) -> None:
        for handler in self.listeners.get("click", []):
            handler(Obj(preventDefault=lambda: None))


PAGE_IDS = (
    "btn-login",
    "btn-logout",
    "btn-retry",
    "profile-name",
    "profile-email",
    "profile-picture",
    "notice",
    "loading",
    "loading-text",
)


class FakeDocument:
    def __init__(self) -> None:
        self.body = FakeElement("body")
        self.body.setAttribute("data-session", "loading")
        self.elements = {i: FakeElement(i) for i in PAGE_IDS}

    def getElementById(self, element_id: str) -> FakeElement:
        return self.elements[element_id]


class FakeClock:
    """The time the app reads, moved by the test."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FakeWindow:
    """`setTimeout` / `clearTimeout` over a FakeClock, and `addEventListener`.

    `advance(seconds)` moves the clock and runs every timeout that falls due, in order.
    """

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.timeouts: dict[int, tuple[float, Any]] = {}
        self.listeners: dict[str, list[Any]] = {}
        self._next = 1

    def setTimeout(self, callback: Any, ms: int) -> int:
        assert isinstance(ms, int) and 0 <= ms < 2**31, ms
        handle = self._next
        self._next += 1
        self.timeouts[handle] = (self.clock.now + ms / 1000, callback)
        return handle

    def clearTimeout(self, handle: int) -> None:
        self.timeouts.pop(handle, None)

    def next_due(self) -> float | None:
        return min((due for due, _ in self.timeouts.values()), default=None)

    def advance(self, seconds: float) -> None:
        end = self.clock.now + seconds
        while True:
            due = [(d, h) for h, (d, _) in self.timeouts.items() if d <= end]
            if not due:
                break
            at, handle = min(due)
            self.clock.now = max(self.clock.now, at)
            _, callback = self.timeouts.pop(handle)
            callback()
        self.clock.now = end

    def addEventListener(self, kind: str, handler: Any) -> None:
        self.listeners.setdefault(kind, []).append(handler)

    def fire(self, kind: str, event: Any) -> None:
        for handler in self.listeners.get(kind, []):
            handler(event)


class FakePromise:
    """A JS promise, settled synchronously: `FakePromise.new(executor)` as `Promise.new`."""

    def __init__(self) -> None:
        self.state = "pending"
        self.value: Any = None
        self._callbacks: list[tuple[str, Any]] = []

    @classmethod
    def new(cls, executor: Any) -> FakePromise:
        promise = cls()
        executor(promise.resolve, promise.reject)
        return promise

    def resolve(self, value: Any = None) -> None:
        self._settle("fulfilled", value)

    def reject(self, reason: Any = None) -> None:
        self._settle("rejected", reason)

    def _settle(self, state: str, value: Any) -> None:
        if self.state != "pending":
            return
        self.state, self.value = state, value
        for wanted, callback in self._callbacks:
            if wanted == state:
                callback(value)
        self._callbacks = []

    def then(self, callback: Any) -> FakePromise:
        return self._on("fulfilled", callback)

    def catch(self, callback: Any) -> FakePromise:
        return self._on("rejected", callback)

    def _on(self, state: str, callback: Any) -> FakePromise:
        if self.state == state:
            callback(self.value)
        elif self.state == "pending":
            self._callbacks.append((state, callback))
        return self


class FakeLocks:
    """`navigator.locks` of one browser: exclusive locks, granted in the order asked for. As in
    a browser, nothing happens inside `request`: `run()` stands for the tasks that follow, in
    which the next waiting callback is called (or, with `refuse`, as in a frame without lock
    access, every request is rejected). A lock is held until the promise its callback returned
    settles, at once for any other value."""

    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.held: set[str] = set()
        self.queue: list[tuple[str, Any, FakePromise]] = []
        self.granted = 0

    def request(self, name: str, callback: Any) -> FakePromise:
        done = FakePromise()
        self.queue.append((name, callback, done))
        return done

    def run(self) -> None:
        progress = True
        while progress:
            progress = False
            for entry in list(self.queue):
                name, callback, done = entry
                if self.refuse:
                    self.queue.remove(entry)
                    done.reject(Obj(name="SecurityError"))
                    progress = True
                elif name not in self.held:
                    self.queue.remove(entry)
                    self._grant(name, callback, done)
                    progress = True

    def _grant(self, name: str, callback: Any, done: FakePromise) -> None:
        self.held.add(name)
        self.granted += 1
        result = callback(Obj(name=name, mode="exclusive"))

        def release(value: Any = None) -> None:
            self.held.discard(name)
            done.resolve(value)

        if isinstance(result, FakePromise):
            result.then(release).catch(release)
        else:
            release(result)


class FakeChannels:
    """BroadcastChannel: every channel made here hears the others' messages (not its own)."""

    def __init__(self) -> None:
        self.channels: list[FakeChannel] = []

    def new(self, name: str) -> FakeChannel:
        channel = FakeChannel(self, name)
        self.channels.append(channel)
        return channel


class FakeChannel:
    def __init__(self, hub: FakeChannels, name: str) -> None:
        self.hub = hub
        self.name = name
        self.listeners: list[Any] = []
        self.sent: list[Any] = []

    def addEventListener(self, kind: str, handler: Any) -> None:
        assert kind == "message"
        self.listeners.append(handler)

    def postMessage(self, data: Any) -> None:
        self.sent.append(data)
        for other in self.hub.channels:
            if other is not self and other.name == self.name:
                for handler in other.listeners:
                    handler(Obj(data=data))
