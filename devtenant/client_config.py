"""What Lock loads before it renders: `/client/{client_id}.js` (`Auth0.setClient(...)`) and the
English dictionary at `/js/lock/{version}/en.js` (`Auth0.registerLanguageDictionary(...)`).

The dictionary is the site build's `dist/vendor/lock/js/lock/<ver>/en.js` when it exists, else
it is made from `node_modules/auth0-lock/lib/i18n/en.js` (a JavaScript object literal).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from .tenant import Tenant

ROOT = Path(__file__).resolve().parent.parent
LOCK_VERSION = re.compile(r"^\d{1,3}\.\d{1,3}\.\d{1,3}$")
_JS = "application/javascript; charset=utf-8"


def _js(text: str, status: int = 200, cache_control: str = "no-store") -> Response:
    return Response(
        text, status_code=status, media_type=_JS, headers={"Cache-Control": cache_control}
    )


async def client_script(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    app = tenant.config.application(request.path_params["client_id"])
    if app is None:
        return _js("/* unknown client */\n", status=404)
    connection = tenant.config.connection
    settings = {
        "id": app.client_id,
        "tenant": tenant.config.tenant,
        "subscription": "free",
        "authorize": tenant.config.issuer + "authorize",
        "callback": app.callbacks[0] if app.callbacks else "",
        "hasAllowedOrigins": bool(app.web_origins),
        "strategies": [
            {
                "name": "auth0",
                "connections": [
                    {
                        "name": connection.name,
                        "showSignup": not connection.disable_signup,
                        "showForgot": True,
                        "passwordPolicy": connection.password_policy,
                        "requires_username": False,
                    }
                ],
            }
        ],
    }
    payload = json.dumps(settings).replace("<", "\\u003c")
    return _js(f"Auth0.setClient({payload});\n")


@lru_cache(maxsize=8)  # keyed by any N.N.N a request names: bounded
def english_dictionary(version: str) -> str | None:
    built = ROOT / "dist" / "vendor" / "lock" / "js" / "lock" / version / "en.js"
    if built.is_file():
        return built.read_text(encoding="utf-8")
    source = ROOT / "node_modules" / "auth0-lock" / "lib" / "i18n" / "en.js"
    if not source.is_file():
        return None
    text = source.read_text(encoding="utf-8")
    start = text.find("exports.default = {")
    end = text.rfind("};")
    if start < 0 or end < start:
        return None
    literal = text[start + len("exports.default = ") : end + 1]
    return f'Auth0.registerLanguageDictionary("en", {literal});\n'


async def language_dictionary(request: Request) -> Response:
    version = str(request.path_params["version"])
    language = str(request.path_params["language"])
    if language != "en" or not LOCK_VERSION.match(version):
        return _js("/* only the English dictionary is served */\n", status=404)
    text = english_dictionary(version)
    if text is None:
        return _js("/* dictionary not found: run npm install or npm run build */\n", status=404)
    return _js(text, cache_control="public, max-age=3600")
