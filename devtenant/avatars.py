"""`GET /avatars/{initials}.svg`: the default profile picture, served locally (no gravatar)."""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import Response

from .errors import error_page

_COLOURS = ("#4f46e5", "#0f766e", "#b45309", "#be123c", "#1d4ed8", "#6d28d9")


async def avatar(request: Request) -> Response:
    initials = str(request.path_params["initials"])
    if not (1 <= len(initials) <= 2 and initials.isascii() and initials.isalpha()):
        return error_page(404, "Not found", "No such avatar.")
    colour = _COLOURS[hashlib.sha256(initials.encode()).digest()[0] % len(_COLOURS)]
    svg = (
        "<svg xmlns='http://www.w3.org/2000/svg' width='96' height='96' viewBox='0 0 96 96'>"
        f"<rect width='96' height='96' rx='48' fill='{colour}'/>"
        "<text x='48' y='60' font-family='sans-serif' font-size='38' fill='#fff'"
        f" text-anchor='middle'>{initials.upper()}</text></svg>"
    )
    return Response(
        svg, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=3600"}
    )
