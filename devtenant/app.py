"""`create_app`: the tenant as a Starlette ASGI app, every route listed in one place."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import (
    admin,
    authorize,
    avatars,
    client_config,
    co,
    dbconnections,
    logout,
    tokens,
    universal_login,
    userinfo,
)
from .clock import Clock
from .config import TenantConfig
from .cors import CorsMode, add_headers, preflight
from .errors import db_error, oauth_error
from .store import Store
from .tenant import Fault, Tenant

Handler = Callable[[Request], Awaitable[Response]]
LOG = logging.getLogger("devtenant")


@dataclass(frozen=True)
class Surface:
    """One Auth0 endpoint: its handler, the fault-injection name, and its CORS mode."""

    path: str
    handler: Handler
    methods: tuple[str, ...]
    fault: str | None = None
    cors: CorsMode | None = None
    shape: str = "oauth"  # error shape for injected faults: "oauth" or "db"


SURFACES: tuple[Surface, ...] = (
    Surface("/client/{client_id}.js", client_config.client_script, ("GET",), "client"),
    Surface(
        "/js/lock/{version}/{language}.js",
        client_config.language_dictionary,
        ("GET",),
        "language",
    ),
    # /authorize applies its own faults: an OAuth error there goes back via the redirect.
    Surface("/authorize", authorize.authorize, ("GET",)),
    Surface("/u/login", universal_login.submit, ("POST",)),
    Surface("/co/authenticate", co.authenticate, ("POST",), "co_authenticate", "credentials"),
    Surface("/oauth/token", tokens.oauth_token, ("POST",), "token", "credentials"),
    Surface("/.well-known/jwks.json", tokens.jwks, ("GET",), "jwks", "public"),
    Surface(
        "/.well-known/openid-configuration",
        tokens.openid_configuration,
        ("GET",),
        "openid_configuration",
        "public",
    ),
    Surface("/userinfo", userinfo.userinfo, ("GET", "POST"), "userinfo", "credentials"),
    Surface(
        "/dbconnections/signup", dbconnections.signup, ("POST",), "signup", "credentials", "db"
    ),
    Surface(
        "/dbconnections/change_password",
        dbconnections.change_password,
        ("POST",),
        "change_password",
        "credentials",
        "db",
    ),
    Surface("/v2/logout", logout.logout, ("GET",), "logout"),
    Surface("/lo/reset", dbconnections.reset_page, ("GET", "POST")),
    Surface("/avatars/{initials}.svg", avatars.avatar, ("GET",)),
)

ADMIN_SURFACES: tuple[Surface, ...] = (
    Surface("/_dev/", admin.page, ("GET",)),
    Surface("/_dev/users", admin.list_users, ("GET",)),
    Surface("/_dev/users", admin.create_user, ("POST",)),
    Surface("/_dev/users/{email}", admin.get_user, ("GET",)),
    Surface("/_dev/users/{email}", admin.update_user, ("PATCH",)),
    Surface("/_dev/users/{email}", admin.delete_user, ("DELETE",)),
    Surface("/_dev/reset", admin.reset, ("POST",)),
    Surface("/_dev/clock", admin.clock, ("GET", "POST")),
    Surface("/_dev/lifetimes", admin.lifetimes, ("GET", "PUT")),
    Surface("/_dev/faults", admin.faults, ("GET", "POST", "DELETE")),
    Surface("/_dev/requests", admin.requests_log, ("GET", "DELETE")),
    Surface("/_dev/emails", admin.emails, ("GET", "DELETE")),
)


# Names for fault injection (`POST /_dev/faults {"endpoint": ...}`); /authorize applies its own.
FAULT_ENDPOINTS: tuple[str, ...] = (
    "authorize",
    *dict.fromkeys(s.fault for s in SURFACES if s.fault is not None),
)


def fault_response(fault: Fault, shape: str) -> Response:
    error = fault.error or {401: "unauthorized", 429: "too_many_requests"}.get(
        fault.status, "server_error" if fault.status >= 500 else "invalid_request"
    )
    if shape == "db":
        return db_error(fault.status, error, fault.description)
    return oauth_error(fault.status, error, fault.description)


def _endpoint(surface: Surface) -> Handler:
    methods = ", ".join(surface.methods)

    async def endpoint(request: Request) -> Response:
        tenant: Tenant = request.app.state.tenant
        if request.method == "OPTIONS" and surface.cors is not None:
            return preflight(request, tenant, surface.cors, methods)
        fault = tenant.faults.take(surface.fault) if surface.fault else None
        if fault is not None:
            response = fault_response(fault, surface.shape)
        else:
            response = await surface.handler(request)
        if surface.cors is not None:
            add_headers(response, request, tenant, surface.cors)
        return response

    endpoint.__name__ = surface.handler.__name__
    return endpoint


def _routes(surfaces: tuple[Surface, ...]) -> list[Route]:
    routes = []
    for surface in surfaces:
        methods = list(surface.methods) + (["OPTIONS"] if surface.cors else [])
        routes.append(Route(surface.path, _endpoint(surface), methods=methods))
    return routes


class InternalErrorMiddleware:
    """A bug in a handler answers as Auth0 would, `500 server_error` in JSON with the CORS
    headers auth0-js needs to read it, instead of Starlette's plain text (which a browser shows
    the page as a network failure); the traceback goes to the log."""

    def __init__(self, app: ASGIApp, tenant: Tenant) -> None:
        self.app = app
        self.tenant = tenant

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            if started:
                raise
            LOG.exception("%s %s failed", scope.get("method"), scope.get("path"))
            response = oauth_error(500, "server_error", "The dev tenant hit an internal error")
            add_headers(response, Request(scope), self.tenant, "credentials")
            await response(scope, receive, send)


class RequestLogMiddleware:
    """Records method, path and status of every non-admin request in the tenant's log."""

    def __init__(self, app: ASGIApp, tenant: Tenant) -> None:
        self.app = app
        self.tenant = tenant

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith("/_dev/"):
            await self.app(scope, receive, send)
            return

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.tenant.requests.record(
                    scope["method"], path, int(message["status"]), self.tenant.clock.now()
                )
            await send(message)

        await self.app(scope, receive, recording_send)


# The tenant's own HTML pages (hosted login, password reset, errors, logout) run no script and
# load nothing: inline styles only. No `form-action`: the login form's answer redirects on to
# the app's callback, and a browser holds that redirect to the same rule.
PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'"


class PagePolicyMiddleware:
    """A strict Content-Security-Policy on every HTML page, and no framing by other sites.

    A page without a policy of its own gets `PAGE_POLICY`. No page may be framed
    (`frame-ancestors 'none'`, `X-Frame-Options: DENY`: clickjacking the login or admin page),
    except one that names its own `frame-ancestors`: the web_message answer, which auth0-js
    loads in a hidden iframe of the app.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def guarded_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if headers.get("content-type", "").lower().startswith("text/html"):
                    csp = headers.get("content-security-policy") or PAGE_POLICY
                    if "frame-ancestors" not in csp:
                        csp = f"{csp}; frame-ancestors 'none'"
                        headers["X-Frame-Options"] = "DENY"
                    headers["Content-Security-Policy"] = csp
            await send(message)

        await self.app(scope, receive, guarded_send)


LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})


def host_name(host_header: str) -> str:
    """The lowercased host of a `Host` header, without its port."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if ":" in host else host


class LocalHostOnlyMiddleware:
    """Refuses requests whose `Host` is not a loopback name (or the issuer's own host).

    A page on another site can rebind its DNS name to 127.0.0.1 and so talk to the tenant
    "same-origin"; its requests still carry that site's name in `Host`.
    """

    def __init__(self, app: ASGIApp, tenant: Tenant) -> None:
        self.app = app
        self.allowed = LOCAL_HOSTS | {host_name(urlsplit(tenant.config.issuer).netloc)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            hosts = [v for k, v in scope.get("headers", []) if k == b"host"]
            host = hosts[0].decode("latin-1") if len(hosts) == 1 else ""
            if host_name(host) not in self.allowed:
                response = oauth_error(400, "invalid_request", "Invalid Host header")
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _http_error(request: Request, exc: HTTPException) -> Response:
    """Routing's own errors (no such path, wrong method) in the OAuth error shape."""
    error = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "invalid_request")
    return oauth_error(exc.status_code, error, str(exc.detail))


def create_app(
    config: TenantConfig | None = None,
    db_path: str | Path | None = None,
    admin: bool = True,
    clock: Clock | None = None,
) -> Starlette:
    """The dev tenant. `db_path=None` keeps everything in memory; `admin=False` drops /_dev/."""
    config = config or TenantConfig.default()
    store = Store(db_path)
    tenant = Tenant(config, store, clock or Clock())
    routes = _routes(SURFACES + (ADMIN_SURFACES if admin else ()))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        yield
        store.close()

    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_error},
        lifespan=lifespan,
    )
    app.state.tenant = tenant
    app.state.fault_endpoints = FAULT_ENDPOINTS
    app.add_middleware(InternalErrorMiddleware, tenant=tenant)  # inside the log: it is logged
    app.add_middleware(RequestLogMiddleware, tenant=tenant)
    app.add_middleware(PagePolicyMiddleware)
    app.add_middleware(LocalHostOnlyMiddleware, tenant=tenant)
    return app
