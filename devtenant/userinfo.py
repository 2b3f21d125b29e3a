"""`GET /userinfo`: the profile for an access token this tenant issued (Lock's `getProfile`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import jwt
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .errors import oauth_error
from .tokens import profile_claims

if TYPE_CHECKING:
    from .tenant import Tenant


def _unauthorized(description: str) -> Response:
    challenge = f'Bearer error="invalid_token", error_description="{description}"'
    return oauth_error(401, "invalid_token", description, headers={"WWW-Authenticate": challenge})


async def userinfo(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token or len(token) > 8192:
        return _unauthorized("Missing bearer token")
    try:
        claims = tenant.signer.verify(
            token.strip(),
            audience=tenant.config.userinfo_audience,
            issuer=tenant.config.issuer,
            now=tenant.clock.now(),
        )
    except jwt.ExpiredSignatureError:
        return _unauthorized("The access token expired")
    except jwt.InvalidTokenError:
        return _unauthorized("Invalid access token")
    user = tenant.store.user_by_id(str(claims.get("sub", "")))
    if user is None:
        return _unauthorized("The user no longer exists")
    if user.blocked:  # as at login and on every token grant
        return _unauthorized("The user is blocked")
    body = {"sub": user.user_id, **profile_claims(tenant, user, str(claims.get("scope", "")))}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
