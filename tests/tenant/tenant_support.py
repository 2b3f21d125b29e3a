"""Shared constants and a small driver for HTTP tests of the dev tenant."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

import anyio
from joserfc import jwt
from joserfc.jwk import KeySet
from starlette.testclient import TestClient

ISSUER_BASE = "http://localhost:8001"
ISSUER = ISSUER_BASE + "/"
APP_ORIGIN = "http://localhost:8000"
CALLBACK = APP_ORIGIN + "/"
CLIENT_ID = "pyscript-session-demo"
CONNECTION = "Username-Password-Authentication"
PASSWORD_REALM = "http://auth0.com/oauth/grant-type/password-realm"
ADA = "ada@example.com"
ADA_PASSWORD = "Lovelace-1815"
T0 = 1_750_000_000


def fragment(location: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(location).fragment))


def query(location: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(location).query))


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def pkce(challenge: str) -> dict[str, str]:
    """The /authorize parameters that bind a code to `challenge` (S256)."""
    return {"code_challenge": challenge, "code_challenge_method": "S256"}


def code_form(code: str, verifier: str, **extra: str) -> dict[str, str]:
    """A `POST /oauth/token` body that trades `code` for tokens, as the app's client sends it."""
    return {
        "grant_type": "authorization_code",
        "client_id": CLIENT_ID,
        "code": code,
        "code_verifier": verifier,
        "redirect_uri": CALLBACK,
        **extra,
    }


def preflight(
    client: TestClient,
    path: str,
    method: str,
    origin: str = APP_ORIGIN,
    request_headers: str | None = None,
) -> Any:
    """A browser's CORS preflight for a `method` request to `path` from `origin`."""
    headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if request_headers is not None:
        headers["Access-Control-Request-Headers"] = request_headers
    return client.options(path, headers=headers)


def userinfo(client: TestClient, token: str, **headers: str) -> Any:
    """`GET /userinfo` with `token` as the bearer (`headers`: more request headers)."""
    return client.get("/userinfo", headers={"Authorization": f"Bearer {token}", **headers})


def verify_with_joserfc(client: TestClient, token: str, now: int, **claims: Any) -> jwt.Token:
    """Check `token` with joserfc (not the signing library) against the served JWKS."""
    keys = KeySet.import_key_set(client.get("/.well-known/jwks.json").json())
    decoded = jwt.decode(token, keys, algorithms=["RS256"])
    options = {name: {"essential": True, "value": value} for name, value in claims.items()}
    jwt.JWTClaimsRegistry(now=now, **options).validate(decoded.claims)
    return decoded


@dataclass
class Flow:
    """Drives the calls Lock makes, through a TestClient (which keeps the tenant cookies)."""

    client: TestClient

    def co_authenticate(
        self,
        username: str = ADA,
        password: str = ADA_PASSWORD,
        origin: str | None = APP_ORIGIN,
        **extra: Any,
    ) -> Any:
        body = {
            "client_id": CLIENT_ID,
            "username": username,
            "password": password,
            "realm": CONNECTION,
            "credential_type": PASSWORD_REALM,
            **extra,
        }
        headers = {"Origin": origin} if origin else {}
        return self.client.post("/co/authenticate", json=body, headers=headers)

    def ticket(self, username: str = ADA, password: str = ADA_PASSWORD) -> str:
        response = self.co_authenticate(username, password)
        assert response.status_code == 200, response.text
        return str(response.json()["login_ticket"])

    def authorize(self, **params: str) -> Any:
        defaults = {
            "client_id": CLIENT_ID,
            "response_type": "token id_token",
            "redirect_uri": CALLBACK,
            "scope": "openid profile email",
            "state": "state-" + secrets.token_hex(4),
            "nonce": "nonce-" + secrets.token_hex(4),
        }
        merged = {k: v for k, v in {**defaults, **params}.items() if v is not None}
        return self.client.get("/authorize", params=merged, follow_redirects=False)

    def login(self, username: str = ADA, password: str = ADA_PASSWORD, **params: str) -> Any:
        """/co/authenticate then /authorize with the ticket: the 302 Lock follows."""
        return self.authorize(login_ticket=self.ticket(username, password), **params)

    def login_tokens(self, **params: str) -> dict[str, str]:
        response = self.login(**params)
        assert response.status_code == 302, response.text
        return fragment(response.headers["location"])

    def check_session(self, **params: str) -> Any:
        return self.authorize(response_mode="web_message", prompt="none", **params)


T = TypeVar("T")


def run_async(function: Callable[..., Awaitable[T]], *args: Any) -> T:
    """Run an async function to completion on a fresh event loop in a thread of its own:
    after the e2e tests, Playwright's sync API holds an event loop on the main thread."""
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(anyio.run, function, *args).result()
