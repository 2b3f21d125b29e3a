"""The database connection: `/dbconnections/signup`, `/dbconnections/change_password`, and the
password-reset page (`/lo/reset`) that the captured reset email links to."""

from __future__ import annotations

import html
import re
import secrets
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from .config import SeedUser
from .errors import BadInput, db_error, error_page, read_json, text_field
from .passwords import hash_password, policy_failures
from .store import UserExists

if TYPE_CHECKING:
    from .config import Application
    from .tenant import Tenant

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
RESET_SENT = "We've just sent you an email to reset your password."
RESET_TICKET_SECONDS = 24 * 3600


def _client(tenant: Tenant, request: Request, data: dict[str, Any]) -> Application:
    """The calling application, checked against the origin and the connection name."""
    client_id = text_field(data, "client_id", max_length=200)
    app = tenant.config.application(client_id)
    if app is None:
        raise BadInput(400, "invalid_client", f"Unknown client: {client_id}")
    origin = request.headers.get("origin")
    if origin is not None and origin not in app.web_origins:
        raise BadInput(403, "unauthorized", f"Origin {origin} is not allowed.")
    connection = text_field(data, "connection", max_length=200)
    if connection != tenant.config.connection.name:
        raise BadInput(400, "invalid_connection", f"Unknown connection: {connection}")
    return app


def _email(data: dict[str, Any]) -> str:
    email = text_field(data, "email", max_length=254).strip()
    if not EMAIL.match(email):
        raise BadInput(400, "invalid_signup", "Invalid sign up")
    return email


def _password_error(failures: list[str], policy: str) -> Response:
    body = {
        "name": "PasswordStrengthError",
        "code": "invalid_password",
        "description": {
            "rules": [{"message": f, "verified": False} for f in failures],
            "verified": False,
        },
        "message": "Password is too weak",
        "policy": policy,
        "statusCode": 400,
    }
    return JSONResponse(body, status_code=400)


async def signup(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    try:
        data = await read_json(request)
        _client(tenant, request, data)
        email = _email(data)
        password = text_field(data, "password", max_length=1024)
        name = text_field(data, "name", max_length=300, required=False)
        nickname = text_field(data, "nickname", max_length=300, required=False)
        metadata = data.get("user_metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise BadInput(400, "invalid_signup", "user_metadata must be an object")
    except BadInput as bad:
        return db_error(bad.status, bad.error, bad.description)
    connection = tenant.config.connection
    if connection.disable_signup:
        return db_error(400, "operation_not_allowed", "Signups are not allowed.")
    failures = policy_failures(password, connection.password_policy)
    if failures:
        return _password_error(failures, connection.password_policy)
    if tenant.store.user_by_email(email) is not None:
        return db_error(400, "user_exists", "The user already exists.")
    try:
        user = await tenant.create_user(
            SeedUser(
                email=email,
                password=password,
                name=name,
                nickname=nickname,
                email_verified=False,
            )
        )
    except UserExists:
        return db_error(400, "user_exists", "The user already exists.")
    tenant.send_email(
        email,
        "verify_email",
        "Verify your email",
        "Please verify your email address.",
        "",
    )
    return JSONResponse(
        {
            "_id": user.user_id.removeprefix("auth0|"),
            "email": user.email,
            "email_verified": user.email_verified,
        }
    )


async def change_password(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    try:
        data = await read_json(request)
        _client(tenant, request, data)
        email = _email(data)
    except BadInput as bad:
        return db_error(bad.status, bad.error, bad.description)
    user = tenant.store.user_by_email(email)
    if user is not None:  # the answer is the same either way: no account discovery
        ticket = secrets.token_urlsafe(24)
        now = tenant.clock.now()
        tenant.store.add_reset_ticket(ticket, user.user_id, now + RESET_TICKET_SECONDS)
        link = f"{tenant.config.issuer}lo/reset?ticket={ticket}"
        tenant.send_email(
            user.email,
            "reset_password",
            "Reset your password",
            f"Follow this link to choose a new password: {link}",
            link,
        )
    return PlainTextResponse(RESET_SENT)


def _reset_form(ticket: str, message: str = "", status: int = 200) -> HTMLResponse:
    notice = f"<p role=alert>{html.escape(message)}</p>" if message else ""
    page = (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Reset your password</title>"
        "<body style='font-family:sans-serif;max-width:30rem;margin:3rem auto'>"
        f"<h1>Reset your password</h1>{notice}"
        "<form method=post action='/lo/reset'>"
        f"<input type=hidden name=ticket value='{html.escape(ticket, quote=True)}'>"
        "<label>New password <input type=password name=password required"
        " autocomplete=new-password></label> <button type=submit>Reset password</button>"
        "</form></body></html>"
    )
    return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})


async def reset_page(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    if request.method == "GET":
        ticket = request.query_params.get("ticket", "")
        if len(ticket) > 200 or tenant.store.reset_ticket(ticket, tenant.clock.now()) is None:
            return error_page(400, "Link expired", "This password reset link is not valid.")
        return _reset_form(ticket)
    try:
        data = await read_json(request, allow_form=True)
        ticket = text_field(data, "ticket", max_length=200)
        password = text_field(data, "password", max_length=1024)
    except BadInput as bad:
        return error_page(bad.status, "Invalid request", bad.description)
    now = tenant.clock.now()
    if tenant.store.reset_ticket(ticket, now) is None:
        return error_page(400, "Link expired", "This password reset link is not valid.")
    failures = policy_failures(password, tenant.config.connection.password_policy)
    if failures:
        return _reset_form(ticket, "Password is too weak: " + "; ".join(failures), 400)
    user_id = tenant.store.take_reset_ticket(ticket, now)
    if user_id is None:
        return error_page(400, "Link expired", "This password reset link is not valid.")
    password_hash = await anyio.to_thread.run_sync(hash_password, password)
    tenant.store.update_user(user_id, now, password_hash=password_hash, blocked=False)
    return error_page(200, "Password changed", "You can now log in with your new password.")
