"""Dev server: the static site and the offline dev tenant, in one process.

    python serve.py [--port 8000] [--tenant-port 8001]

With AUTH0_DOMAIN and AUTH0_CLIENT_ID set, the page talks to that real Auth0 tenant instead and
no dev tenant is started.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import mimetypes
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

ROOT = Path(__file__).resolve().parent
WEB_DIR = ROOT / "web"
PY_DIR = ROOT / "py"
DIST_DIR = ROOT / "dist"
VENDOR_DIR = DIST_DIR / "vendor"

CLIENT_ID = "pyscript-session-demo"

# A vendor file whose name, or folder's name, carries a hash of its content (PyScript's chunks,
# vendor/pyodide-fast-1a2b3c4d/...) never changes under that name, so browsers may keep it for
# good. Every other file keeps its name across upgrades and edits (index.html, boot.js, lock.js,
# main.py): browsers keep it too but revalidate it on each load (ETag -> 304).
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
CONTENT_HASHED = re.compile(r"^/vendor/(.+/)?[^/]*-[A-Za-z0-9_-]{8}(/|\.m?js$)")


def cache_control(url_path: str) -> str:
    return IMMUTABLE if CONTENT_HASHED.match(url_path) else REVALIDATE


MEDIA_TYPES = {
    ".wasm": "application/wasm",
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".py": "text/x-python",
    ".json": "application/json",
    ".zip": "application/zip",
    ".svg": "image/svg+xml",
    ".css": "text/css",
    ".html": "text/html",
}
# Precompressed siblings written by the asset build, best first: zstd (large files only) decodes
# fastest on each visit, brotli is smallest.
ENCODINGS = (("zstd", ".zst"), ("br", ".br"), ("gzip", ".gz"))


def page_config(domain: str, client_id: str, **overrides: Any) -> dict[str, Any]:
    """The page's auth0-config.json. A `domain` with a scheme is a self-hosted tenant (the dev
    tenant); a bare host name is a real Auth0 tenant, for which the page uses Lock's defaults."""
    config = {
        "domain": domain,
        "clientId": client_id,
        "scope": "openid profile email",
        "storage": "localStorage",
        "logout": "local",
        "interpreter": "pyodide",
    }
    config.update({k: v for k, v in overrides.items() if v is not None})
    return config


def dev_tenant_config(tenant_url: str, **overrides: Any) -> dict[str, Any]:
    """The page's auth0-config.json for the offline dev tenant at `tenant_url`."""
    return page_config(tenant_url, CLIENT_ID, **overrides)


def tenant_origin(domain: Any) -> str | None:
    """The tenant's origin from the config's `domain`, or None if it is not a usable string."""
    if not isinstance(domain, str) or not domain.strip():
        return None
    return domain.rstrip("/") if "://" in domain else f"https://{domain}"


def content_security_policy(config: dict[str, Any]) -> str:
    """A CSP naming exactly the tenant the page talks to.

    PyScript needs 'unsafe-eval' (it builds functions at run time) beside 'wasm-unsafe-eval';
    Lock writes inline styles into the widget. Real users' pictures come from many hosts
    (Gravatar, social providers); the dev tenant serves its own.
    """
    tenant = tenant_origin(config.get("domain")) or ""
    pictures = tenant if tenant.startswith("http://localhost") else "https:"
    return "; ".join(
        directive.strip()
        for directive in [
            "default-src 'self'",
            f"script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval' {tenant}",
            "style-src 'self' 'unsafe-inline'",
            f"img-src 'self' data: {pictures}",
            f"connect-src 'self' {tenant}",
            "frame-src " + (tenant or "'none'"),
            "worker-src 'self' blob:",
            "base-uri 'self'",
            f"form-action 'self' {tenant}",
            "object-src 'none'",
            "frame-ancestors 'none'",  # only a header can say this; the <meta> cannot
        ]
    )


# The page's <meta> CSP serves static hosts; here the header below is the one exact policy.
CSP_META = re.compile(rb'\s*<meta http-equiv="Content-Security-Policy"[^>]*>')


def page_with_header_csp(path: Path, config: dict[str, Any]) -> Response:
    html = CSP_META.sub(b"", path.read_bytes())
    headers = {
        "Cache-Control": REVALIDATE,
        "Content-Security-Policy": content_security_policy(config),
        "X-Content-Type-Options": "nosniff",
    }
    return Response(html, media_type="text/html", headers=headers)


def _inside(root: Path, relative: str) -> Path | None:
    """The file at `relative` below `root`, or None if it escapes root or does not exist."""
    if "\0" in relative:  # no file name has one; resolve() would raise
        return None
    target = (root / relative).resolve()
    if not target.is_relative_to(root.resolve()) or not target.is_file():
        return None
    return target


def accepted_encodings(header: str) -> set[str]:
    """The codings an Accept-Encoding header allows (`br;q=0` refuses br)."""
    accepted = set()
    for item in header.split(","):
        coding, _, params = item.strip().partition(";")
        quality = params.strip().removeprefix("q=")
        try:
            refused = params and float(quality) == 0
        except ValueError:
            refused = True
        if coding and not refused:
            accepted.add(coding.strip().lower())
    return accepted


def _file_response(request: Request, path: Path) -> Response:
    """The file, or its precompressed sibling when the browser takes it; 304 when unchanged."""
    media_type = MEDIA_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
    cache = cache_control(request.url.path)
    headers = {"Cache-Control": cache, "X-Content-Type-Options": "nosniff"}
    accepted = accepted_encodings(request.headers.get("accept-encoding", ""))
    sent = path
    for encoding, suffix in ENCODINGS:
        packed = path.with_name(path.name + suffix)
        if packed.is_file():
            headers["Vary"] = "Accept-Encoding"
            if encoding in accepted:
                headers["Content-Encoding"] = encoding
                sent = packed
                break
    response = FileResponse(sent, media_type=media_type, headers=headers, stat_result=sent.stat())
    if request.headers.get("if-none-match") == response.headers["etag"]:
        kept = {k: v for k, v in response.headers.items() if k not in ("content-length",)}
        return Response(status_code=304, headers=kept)
    return response


def current_interpreters(
    vendor_dir: Path, py_dir: Path, stale: Callable[[str, str], None] = lambda name, url: None
) -> dict[str, dict[str, Any]]:
    """vendor/interpreters.json for py/ as it is now.

    An interpreter whose early start writes the app's modules as bytecode lists their sources
    ("compiled": sha256 by page URL) and boot.js then leaves them out of PyScript's files. Once one
    of those sources differs from what the build compiled (py/ is served live), the bundle would
    run the old code: that interpreter gets no bundle, so PyScript fetches every source, and
    `stale(interpreter, url)` is told which one changed.
    """
    interpreters = built_interpreters(vendor_dir)
    for name, entry in interpreters.items():
        compiled = entry.get("compiled", {})
        changed = [url for url, digest in compiled.items() if _source_digest(py_dir, url) != digest]
        if changed:
            stale(name, changed[0])
            bundle = entry.pop("bytecode")
            del entry["compiled"]
            entry["fetchpreload"] = [url for url in entry["fetchpreload"] if url != bundle]
    return interpreters


def _source_digest(py_dir: Path, url: str) -> str | None:
    path = _inside(py_dir, url.removeprefix("./py/"))
    return hashlib.sha256(path.read_bytes()).hexdigest() if path else None


def _json_response(request: Request, data: Any) -> Response:
    """`data` as JSON that browsers revalidate (ETag -> 304), as the static files are."""
    body = json.dumps(data, indent=2).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    headers = {"Cache-Control": REVALIDATE, "ETag": etag, "X-Content-Type-Options": "nosniff"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def create_site_app(
    config: dict[str, Any] | Callable[[], dict[str, Any]],
    web_dir: Path = WEB_DIR,
    py_dir: Path = PY_DIR,
    vendor_dir: Path = VENDOR_DIR,
) -> Starlette:
    """The site as served in development: web/ and py/ live, vendor/ from the build.

    `config` is the auth0-config.json content, or a function returning it (tests change it).
    """
    current_config = config if callable(config) else (lambda: config)
    told: set[tuple[str, str]] = set()

    def stale(interpreter: str, url: str) -> None:
        if (interpreter, url) not in told:
            told.add((interpreter, url))
            print(
                f"{url} changed since the build: {interpreter} compiles py/ in the page "
                "until `npm run build` compiles it again",
                file=sys.stderr,
                flush=True,
            )

    async def auth0_config(request: Request) -> Response:
        return JSONResponse(current_config(), headers={"Cache-Control": REVALIDATE})

    async def files(request: Request) -> Response:
        relative = request.path_params["path"] or "index.html"
        if relative == "vendor/interpreters.json" and (vendor_dir / "interpreters.json").is_file():
            return _json_response(request, current_interpreters(vendor_dir, py_dir, stale))
        if relative.startswith("vendor/"):
            root, relative = vendor_dir, relative.removeprefix("vendor/")
        elif relative.startswith("py/"):
            root, relative = py_dir, relative.removeprefix("py/")
        else:
            root = web_dir
        path = _inside(root, relative)
        if path is None:
            return PlainTextResponse("Not found", status_code=404)
        if path.suffix == ".html":
            return page_with_header_csp(path, current_config())
        return _file_response(request, path)

    return Starlette(
        routes=[
            Route("/auth0-config.json", auth0_config),
            Route("/{path:path}", files, methods=["GET", "HEAD"]),
        ]
    )


def built_interpreters(vendor_dir: Path = VENDOR_DIR) -> dict[str, dict[str, Any]]:
    """vendor/interpreters.json: each interpreter's module, wasm and preloads (page URLs)."""
    return json.loads((vendor_dir / "interpreters.json").read_text())


def ensure_assets() -> None:
    """Build the vendored assets on first run; explain what is missing otherwise."""
    if (VENDOR_DIR / "lock" / "lock.js").is_file() and (VENDOR_DIR / "interpreters.json").is_file():
        return
    if not (ROOT / "node_modules").is_dir():
        sys.exit("Front-end assets are missing: run `npm ci` first, then `python serve.py`.")
    print("Building front-end assets (npm run build)...", flush=True)
    subprocess.run(["npm", "run", "--silent", "build"], cwd=ROOT, check=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8000, help="the app's port (default 8000)")
    parser.add_argument(
        "--tenant-port", type=int, default=8001, help="the dev tenant's port (default 8001)"
    )
    parser.add_argument("--storage", choices=["localStorage", "lockr", "sessionStorage", "memory"])
    parser.add_argument("--logout", choices=["local", "federated"])
    parser.add_argument(
        "--interpreter", choices=["pyodide", "micropython", "pyodide-snapshot", "pyodide-stock"]
    )
    parser.add_argument("--db", help="dev tenant user store (SQLite file); default: in memory")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    app_url = f"http://localhost:{args.port}"
    options = {"storage": args.storage, "logout": args.logout, "interpreter": args.interpreter}
    servers = []
    domain, client_id = os.environ.get("AUTH0_DOMAIN"), os.environ.get("AUTH0_CLIENT_ID")
    if domain and client_id:
        config = page_config(domain, client_id, **options)
        print(f"Real Auth0 tenant: {domain} (client {client_id})")
    else:
        from devtenant import TenantConfig, create_app

        tenant_url = f"http://localhost:{args.tenant_port}"
        tenant = TenantConfig.default(issuer_base=tenant_url, app_origin=app_url)
        config = dev_tenant_config(tenant_url, **options)
        tenant_app = create_app(tenant, db_path=args.db)
        servers.append(_server(tenant_app, args.tenant_port))
        user = tenant.users[0]
        print(f"Dev tenant: {tenant_url}  (admin page {tenant_url}/_dev/)")
        print(f"Test user:  {user.email} / {user.password}")
    servers.append(_server(create_site_app(config), args.port))
    print(f"App:        {app_url}/", flush=True)
    await asyncio.gather(*(server.serve() for server in servers))


def _server(app: Starlette, port: int) -> uvicorn.Server:
    return uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    ensure_assets()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
