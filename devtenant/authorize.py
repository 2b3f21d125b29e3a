"""`GET /authorize`: the browser-facing OAuth 2.0 / OIDC endpoint.

- `login_ticket` (after `/co/authenticate`): start a tenant session and answer with tokens.
- `prompt=none` (Lock's remembered login, `checkSession`): tokens from the session cookie, or
  `login_required`.
- Neither, and no session: the hosted login page (`universal_login.py`), e.g. for auth0-spa-js.
- `response_mode`: `fragment` (default for tokens), `query` (default for `code`), or
  `web_message` (a page that `postMessage`s the result to the redirect URI's origin).

The client and `redirect_uri` are checked before anything else: while either is in doubt the
answer is an error page, never a redirect. Once both are known good, errors travel back to the
application the way results do, with `state`.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from .config import Application
from .errors import error_page
from .store import AuthorizationCode, User
from .tokens import granted_scope, issue_access_token, issue_id_token
from .universal_login import login_page

if TYPE_CHECKING:
    from .tenant import Tenant

MAX_PARAM = 2048
CODE_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43,128}")
RESPONSE_TYPES = (
    frozenset({"code"}),
    frozenset({"token"}),
    frozenset({"id_token"}),
    frozenset({"token", "id_token"}),
)


class AuthorizeError(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass
class Reply:
    """How to send a result back: where, how, and the `state` to echo."""

    redirect_uri: str
    mode: str
    state: str
    secure_cookie: bool

    def send(self, params: dict[str, str]) -> Response:
        if self.state:
            params = {**params, "state": self.state}
        if self.mode == "web_message":
            response = web_message_page(origin_of(self.redirect_uri), params)
        else:
            separator = (
                "#" if self.mode == "fragment" else ("&" if "?" in self.redirect_uri else "?")
            )
            response = RedirectResponse(
                self.redirect_uri + separator + urlencode(params), status_code=302
            )
        response.headers["Cache-Control"] = "no-store"
        return response

    def error(self, error: str, description: str) -> Response:
        return self.send({"error": error, "error_description": description})


def _script_json(value: object) -> str:
    text = json.dumps(value)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(raw, escaped)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def web_message_page(target_origin: str, response: dict[str, str]) -> HTMLResponse:
    """The page auth0-js (and auth0-spa-js) wait for in their hidden iframe or popup."""
    nonce = secrets.token_urlsafe(16)
    message = {"type": "authorization_response", "response": response}
    page = (
        "<!doctype html><html><head><title>Authorization Response</title></head><body>"
        f"<script nonce='{nonce}'>(function () {{"
        f"var target = window.opener || window.parent;"
        f"target.postMessage({_script_json(message)}, {_script_json(target_origin)});"
        "})();</script></body></html>"
    )
    csp = f"default-src 'none'; script-src 'nonce-{nonce}'; frame-ancestors {target_origin}"
    return HTMLResponse(page, headers={"Content-Security-Policy": csp})


def _single_params(request: Request) -> dict[str, str] | None:
    """The query parameters, or None when any is repeated or too long."""
    items = request.query_params.multi_items()
    params = dict(items)
    if len(params) != len(items) or any(len(v) > MAX_PARAM for v in params.values()):
        return None
    return params


async def authorize(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    params = _single_params(request)
    if params is None:
        return error_page(400, "Invalid request", "Parameters must not repeat or be oversized.")
    app = tenant.config.application(params.get("client_id"))
    if app is None:
        return error_page(400, "Unknown client", "The client_id is not a known application.")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in app.callbacks:
        return error_page(
            400,
            "Callback URL mismatch",
            f"The redirect_uri {redirect_uri!r} is not in the application's Allowed Callback URLs.",
        )
    types = frozenset(params.get("response_type", "").split())
    mode = params.get("response_mode") or ("query" if types == {"code"} else "fragment")
    reply = Reply(
        redirect_uri=redirect_uri,
        mode=mode if mode in ("query", "fragment", "web_message") else "fragment",
        state=params.get("state", ""),
        secure_cookie=tenant.config.issuer.startswith("https:"),
    )
    if reply.mode == "web_message" and origin_of(redirect_uri) not in app.web_origins:
        return error_page(
            400,
            "Origin not allowed",
            f"{origin_of(redirect_uri)} is not in the application's Allowed Web Origins.",
        )
    fault = tenant.faults.take("authorize")
    if fault is not None:
        if fault.error:
            return reply.error(fault.error, fault.description)
        return error_page(fault.status, "Injected fault", fault.description)
    try:
        return _answer(tenant, request, app, params, types, mode, reply)
    except AuthorizeError as failed:
        return reply.error(failed.error, failed.description)


def _answer(
    tenant: Tenant,
    request: Request,
    app: Application,
    params: dict[str, str],
    types: frozenset[str],
    mode: str,
    reply: Reply,
) -> Response:
    if types not in RESPONSE_TYPES:
        raise AuthorizeError("unsupported_response_type", "Unsupported response type")
    if mode not in ("query", "fragment", "web_message") or (mode == "query" and types != {"code"}):
        raise AuthorizeError("invalid_request", f"Unsupported response_mode: {mode}")
    audience = params.get("audience", "")
    if audience and audience != tenant.config.userinfo_audience:
        raise AuthorizeError("access_denied", f"Service not found: {audience}")
    scope = granted_scope(params.get("scope", "openid"))
    nonce = params.get("nonce") or None
    if "id_token" in types and "openid" not in scope.split():
        raise AuthorizeError("invalid_request", "The scope must contain openid")
    if "id_token" in types and nonce is None:
        raise AuthorizeError("invalid_request", "Nonce is required for implicit flows")
    challenge = params.get("code_challenge", "")
    if types == {"code"}:
        if not challenge:
            raise AuthorizeError("invalid_request", "code_challenge is required (PKCE)")
        if params.get("code_challenge_method", "plain") != "S256":
            raise AuthorizeError("invalid_request", "code_challenge_method must be S256")
        if not CODE_CHALLENGE.fullmatch(challenge):
            raise AuthorizeError("invalid_request", "code_challenge must be base64url (43-128)")

    new_sid: str | None = None
    user: User | None
    ticket = params.get("login_ticket")
    if ticket:
        grant = tenant.store.take_login_ticket(ticket)
        if grant is None or grant.expires_at <= tenant.clock.now():
            raise AuthorizeError("access_denied", "Invalid or expired login ticket")
        if not tenant.ticket_bound(request, ticket):
            raise AuthorizeError("access_denied", "The login ticket was not issued to this browser")
        if grant.client_id != app.client_id:
            raise AuthorizeError("access_denied", "The login ticket was issued to another client")
        user = tenant.store.user_by_id(grant.user_id)
        if user is None or user.blocked:
            raise AuthorizeError("access_denied", "The user cannot log in")
        old = tenant.session_user(request)
        if old is not None:
            tenant.store.delete_session(old[0])
        new_sid = sid = tenant.start_session(user.user_id)
    else:
        current = tenant.session_user(request) if params.get("prompt") != "login" else None
        if current is None:
            if params.get("prompt") == "none" or mode == "web_message":
                raise AuthorizeError("login_required", "Login required")
            return login_page(tenant, params)
        sid, user = current

    result: dict[str, str]
    if types == {"code"}:
        code = secrets.token_urlsafe(24)
        tenant.store.add_authorization_code(
            code,
            AuthorizationCode(
                client_id=app.client_id,
                user_id=user.user_id,
                redirect_uri=reply.redirect_uri,
                code_challenge=challenge,
                nonce=nonce,
                scope=scope,
                expires_at=tenant.clock.now() + tenant.config.authorization_code_seconds,
            ),
        )
        result = {"code": code}
    else:
        result = {}
        access_token = None
        if "token" in types:
            access_token = issue_access_token(tenant, user, app.client_id, scope)
            result.update(
                access_token=access_token,
                scope=scope,
                expires_in=str(tenant.lifetimes.access_token),
                token_type="Bearer",
            )
        if "id_token" in types:
            result["id_token"] = issue_id_token(
                tenant,
                user,
                app.client_id,
                scope=scope,
                nonce=nonce,
                access_token=access_token,
                sid=sid,
            )
    response = reply.send(result)
    if new_sid is not None:
        response.set_cookie(
            tenant.SESSION_COOKIE,
            new_sid,
            max_age=tenant.config.session_seconds,
            path="/",
            httponly=True,
            samesite="lax",
            secure=reply.secure_cookie,
        )
    return response
