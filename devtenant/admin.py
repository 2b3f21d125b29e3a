"""Dev-only admin API under `/_dev/` (absent when the app is created with `admin=False`).

Like Firebase's Auth emulator: manage users, reset, shift the clock, set token lifetimes,
inject faults, read the request log and the captured emails. A browser page from another
origin cannot drive it: any request carrying an `Origin` other than the tenant's own, or
`Sec-Fetch-Site: cross-site`, is refused; and the whole tenant answers only to a loopback `Host`
(or the issuer's own), which stops DNS rebinding.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from .authorize import origin_of
from .config import SeedUser, TokenLifetimes
from .errors import BadInput, oauth_error, read_json, text_field
from .passwords import hash_password
from .store import User, UserExists, iso_time
from .tenant import Fault

if TYPE_CHECKING:
    from .tenant import Tenant

Handler = Callable[[Request], Awaitable[Response]]

FAULT_STATUSES = (400, 401, 403, 404, 429, 500, 502, 503)


def _tenant(request: Request) -> Tenant:
    tenant: Tenant = request.app.state.tenant
    return tenant


def guarded(handler: Handler) -> Handler:
    """Refuse cross-origin browser requests; turn bad input into a 4xx."""

    async def run(request: Request) -> Response:
        origin = request.headers.get("origin")
        if origin is not None and origin != origin_of(_tenant(request).config.issuer):
            return oauth_error(403, "access_denied", "The dev admin API is same-origin only")
        if request.headers.get("sec-fetch-site", "").strip().lower() == "cross-site":
            return oauth_error(403, "access_denied", "The dev admin API is same-origin only")
        try:
            return await handler(request)
        except BadInput as bad:
            return oauth_error(bad.status, bad.error, bad.description)

    run.__name__ = handler.__name__
    run.__doc__ = handler.__doc__
    return run


def _integer(
    data: dict[str, Any], name: str, *, low: int, high: int, default: int | None = None
) -> int:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadInput(400, "invalid_request", f"{name} must be an integer in [{low}, {high}]")
    return value


def _flag(data: dict[str, Any], name: str) -> bool | None:
    value = data.get(name)
    if value is not None and not isinstance(value, bool):
        raise BadInput(400, "invalid_request", f"{name} must be true or false")
    return value


# users ------------------------------------------------------------------------------


@guarded
async def list_users(request: Request) -> Response:
    return JSONResponse([u.public() for u in _tenant(request).store.users()])


@guarded
async def create_user(request: Request) -> Response:
    tenant = _tenant(request)
    data = await read_json(request)
    seed = SeedUser(
        email=text_field(data, "email", max_length=254),
        password=text_field(data, "password", max_length=1024),
        name=text_field(data, "name", max_length=300, required=False),
        nickname=text_field(data, "nickname", max_length=300, required=False),
        picture=text_field(data, "picture", max_length=2048, required=False),
        email_verified=_flag(data, "email_verified") is not False,
    )
    if "@" not in seed.email:
        raise BadInput(400, "invalid_request", "email must be an email address")
    try:
        user = await tenant.create_user(seed)
    except UserExists:
        return oauth_error(409, "user_exists", "The user already exists.")
    if _flag(data, "blocked"):
        user = tenant.store.update_user(user.user_id, tenant.clock.now(), blocked=True) or user
    return JSONResponse(user.public(), status_code=201)


def _no_such_user() -> Response:
    return oauth_error(404, "not_found", "No such user")


def _named_user(request: Request) -> User | None:
    """The user the path's `{email}` names, or None."""
    return _tenant(request).store.user_by_email(request.path_params["email"])


@guarded
async def get_user(request: Request) -> Response:
    user = _named_user(request)
    return _no_such_user() if user is None else JSONResponse(user.public())


@guarded
async def update_user(request: Request) -> Response:
    tenant = _tenant(request)
    user = _named_user(request)
    if user is None:
        return _no_such_user()
    data = await read_json(request)
    changes: dict[str, Any] = {}
    for name in ("name", "nickname", "picture"):
        if name in data:
            changes[name] = text_field(data, name, max_length=2048, required=False)
    for name in ("email_verified", "blocked"):
        flag = _flag(data, name)
        if flag is not None:
            changes[name] = flag
    if "password" in data:
        password = text_field(data, "password", max_length=1024)
        changes["password_hash"] = await anyio.to_thread.run_sync(hash_password, password)
    updated = tenant.store.update_user(user.user_id, tenant.clock.now(), **changes)
    return _no_such_user() if updated is None else JSONResponse(updated.public())


@guarded
async def delete_user(request: Request) -> Response:
    user = _named_user(request)
    if user is None or not _tenant(request).store.delete_user(user.user_id):
        return _no_such_user()
    return Response(status_code=204)


# tenant state -----------------------------------------------------------------------


@guarded
async def reset(request: Request) -> Response:
    _tenant(request).reset()
    return Response(status_code=204)


@guarded
async def clock(request: Request) -> Response:
    tenant = _tenant(request)
    if request.method == "POST":
        data = await read_json(request)
        tenant.clock.advance(_integer(data, "advance", low=-(10**8), high=10**8))
    return JSONResponse({"now": tenant.clock.now(), "offset": tenant.clock.offset})


@guarded
async def lifetimes(request: Request) -> Response:
    tenant = _tenant(request)
    if request.method == "PUT":
        data = await read_json(request)
        tenant.lifetimes = TokenLifetimes(
            id_token=_integer(
                data, "id_token", low=1, high=10**8, default=tenant.lifetimes.id_token
            ),
            access_token=_integer(
                data, "access_token", low=1, high=10**8, default=tenant.lifetimes.access_token
            ),
        )
    return JSONResponse(dataclasses.asdict(tenant.lifetimes))


@guarded
async def faults(request: Request) -> Response:
    tenant = _tenant(request)
    if request.method == "DELETE":
        tenant.faults.clear()
        return Response(status_code=204)
    if request.method == "POST":
        data = await read_json(request)
        endpoint = text_field(data, "endpoint", max_length=100)
        names: tuple[str, ...] = request.app.state.fault_endpoints
        if endpoint not in names:
            raise BadInput(400, "invalid_request", f"endpoint must be one of {', '.join(names)}")
        error = text_field(data, "error", max_length=100, required=False)
        default_status = 400 if error else 500
        status = _integer(data, "status", low=400, high=599, default=default_status)
        if status not in FAULT_STATUSES:
            raise BadInput(400, "invalid_request", f"status must be one of {FAULT_STATUSES}")
        fault = Fault(
            endpoint=endpoint,
            status=status,
            error=error,
            description=text_field(data, "error_description", max_length=500, required=False)
            or f"Injected fault ({error or status})",
            times=_integer(data, "times", low=1, high=10**6, default=1),
        )
        tenant.faults.add(fault)
        return JSONResponse(fault.public(), status_code=201)
    return JSONResponse([f.public() for f in tenant.faults.pending()])


@guarded
async def requests_log(request: Request) -> Response:
    tenant = _tenant(request)
    if request.method == "DELETE":
        tenant.requests.clear()
        return Response(status_code=204)
    return JSONResponse(tenant.requests.entries())


@guarded
async def emails(request: Request) -> Response:
    tenant = _tenant(request)
    if request.method == "DELETE":
        tenant.store.clear_emails()
        return Response(status_code=204)
    return JSONResponse([e.public() for e in tenant.store.emails()])


# page -------------------------------------------------------------------------------


def _table(headings: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headings)
    if not rows:
        return f"<table><tr>{head}</tr><tr><td colspan={len(headings)}>none</td></tr></table>"
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


@guarded
async def page(request: Request) -> Response:
    tenant = _tenant(request)
    users = _table(
        ["email", "name", "user_id", "verified", "blocked", "failed logins", "logins"],
        [
            [
                u.email,
                u.name,
                u.user_id,
                str(u.email_verified),
                str(u.blocked),
                str(u.failed_logins),
                str(u.logins_count),
            ]
            for u in tenant.store.users()
        ],
    )
    mails = _table(
        ["when", "to", "kind", "subject", "link"],
        [
            [iso_time(e.created_at), e.to, e.kind, e.subject, e.link]
            for e in reversed(tenant.store.emails())
        ],
    )
    title = f"devtenant: {tenant.config.tenant}"
    document = (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2rem}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}</style>"
        f"<h1>{html.escape(title)}</h1>"
        "<p><strong>Development only.</strong> Offline Auth0-compatible tenant; "
        f"issuer {html.escape(tenant.config.issuer)}</p>"
        f"<h2>Users</h2>{users}<h2>Captured emails</h2>{mails}"
    )
    # Its policy is the tenant's page policy (PagePolicyMiddleware): no script, no framing.
    return HTMLResponse(document, headers={"Cache-Control": "no-store"})
