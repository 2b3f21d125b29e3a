"""`python -m devtenant --port 8001 [--config FILE] [--db PATH] [--reset] [--no-admin]
[--app-origin URL]`"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import urlsplit

import uvicorn

from .app import create_app
from .config import ConfigError, TenantConfig

DEFAULT_DB = Path(".devtenant") / "tenant.sqlite3"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m devtenant",
        description="Offline Auth0-compatible dev tenant (development only).",
    )
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--config", type=Path, help="tenant configuration (JSON)")
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"SQLite file ({DEFAULT_DB})")
    parser.add_argument("--reset", action="store_true", help="start from an empty database")
    parser.add_argument("--no-admin", action="store_true", help="turn the /_dev/ admin API off")
    parser.add_argument(
        "--app-origin", help="the app's origin, without --config (http://localhost:8000)"
    )
    return parser.parse_args(argv)


def check_against_file(config: TenantConfig, args: argparse.Namespace) -> None:
    """A --config file decides the issuer and the applications: refuse flags it would
    silently override."""
    if args.app_origin is not None:
        raise ConfigError("--app-origin has no effect with --config: list the app in its clients")
    issuer = urlsplit(config.issuer)
    port = issuer.port or (443 if issuer.scheme == "https" else 80)
    if issuer.hostname in ("localhost", "127.0.0.1") and port != args.port:
        raise ConfigError(
            f"{args.config} names the issuer {config.issuer} but the tenant would listen on port "
            f"{args.port}: pass --port {port} or change issuer_base"
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    issuer_base = f"http://localhost:{args.port}"
    try:
        if args.config is not None:
            config = TenantConfig.from_file(args.config, issuer_base=issuer_base)
            check_against_file(config, args)
        else:
            app_origin = args.app_origin or "http://localhost:8000"
            config = TenantConfig.default(issuer_base=issuer_base, app_origin=app_origin)
    except ConfigError as exc:
        print(f"devtenant: {exc}", file=sys.stderr)
        return 2
    if args.reset and args.db.exists():
        args.db.unlink()
    app = create_app(config, db_path=args.db, admin=not args.no_admin)
    print(f"devtenant {config.tenant}: issuer {config.issuer} (database {args.db})", flush=True)
    # No access log: its lines would carry query strings, login tickets among them.
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="info", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
