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
    return make_jwt({"sub": sub, "exp": exp, "iat": NOW, **claims})


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

    def on(self, name: str, handler: Any) -> None:
        self.handlers[name] = handler

    def emit(self, name: str, *args: Any) -> None:
        self.handlers[name](*args)

    def show(self) -> None:
        self.calls.append(("show",))

    def getProfile(self, token: str, callback: Any) -> None:
        self.calls.append(("getProfile", token))
        self.profile_callbacks.append((token, callback))

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
    "profile-name",
    "profile-email",
    "profile-picture",
    "notice",
    "loading",
)


class FakeDocument:
    def __init__(self) -> None:
        self.body = FakeElement("body")
        self.body.setAttribute("data-session", "loading")
        self.elements = {i: FakeElement(i) for i in PAGE_IDS}

    def getElementById(self, element_id: str) -> FakeElement:
        return self.elements[element_id]
