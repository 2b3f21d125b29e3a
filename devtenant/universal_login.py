"""A minimal hosted login page, for `/authorize` without a session (auth0-spa-js's
`loginWithRedirect`, or any redirect-based SDK).

`GET /authorize` (no session, no `prompt=none`) renders the form with the authorize request
carried in hidden fields; `POST /u/login` checks the password under the same rules as
`/co/authenticate` and sends the browser back to `/authorize` with a login ticket.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import secrets
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from .errors import BadInput, error_page, read_json, text_field
from .tenant import LoginRefused

if TYPE_CHECKING:
    from .tenant import Tenant

CSRF_COOKIE = "devtenant_login_csrf"
CSRF_SECONDS = 600  # how long a login form stays usable (its cookie, one per form)
_CARRIED = 40  # at most this many authorize parameters travel through the form


def csrf_digest(csrf: str) -> str:
    return hashlib.sha256(csrf.encode("utf-8", "surrogatepass")).hexdigest()


def csrf_cookie(csrf: str) -> str:
    """One cookie per form: two tabs on the login page each keep their own."""
    return f"{CSRF_COOKIE}_{csrf_digest(csrf)[:16]}"


def spent(response: Response, csrf: str) -> Response:
    """A posted form is used up: its cookie goes (a retry comes with a form of its own)."""
    response.delete_cookie(csrf_cookie(csrf), path="/u/login")
    return response


def login_page(
    tenant: Tenant, params: dict[str, str], message: str = "", status: int = 200
) -> Response:
    csrf = secrets.token_urlsafe(24)
    hidden = "".join(
        f"<input type=hidden name='{html.escape('p:' + k, quote=True)}'"
        f" value='{html.escape(v, quote=True)}'>"
        for k, v in list(params.items())[:_CARRIED]
        if k not in ("login_ticket", "prompt")
    )
    notice = f"<p role=alert style='color:#b91c1c'>{html.escape(message)}</p>" if message else ""
    title = f"Log in to {tenant.config.tenant}"
    page = (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title>"
        "<body style='font-family:sans-serif;max-width:24rem;margin:3rem auto'>"
        f"<h1>{html.escape(title)}</h1>{notice}"
        "<form method=post action='/u/login'>"
        f"<input type=hidden name='csrf' value='{csrf}'>{hidden}"
        "<p><label>Email <input type=email name=username required autocomplete=username>"
        "</label></p><p><label>Password <input type=password name=password required"
        " autocomplete=current-password></label></p>"
        "<p><button type=submit>Continue</button></p></form>"
        "<p><small>devtenant: offline development tenant</small></p></body></html>"
    )
    response = HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})
    response.set_cookie(
        csrf_cookie(csrf),
        csrf_digest(csrf),
        max_age=CSRF_SECONDS,
        path="/u/login",
        httponly=True,
        samesite="strict",
        secure=tenant.config.issuer.startswith("https:"),
    )
    return response


async def submit(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    try:
        form = await read_json(request, allow_form=True)
        csrf = text_field(form, "csrf", max_length=100)
        username = text_field(form, "username", max_length=254)
        password = text_field(form, "password", max_length=1024)
    except BadInput as bad:
        return error_page(bad.status, "Invalid request", bad.description)
    params = {k[2:]: v for k, v in form.items() if k.startswith("p:") and isinstance(v, str)}
    cookie = request.cookies.get(csrf_cookie(csrf), "")
    if not cookie or not hmac.compare_digest(
        cookie.encode("utf-8", "replace"), csrf_digest(csrf).encode()
    ):
        return error_page(403, "Session expired", "Go back to the application and try again.")
    app = tenant.config.application(params.get("client_id"))
    if app is None or params.get("redirect_uri", "") not in app.callbacks:
        return spent(error_page(400, "Invalid request", "Unknown client or callback URL."), csrf)
    try:
        user = await tenant.check_password(username, password)
    except LoginRefused as refused:
        message = (
            "Your account has been blocked after multiple consecutive login attempts."
            if refused.blocked
            else "Wrong email or password."
        )
        retry = login_page(tenant, params, message, status=429 if refused.blocked else 401)
        return spent(retry, csrf)
    ticket = secrets.token_urlsafe(24)
    tenant.store.add_login_ticket(
        ticket,
        user.user_id,
        app.client_id,
        tenant.clock.now() + tenant.config.login_ticket_seconds,
    )
    query = urlencode({**params, "login_ticket": ticket})
    response = RedirectResponse(f"/authorize?{query}", status_code=303)
    tenant.bind_ticket(response, ticket)
    return spent(response, csrf)
