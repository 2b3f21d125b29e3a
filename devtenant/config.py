"""Tenant configuration, in Auth0's own words.

The JSON file read by `TenantConfig.from_file` mirrors Auth0's Management API names:

```json
{
  "tenant": "dev-tenant",
  "issuer_base": "http://localhost:8001",
  "clients": [{
    "name": "PyScript session demo",
    "client_id": "pyscript-session-demo",
    "app_type": "spa",
    "callbacks": ["http://localhost:8000/"],
    "web_origins": ["http://localhost:8000"],
    "allowed_logout_urls": ["http://localhost:8000/"]
  }],
  "connection": {
    "name": "Username-Password-Authentication",
    "strategy": "auth0",
    "options": {"disable_signup": false, "passwordPolicy": "fair"}
  },
  "token_lifetimes": {"id_token": 3600, "access_token": 7200},
  "users": [{"email": "ada@example.com", "password": "Lovelace-1815", "name": "Ada Lovelace"}]
}
```

Every key but `clients` is optional; `issuer_base` may also come from the command line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

DATABASE_CONNECTION = "Username-Password-Authentication"
PASSWORD_POLICIES = ("none", "low", "fair", "good", "excellent")


class ConfigError(ValueError):
    """The configuration cannot describe a tenant."""


@dataclass(frozen=True)
class Application:
    """An Auth0 application (a "client")."""

    client_id: str
    name: str = "Default App"
    app_type: str = "spa"
    callbacks: tuple[str, ...] = ()
    web_origins: tuple[str, ...] = ()
    allowed_logout_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class DatabaseConnection:
    """The `Username-Password-Authentication` database connection."""

    name: str = DATABASE_CONNECTION
    disable_signup: bool = False
    password_policy: str = "fair"


@dataclass(frozen=True)
class TokenLifetimes:
    """Seconds an issued token stays valid."""

    id_token: int = 3600
    access_token: int = 7200


@dataclass(frozen=True)
class SeedUser:
    """A user created at start-up when no user with that email exists."""

    email: str
    password: str
    name: str = ""
    nickname: str = ""
    picture: str = ""
    email_verified: bool = True


@dataclass(frozen=True)
class TenantConfig:
    tenant: str
    issuer_base: str
    applications: tuple[Application, ...]
    connection: DatabaseConnection = field(default_factory=DatabaseConnection)
    lifetimes: TokenLifetimes = field(default_factory=TokenLifetimes)
    users: tuple[SeedUser, ...] = ()
    login_ticket_seconds: int = 60
    authorization_code_seconds: int = 120
    session_seconds: int = 3 * 24 * 3600

    def __post_init__(self) -> None:
        _check_origin(self.issuer_base, "issuer_base")
        if not self.applications:
            raise ConfigError("at least one application (client) is required")
        ids = [app.client_id for app in self.applications]
        if len(set(ids)) != len(ids):
            raise ConfigError("client ids must be unique")
        if self.connection.password_policy not in PASSWORD_POLICIES:
            raise ConfigError(f"passwordPolicy must be one of {', '.join(PASSWORD_POLICIES)}")
        if self.lifetimes.id_token <= 0 or self.lifetimes.access_token <= 0:
            raise ConfigError("token lifetimes must be positive")

    @property
    def issuer(self) -> str:
        """The `iss` claim: the tenant's base URL with its trailing slash."""
        return self.issuer_base.rstrip("/") + "/"

    @property
    def userinfo_audience(self) -> str:
        return self.issuer + "userinfo"

    def application(self, client_id: object) -> Application | None:
        if not isinstance(client_id, str):
            return None
        for app in self.applications:
            if app.client_id == client_id:
                return app
        return None

    def all_web_origins(self) -> frozenset[str]:
        return frozenset(o for app in self.applications for o in app.web_origins)

    @classmethod
    def default(
        cls,
        issuer_base: str = "http://localhost:8001",
        app_origin: str = "http://localhost:8000",
    ) -> TenantConfig:
        app_origin = app_origin.rstrip("/")
        return cls(
            tenant="dev-tenant",
            issuer_base=issuer_base.rstrip("/"),
            applications=(
                Application(
                    client_id="pyscript-session-demo",
                    name="PyScript session demo",
                    callbacks=(app_origin + "/",),
                    web_origins=(app_origin,),
                    allowed_logout_urls=(app_origin + "/",),
                ),
            ),
            users=(
                SeedUser(
                    email="ada@example.com",
                    password="Lovelace-1815",
                    name="Ada Lovelace",
                    nickname="ada",
                ),
            ),
        )

    @classmethod
    def from_file(cls, path: str | Path, issuer_base: str | None = None) -> TenantConfig:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from exc
        return cls.from_dict(data, issuer_base=issuer_base)

    @classmethod
    def from_dict(cls, data: Any, issuer_base: str | None = None) -> TenantConfig:
        if not isinstance(data, dict):
            raise ConfigError("the configuration must be a JSON object")
        base = data.get("issuer_base") or issuer_base or "http://localhost:8001"
        clients = data.get("clients")
        if not isinstance(clients, list):
            raise ConfigError('"clients" must be a list of applications')
        conn = _object(data.get("connection"), '"connection"')
        options = _object(conn.get("options"), '"connection.options"')
        if conn.get("name", DATABASE_CONNECTION) != DATABASE_CONNECTION:
            raise ConfigError(f"the only database connection is {DATABASE_CONNECTION}")
        lifetimes = _object(data.get("token_lifetimes"), '"token_lifetimes"')
        try:
            return cls(
                tenant=str(data.get("tenant", "dev-tenant")),
                issuer_base=str(base).rstrip("/"),
                applications=tuple(_application(c) for c in clients),
                connection=DatabaseConnection(
                    disable_signup=bool(options.get("disable_signup", False)),
                    password_policy=str(options.get("passwordPolicy", "fair")),
                ),
                lifetimes=TokenLifetimes(
                    id_token=int(lifetimes.get("id_token", 3600)),
                    access_token=int(lifetimes.get("access_token", 7200)),
                ),
                users=tuple(_seed_user(u) for u in data.get("users") or ()),
            )
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(f"invalid configuration: {exc}") from exc


def _object(value: Any, what: str) -> dict[str, Any]:
    """An optional JSON object: {} when absent."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{what} must be an object")
    return value


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{what} must be a list of URLs")
    return tuple(value)


def _application(data: Any) -> Application:
    if not isinstance(data, dict) or not isinstance(data.get("client_id"), str):
        raise ConfigError("each client needs a string client_id")
    web_origins = _strings(data.get("web_origins", []), "web_origins")
    for origin in web_origins:
        _check_origin(origin, "web_origins")
    callbacks = _strings(data.get("callbacks", []), "callbacks")
    logout_urls = _strings(data.get("allowed_logout_urls", []), "allowed_logout_urls")
    for url in callbacks:
        _check_url(url, "callbacks")
    for url in logout_urls:
        _check_url(url, "allowed_logout_urls")
    return Application(
        client_id=data["client_id"],
        name=str(data.get("name", "Default App")),
        app_type=str(data.get("app_type", "spa")),
        callbacks=callbacks,
        web_origins=web_origins,
        allowed_logout_urls=logout_urls,
    )


def _seed_user(data: Any) -> SeedUser:
    if not isinstance(data, dict):
        raise ConfigError("each user must be an object")
    missing = [key for key in ("email", "password") if not isinstance(data.get(key), str)]
    if missing:
        raise ConfigError(f"each user needs a string {' and '.join(missing)}")
    return SeedUser(
        email=str(data["email"]),
        password=str(data["password"]),
        name=str(data.get("name", "")),
        nickname=str(data.get("nickname", "")),
        picture=str(data.get("picture", "")),
        email_verified=bool(data.get("email_verified", True)),
    )


def _http_url_parts(value: str, problem: ConfigError) -> SplitResult:
    """`value` split, if it is an http(s) URL with a host, a valid port and no white space."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError as exc:
        raise problem from exc
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() for c in value)
    ):
        raise problem
    return parts


def _check_origin(value: str, what: str) -> None:
    """An origin exactly as a browser sends it: lowercase `scheme://host[:port]`, nothing else."""
    problem = ConfigError(f"{what}: {value!r} is not an origin like http://localhost:8000")
    parts = _http_url_parts(value, problem)
    if "@" in parts.netloc or value != value.lower() or value != f"{parts.scheme}://{parts.netloc}":
        raise problem


def _check_url(value: str, what: str) -> None:
    """An absolute http(s) URL without a fragment (callbacks and logout URLs)."""
    problem = ConfigError(f"{what}: {value!r} is not an absolute http(s) URL without a fragment")
    _http_url_parts(value, problem)
    if "#" in value:
        raise problem
