"""Configuration in Auth0's words, persistence in SQLite, and the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from tenant_support import ADA, CLIENT_ID, Flow, userinfo

from devtenant import TenantConfig, create_app
from devtenant.__main__ import main, parse_args
from devtenant.config import ConfigError


def test_default_config_matches_the_contract() -> None:
    config = TenantConfig.default(
        issuer_base="http://localhost:8001", app_origin="http://localhost:8000"
    )
    assert config.tenant == "dev-tenant"
    assert config.issuer == "http://localhost:8001/"
    (app,) = config.applications
    assert app.client_id == "pyscript-session-demo"
    assert app.callbacks == ("http://localhost:8000/",)
    assert app.web_origins == ("http://localhost:8000",)
    assert app.allowed_logout_urls == ("http://localhost:8000/",)
    assert config.connection.name == "Username-Password-Authentication"
    assert not config.connection.disable_signup
    assert config.connection.password_policy == "fair"
    assert (config.lifetimes.id_token, config.lifetimes.access_token) == (3600, 7200)
    (user,) = config.users
    assert (user.email, user.password, user.name) == (ADA, "Lovelace-1815", "Ada Lovelace")


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "tenant.json"
    path.write_text(json.dumps(data))
    return path


def test_config_file_uses_auth0_names(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "tenant": "acme",
            "clients": [
                {
                    "client_id": "spa-1",
                    "callbacks": ["http://localhost:3000/cb"],
                    "web_origins": ["http://localhost:3000"],
                    "allowed_logout_urls": ["http://localhost:3000/"],
                }
            ],
            "connection": {"options": {"disable_signup": True, "passwordPolicy": "excellent"}},
            "token_lifetimes": {"id_token": 60, "access_token": 90},
            "users": [{"email": "u@example.com", "password": "pw"}],
        },
    )
    config = TenantConfig.from_file(path, issuer_base="http://localhost:9100")
    assert config.issuer == "http://localhost:9100/"
    assert config.tenant == "acme"
    assert config.application("spa-1") is not None
    assert config.connection.disable_signup and config.connection.password_policy == "excellent"
    assert config.lifetimes.id_token == 60 and config.lifetimes.access_token == 90
    client = TestClient(create_app(config), base_url="http://localhost:9100")
    assert client.get("/client/spa-1.js").status_code == 200
    assert '"passwordPolicy": "excellent"' in client.get("/client/spa-1.js").text


@pytest.mark.parametrize(
    "data",
    [
        [],
        {},
        {"clients": []},
        {"clients": [{"name": "no id"}]},
        {"clients": [{"client_id": "a"}, {"client_id": "a"}]},
        {"clients": [{"client_id": "a", "web_origins": ["http://x/path"]}]},
        {"clients": [{"client_id": "a", "callbacks": "http://x/"}]},
        {"clients": [{"client_id": "a"}], "connection": {"options": {"passwordPolicy": "meh"}}},
        {"clients": [{"client_id": "a"}], "connection": {"name": "Other"}},
        {"clients": [{"client_id": "a"}], "token_lifetimes": {"id_token": -1}},
        {"clients": [{"client_id": "a"}], "users": [{"email": "no password"}]},
        {"clients": [{"client_id": "a"}], "connection": [1]},
        {"clients": [{"client_id": "a"}], "connection": {"options": "strict"}},
        {"clients": [{"client_id": "a"}], "token_lifetimes": 60},
    ],
)
def test_invalid_config_files_are_refused_with_a_message(tmp_path: Path, data: object) -> None:
    with pytest.raises(ConfigError):
        TenantConfig.from_file(write(tmp_path, data))


def test_a_user_without_a_password_is_refused_by_name(tmp_path: Path) -> None:
    data = {"clients": [{"client_id": "a"}], "users": [{"email": "m@example.com"}]}
    with pytest.raises(ConfigError, match="each user needs a string password"):
        TenantConfig.from_file(write(tmp_path, data))


def test_unreadable_config_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ConfigError):
        TenantConfig.from_file(tmp_path / "bad.json")
    with pytest.raises(ConfigError):
        TenantConfig.from_file(tmp_path / "missing.json")


def test_users_and_signing_key_persist_across_restarts(tmp_path: Path) -> None:
    db = tmp_path / "tenant.sqlite3"
    first = TestClient(create_app(db_path=db), base_url="http://localhost:8001")
    first.post("/_dev/users", json={"email": "p@example.com", "password": "pw"})
    access_token = Flow(first).login_tokens()["access_token"]
    kid = first.get("/.well-known/jwks.json").json()["keys"][0]["kid"]

    second = TestClient(create_app(db_path=db), base_url="http://localhost:8001")
    assert sorted(u["email"] for u in second.get("/_dev/users").json()) == [ADA, "p@example.com"]
    assert second.get("/.well-known/jwks.json").json()["keys"][0]["kid"] == kid
    profile = userinfo(second, access_token)
    assert profile.status_code == 200


def test_cli_options_follow_the_contract() -> None:
    args = parse_args(
        [
            "--port",
            "9001",
            "--config",
            "t.json",
            "--db",
            "x.db",
            "--reset",
            "--no-admin",
            "--app-origin",
            "http://localhost:9000",
        ]
    )
    assert args.port == 9001 and str(args.config) == "t.json" and str(args.db) == "x.db"
    assert args.reset and args.no_admin and args.app_origin == "http://localhost:9000"
    defaults = parse_args([])
    assert defaults.port == 8001 and not defaults.reset and not defaults.no_admin
    assert defaults.app_origin is None  # http://localhost:8000 unless --config lists the app


@pytest.mark.parametrize(
    ("issuer", "flags", "message"),
    [
        ("http://localhost:8001", ["--port", "9001"], "pass --port 8001 or change issuer_base"),
        ("http://localhost", ["--port", "9001"], "pass --port 80 or change issuer_base"),
        (
            "http://localhost:8001",
            ["--port", "8001", "--app-origin", "http://localhost:3000"],
            "no effect with --config",
        ),
    ],
)
def test_flags_a_config_file_would_override_are_refused(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    issuer: str,
    flags: list[str],
    message: str,
) -> None:
    data = {"issuer_base": issuer, "clients": [{"client_id": "a"}]}
    assert main(["--config", str(write(tmp_path, data)), *flags]) == 2
    assert message in capsys.readouterr().err


def test_default_app_serves_the_default_client() -> None:
    client = TestClient(create_app(), base_url="http://localhost:8001")
    assert client.get(f"/client/{CLIENT_ID}.js").status_code == 200
