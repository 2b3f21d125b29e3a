"""Cross-origin answers, as auth0-js needs them.

`credentials` routes (`/co/authenticate`, `/dbconnections/*`, `/userinfo`, `/oauth/token`)
name the exact calling origin, and only one listed in some application's Allowed Web Origins,
with `Access-Control-Allow-Credentials: true`; preflights echo the requested headers.
`public` routes (JWKS, discovery) answer `*`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from .tenant import Tenant

CorsMode = Literal["credentials", "public"]

_MAX_AGE = "600"


def listed_origin(tenant: Tenant, request: Request) -> str | None:
    """The request's Origin if some application lists it in Allowed Web Origins."""
    origin = request.headers.get("origin")
    if origin and origin in tenant.config.all_web_origins():
        return origin
    return None


def add_headers(response: Response, request: Request, tenant: Tenant, mode: CorsMode) -> Response:
    if mode == "public":
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response
    response.headers.append("Vary", "Origin")
    origin = listed_origin(tenant, request)
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
    return response


def preflight(request: Request, tenant: Tenant, mode: CorsMode, methods: str) -> Response:
    """Answer an OPTIONS preflight; an unlisted origin gets 403 and no CORS headers."""
    requested = request.headers.get("access-control-request-headers", "")
    headers = {"Access-Control-Allow-Methods": methods, "Access-Control-Max-Age": _MAX_AGE}
    if requested:
        headers["Access-Control-Allow-Headers"] = requested[:1024]
    if mode == "credentials" and listed_origin(tenant, request) is None:
        return Response(status_code=403, headers={"Vary": "Origin"})
    return add_headers(Response(status_code=204, headers=headers), request, tenant, mode)
