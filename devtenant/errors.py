"""Auth0's error shapes, and reading request bodies without ever answering 500.

Auth0 answers OAuth-style endpoints with `{"error", "error_description"}` and the database
connection endpoints with `{"name", "code", "description", "statusCode"}`. Browser-facing
pages (`/authorize`, `/v2/logout`) get a small HTML error page instead of a redirect whenever
the redirect target itself is in doubt.
"""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse

MAX_BODY_BYTES = 16 * 1024


class BadInput(Exception):
    """A request the tenant refuses; carries the response to send."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


def oauth_error(
    status: int, error: str, description: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status, headers=headers
    )


def db_error(
    status: int, code: str, description: Any, name: str = "BadRequestError"
) -> JSONResponse:
    """The `/dbconnections/*` shape that Lock reads (`code`, `description`, `name`)."""
    body = {"name": name, "code": code, "description": description, "statusCode": status}
    return JSONResponse(body, status_code=status)


def error_page(status: int, title: str, message: str) -> HTMLResponse:
    """A plain page for the browser; every dynamic part escaped."""
    page = (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title>"
        "<body style='font-family:sans-serif;max-width:40rem;margin:3rem auto'>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>"
        "<p><small>devtenant (offline Auth0-compatible dev tenant)</small></p></body></html>"
    )
    return HTMLResponse(page, status_code=status)


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The raw body, refusing anything over `limit` bytes before reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise BadInput(400, "invalid_request", "Invalid Content-Length")
        if int(declared) > limit:
            raise BadInput(413, "invalid_request", "Request body too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadInput(413, "invalid_request", "Request body too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_json(request: Request, *, allow_form: bool = False) -> dict[str, Any]:
    """A JSON object body (or a form body when `allow_form`); BadInput otherwise."""
    media = _media_type(request)
    forms = ("application/x-www-form-urlencoded",) if allow_form else ()
    if media != "application/json" and media not in forms:
        raise BadInput(415, "invalid_request", "Content-Type must be application/json")
    raw = await read_body(request)
    if media in forms:
        try:
            return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError as exc:
            raise BadInput(400, "invalid_request", "Malformed form body") from exc
    try:
        data = json.loads(raw)
        # A lone surrogate ("\\ud800") parses but can be neither stored nor sent back.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    # ValueError: besides JSONDecodeError and UnicodeError, an integer over Python's digit limit.
    except (ValueError, RecursionError) as exc:
        raise BadInput(400, "invalid_request", "Malformed JSON body") from exc
    if not isinstance(data, dict):
        raise BadInput(400, "invalid_request", "The body must be a JSON object")
    return data


def text_field(
    data: dict[str, Any], name: str, *, max_length: int = 512, required: bool = True
) -> str:
    """A string field within `max_length` characters; BadInput when missing or wrong."""
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise BadInput(400, "invalid_request", f"Missing required parameter: {name}")
        return ""
    if not isinstance(value, str):
        raise BadInput(400, "invalid_request", f"{name} must be a string")
    if len(value) > max_length:
        raise BadInput(400, "invalid_request", f"{name} is too long")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BadInput(400, "invalid_request", f"{name} is not valid text") from exc
    return value
