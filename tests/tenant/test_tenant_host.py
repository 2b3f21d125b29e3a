"""The tenant answers only to loopback host names; the admin API only to same-site callers."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient
from tenant_support import ISSUER_BASE

from devtenant import create_app


@pytest.mark.parametrize(
    "host",
    ["localhost", "localhost:8001", "127.0.0.1:1234", "[::1]:8001", "[::1]", "LOCALHOST:8001"],
)
def test_loopback_hosts_on_any_port_are_served(client: TestClient, host: str) -> None:
    response = client.get("/.well-known/openid-configuration", headers={"Host": host})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "host",
    ["attacker.example", "attacker.example:8001", "localhost.attacker.example", "127.0.0.2", ""],
)
@pytest.mark.parametrize("path", ["/_dev/users", "/.well-known/openid-configuration", "/authorize"])
def test_a_rebound_host_is_refused_everywhere(client: TestClient, host: str, path: str) -> None:
    response = client.get(path, headers={"Host": host})
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "Invalid Host header",
    }


def test_a_rebound_host_cannot_create_users(client: TestClient) -> None:
    response = client.post(
        "/_dev/users",
        json={"email": "mallory@example.com", "password": "Mallory-1234"},
        headers={"Host": "attacker.example:8001"},
    )
    assert response.status_code == 400
    assert "mallory@example.com" not in client.get("/_dev/users").text


def test_the_admin_api_refuses_cross_site_fetches(client: TestClient) -> None:
    response = client.get("/_dev/users", headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    assert response.json()["error"] == "access_denied"
    assert client.get("/_dev/users", headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200


def test_the_default_client_base_is_a_loopback_host() -> None:
    assert ISSUER_BASE.startswith("http://localhost:")
    assert TestClient(create_app()).get("/.well-known/jwks.json").status_code == 400
