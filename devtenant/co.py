"""`POST /co/authenticate`: cross-origin username/password login, answered with a login ticket.

Lock posts `{client_id, username, password, realm, credential_type}` (with credentials) and
then navigates to `/authorize?...&login_ticket=...`. The ticket is single-use and short-lived,
and bound to the browser that earned it: the answer sets an HttpOnly `devtenant_co_<hash>`
cookie (one per ticket, so two tabs can log in at once) holding the ticket's hash, and
`/authorize` refuses a ticket arriving without it (so a page
cannot log a victim's browser into the attacker's account with the attacker's ticket).
Auth0's `/co/verify` cross-origin fallback is not implemented.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .errors import BadInput, oauth_error, read_json, text_field
from .tenant import LoginRefused

if TYPE_CHECKING:
    from .tenant import Tenant

PASSWORD_REALM = "http://auth0.com/oauth/grant-type/password-realm"
WRONG_CREDENTIALS = "Wrong email or password."
BLOCKED = (
    "Your account has been blocked after multiple consecutive login attempts. "
    "We've sent you an email with instructions on how to unblock it."
)


async def authenticate(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    try:
        data = await read_json(request)
        client_id = text_field(data, "client_id", max_length=200)
        username = text_field(data, "username", max_length=254)
        password = text_field(data, "password", max_length=1024)
        realm = text_field(data, "realm", max_length=200, required=False)
        credential_type = text_field(data, "credential_type", max_length=200, required=False)
    except BadInput as bad:
        return oauth_error(bad.status, bad.error, bad.description)
    app = tenant.config.application(client_id)
    if app is None:
        return oauth_error(401, "invalid_client", f"Unknown client: {client_id}")
    origin = request.headers.get("origin")
    if origin is not None and origin not in app.web_origins:
        return oauth_error(403, "access_denied", f"Origin {origin} is not allowed.")
    if credential_type not in ("", "password", PASSWORD_REALM):
        return oauth_error(400, "unsupported_credential_type", "Unknown credential type")
    if realm and realm != tenant.config.connection.name:
        return oauth_error(400, "invalid_request", f"Unknown realm: {realm}")
    try:
        user = await tenant.check_password(username, password)
    except LoginRefused as refused:
        if refused.blocked:
            return oauth_error(429, "too_many_attempts", BLOCKED)
        return oauth_error(403, "access_denied", WRONG_CREDENTIALS)
    ticket = secrets.token_urlsafe(24)
    tenant.store.add_login_ticket(
        ticket, user.user_id, client_id, tenant.clock.now() + tenant.config.login_ticket_seconds
    )
    response = JSONResponse(
        {
            "login_ticket": ticket,
            "co_verifier": secrets.token_urlsafe(24),
            "co_id": secrets.token_urlsafe(9),
        },
        headers={"Cache-Control": "no-store"},
    )
    tenant.bind_ticket(response, ticket)
    return response
