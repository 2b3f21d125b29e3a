"""Helpers shared by the end-to-end tests: the page's verdict, Lock's form, what the page
stored, and sessions the dev tenant issued, written into storage before the page loads.

Imported as `pages` (pytest puts this folder on sys.path for the test modules beside it).
"""

from __future__ import annotations

import secrets
import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx2
import jwt
from playwright.sync_api import Page, expect

import serve

# Pyodide compiles its stdlib on every cold load: allow for a slow, shared machine.
DECIDED = 60_000
LOCK_UI = 30_000

KEYS = ("id_token", "access_token", "expires_at")
PASSWORD_REALM = "http://auth0.com/oauth/grant-type/password-realm"
LOCK_FORM = ".auth0-lock-widget"


def expect_session(page: Page, value: str) -> None:
    expect(page.locator("body")).to_have_attribute("data-session", value, timeout=DECIDED)


def open_logged_out(page: Page, site_url: str) -> None:
    """Open the app at `site_url` and wait for the page's verdict: logged out."""
    page.goto(site_url + "/")
    expect_session(page, "logged-out")


def stored_keys(page: Page, area: str = "localStorage") -> dict[str, Any]:
    """The session keys as `area` (localStorage, sessionStorage) holds them (None when absent)."""
    return page.evaluate(
        "([area, keys]) => Object.fromEntries(keys.map(k => [k, window[area].getItem(k)]))",
        [area, list(KEYS)],
    )


def log_out(page: Page, **navigation: Any) -> None:
    """Click Log Out, wait for the navigation it makes (`navigation`: Playwright's options)."""
    with page.expect_navigation(**navigation):
        page.locator("#btn-logout").click()
    expect_session(page, "logged-out")


# --- Lock's form ----------------------------------------------------------------------------


def open_lock(page: Page) -> None:
    page.locator("#btn-login").click()
    expect(page.locator(LOCK_FORM + " input[name=email]")).to_be_visible(timeout=LOCK_UI)


def submit_lock(page: Page, email: str, password: str | None) -> None:
    """Fill Lock's open form and submit it; `password` None for screens without one."""
    page.locator(LOCK_FORM + " input[name=email]").fill(email)
    if password is not None:
        page.locator(LOCK_FORM + " input[name=password]").fill(password)
    page.locator(LOCK_FORM + " button[type=submit]").click()


def log_in_through_lock(page: Page, user: Any) -> str:
    """Log in with Lock's form; returns the id_token the tenant put in the redirect."""
    open_lock(page)
    with page.expect_response(
        lambda r: urlsplit(r.url).path == "/authorize" and "login_ticket=" in r.url,
        timeout=LOCK_UI,
    ) as authorize:
        submit_lock(page, user.email, user.password)
    response = authorize.value
    assert response.status == 302
    issued = dict(parse_qsl(urlsplit(response.headers["location"]).fragment))
    expect_session(page, "logged-in")
    return issued["id_token"]


def verify_issued(token: str, tenant_url: str, client_id: str) -> dict[str, Any]:
    """Check the token's signature and claims against the tenant's published keys."""
    keys = jwt.PyJWKClient(tenant_url + "/.well-known/jwks.json")
    return jwt.decode(
        token,
        keys.get_signing_key_from_jwt(token).key,
        algorithms=["RS256"],
        audience=client_id,
        issuer=tenant_url + "/",
    )


# --- Sessions issued over HTTP (the calls Lock makes, without the form) ----------------------


def co_authenticate_body(client_id: str, email: str, password: str) -> dict[str, str]:
    """The body of Lock's `POST /co/authenticate`."""
    return {
        "client_id": client_id,
        "username": email,
        "password": password,
        "realm": "Username-Password-Authentication",
        "credential_type": PASSWORD_REALM,
    }


def authorize_params(stack: Any, client_id: str, login_ticket: str) -> dict[str, str]:
    """The query of Lock's `GET /authorize` that trades the login ticket for tokens."""
    return {
        "client_id": client_id,
        "response_type": "token id_token",
        "redirect_uri": stack.app_url + "/",
        "scope": "openid profile email",
        "state": secrets.token_hex(8),
        "nonce": secrets.token_hex(8),
        "login_ticket": login_ticket,
    }


def stored_values(location: str) -> dict[str, str]:
    """What the page stores for the tokens in the redirect `location` of `/authorize`."""
    tokens = dict(parse_qsl(urlsplit(location).fragment))
    return {
        "id_token": tokens["id_token"],
        "access_token": tokens["access_token"],
        "expires_at": str(int(time.time()) + int(tokens["expires_in"])),
    }


def issue_session(stack: Any, client_id: str, email: str, password: str) -> dict[str, str]:
    """Log in at the tenant as Lock does (/co/authenticate, then /authorize with the ticket)."""
    with httpx2.Client(base_url=stack.tenant_url, timeout=10) as http:
        ticket = http.post(
            "/co/authenticate",
            json=co_authenticate_body(client_id, email, password),
            headers={"Origin": stack.app_url},
        )
        ticket.raise_for_status()
        redirect = http.get(
            "/authorize", params=authorize_params(stack, client_id, ticket.json()["login_ticket"])
        )
    assert redirect.status_code == 302, redirect.text
    return stored_values(redirect.headers["location"])


def load_with_stored(page: Page, stack: Any, values: dict[str, str]) -> None:
    """Write `values` into the app origin's localStorage, then open the app."""
    page.goto(stack.app_url + "/auth0-config.json")
    page.evaluate(
        "values => { for (const [k, v] of Object.entries(values)) localStorage.setItem(k, v) }",
        values,
    )
    page.goto(stack.app_url + "/")


def userinfo_calls(stack: Any) -> list[int]:
    """Statuses of the page's `GET /userinfo` calls the tenant logged since the last reset."""
    return [r["status"] for r in stack.requests_to("/userinfo") if r["method"] == "GET"]


def serve_page(page: Page, url: str, body: str, config: dict[str, Any]) -> None:
    """Answer `url` with an HTML page, under the same CSP as the app's own page."""
    html = f'<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">{body}'
    headers = {"Content-Security-Policy": serve.content_security_policy(config)}
    page.route(
        url, lambda route: route.fulfill(body=html, content_type="text/html", headers=headers)
    )
