"""`GET /v2/logout`: end the tenant session, then go back to an Allowed Logout URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from .errors import error_page

if TYPE_CHECKING:
    from .tenant import Tenant


async def logout(request: Request) -> Response:
    """`client_id` picks the application whose Allowed Logout URLs `returnTo` must be in;
    without it, any application's list counts. An unlisted `returnTo` is never redirected to,
    and a refused request leaves the session alone."""
    tenant: Tenant = request.app.state.tenant
    client_id = request.query_params.get("client_id")
    return_to = request.query_params.get("returnTo")
    if client_id is not None:
        app = tenant.config.application(client_id)
        if app is None:
            return error_page(400, "Unknown client", "The client_id is not a known application.")
        allowed = app.allowed_logout_urls
        if return_to is None and allowed:
            return_to = allowed[0]
    else:
        allowed = tuple(u for a in tenant.config.applications for u in a.allowed_logout_urls)
    if return_to is not None and return_to not in allowed:
        return error_page(
            400,
            "Logout URL not allowed",
            f"The returnTo URL {return_to!r} is not in the Allowed Logout URLs.",
        )
    current = tenant.session_user(request)
    if current is not None:
        tenant.store.delete_session(current[0])
    response: Response
    if return_to is None:
        response = HTMLResponse("<!doctype html><title>Logged out</title><p>You are logged out.")
    else:
        response = RedirectResponse(return_to, status_code=302)
    response.headers["Cache-Control"] = "no-store"
    response.delete_cookie(
        tenant.SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=tenant.config.issuer.startswith("https:"),
    )
    return response
