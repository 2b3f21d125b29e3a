"""JWKS, discovery, /userinfo, and response_type=code with PKCE through POST /oauth/token."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from starlette.testclient import TestClient
from tenant_support import (
    ADA,
    APP_ORIGIN,
    CALLBACK,
    CLIENT_ID,
    ISSUER,
    T0,
    Flow,
    code_form,
    pkce,
    pkce_pair,
    preflight,
    query,
    userinfo,
    verify_with_joserfc,
)

from devtenant import Clock
from devtenant.tenant import Tenant
from devtenant.tokens import picture_url


def test_jwks_is_public_and_lists_one_rs256_signing_key(client: TestClient) -> None:
    response = client.get("/.well-known/jwks.json", headers={"Origin": APP_ORIGIN})
    assert response.headers["access-control-allow-origin"] == "*"
    (key,) = response.json()["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert key["kid"] and key["n"] and key["e"] == "AQAB"
    assert "d" not in key and "p" not in key


def test_discovery_document_names_the_issuer_with_its_trailing_slash(client: TestClient) -> None:
    doc = client.get("/.well-known/openid-configuration").json()
    assert doc["issuer"] == ISSUER
    assert doc["jwks_uri"] == ISSUER + ".well-known/jwks.json"
    assert doc["token_endpoint"] == ISSUER + "oauth/token"
    assert doc["code_challenge_methods_supported"] == ["S256"]


def test_userinfo_returns_the_profile_for_an_access_token(flow: Flow, client: TestClient) -> None:
    access_token = flow.login_tokens()["access_token"]
    response = userinfo(client, access_token, Origin=APP_ORIGIN)
    assert response.status_code == 200
    profile = response.json()
    assert profile["email"] == ADA and profile["email_verified"] is True
    assert profile["name"] == "Ada Lovelace" and profile["nickname"] == "ada"
    assert profile["sub"].startswith("auth0|")
    assert profile["picture"] == ISSUER + "avatars/AL.svg"
    assert profile["updated_at"].endswith("Z")
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN


def test_userinfo_profile_follows_the_granted_scope(flow: Flow, client: TestClient) -> None:
    access_token = flow.login_tokens(scope="openid email")["access_token"]
    profile = userinfo(client, access_token).json()
    assert set(profile) == {"sub", "email", "email_verified"}


def test_userinfo_preflight_allows_the_authorization_header(client: TestClient) -> None:
    response = preflight(client, "/userinfo", "GET", request_headers="authorization,auth0-client")
    assert response.status_code == 204
    assert response.headers["access-control-allow-headers"] == "authorization,auth0-client"


def test_userinfo_refuses_an_id_token(flow: Flow, client: TestClient) -> None:
    id_token = flow.login_tokens()["id_token"]
    response = userinfo(client, id_token)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer", "Basic abc", "Bearer not.a.jwt", "Bearer " + "x" * 9000]
)
def test_userinfo_without_a_valid_bearer_token_is_401(
    client: TestClient, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.get("/userinfo", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


def test_userinfo_refuses_an_expired_access_token(
    flow: Flow, client: TestClient, clock: Clock
) -> None:
    access_token = flow.login_tokens()["access_token"]
    clock.advance(7200)
    response = userinfo(client, access_token)
    assert response.status_code == 401
    assert "expired" in response.json()["error_description"]


def test_userinfo_refuses_a_token_whose_user_was_deleted(
    flow: Flow, client: TestClient, tenant: Tenant
) -> None:
    access_token = flow.login_tokens()["access_token"]
    assert client.delete(f"/_dev/users/{ADA}").status_code == 204
    response = userinfo(client, access_token)
    assert response.status_code == 401


def test_userinfo_refuses_a_token_whose_user_was_blocked(flow: Flow, client: TestClient) -> None:
    access_token = flow.login_tokens()["access_token"]
    assert client.patch(f"/_dev/users/{ADA}", json={"blocked": True}).status_code == 200
    response = userinfo(client, access_token)
    assert response.status_code == 401
    assert "blocked" in response.text


def test_userinfo_refuses_a_token_signed_by_another_tenant(flow: Flow, client: TestClient) -> None:
    from devtenant import create_app

    other = Flow(TestClient(create_app(), base_url="http://localhost:8001"))
    foreign = other.login_tokens()["access_token"]
    response = userinfo(client, foreign)
    assert response.status_code == 401


# --- response_type=code with PKCE ---------------------------------------------------


def code_login(flow: Flow, challenge: str, **params: str) -> dict[str, str]:
    response = flow.login(response_type="code", **pkce(challenge), **params)
    assert response.status_code == 302, response.text
    assert response.headers["location"].startswith(CALLBACK + "?")
    return query(response.headers["location"])


def exchange(client: TestClient, code: str, verifier: str, **extra: str) -> Any:
    form = code_form(code, verifier, **extra)
    return client.post("/oauth/token", data=form, headers={"Origin": APP_ORIGIN})


def test_code_with_pkce_exchanges_for_tokens_at_oauth_token(flow: Flow, client: TestClient) -> None:
    verifier, challenge = pkce_pair()
    params = code_login(flow, challenge, state="st", nonce="nn")
    assert params["state"] == "st"
    response = exchange(client, params["code"], verifier)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 7200
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    verify_with_joserfc(client, body["id_token"], T0, iss=ISSUER, aud=CLIENT_ID, nonce="nn")
    profile = userinfo(client, body["access_token"])
    assert profile.json()["email"] == ADA


def test_oauth_token_accepts_a_json_body(flow: Flow, client: TestClient) -> None:
    verifier, challenge = pkce_pair()
    code = code_login(flow, challenge)["code"]
    response = client.post("/oauth/token", json=code_form(code, verifier))
    assert response.status_code == 200


def test_wrong_code_verifier_is_invalid_grant(flow: Flow, client: TestClient) -> None:
    _, challenge = pkce_pair()
    other_verifier, _ = pkce_pair()
    code = code_login(flow, challenge)["code"]
    response = exchange(client, code, other_verifier)
    assert response.status_code == 403
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "Failed to verify code verifier",
    }


def test_authorization_code_is_single_use(flow: Flow, client: TestClient) -> None:
    verifier, challenge = pkce_pair()
    code = code_login(flow, challenge)["code"]
    assert exchange(client, code, verifier).status_code == 200
    again = exchange(client, code, verifier)
    assert again.status_code == 403 and again.json()["error"] == "invalid_grant"


def test_authorization_code_expires(flow: Flow, client: TestClient, clock: Clock) -> None:
    verifier, challenge = pkce_pair()
    code = code_login(flow, challenge)["code"]
    clock.advance(121)
    assert exchange(client, code, verifier).status_code == 403


def test_code_exchange_needs_the_same_redirect_uri(flow: Flow, client: TestClient) -> None:
    verifier, challenge = pkce_pair()
    code = code_login(flow, challenge)["code"]
    response = exchange(client, code, verifier, redirect_uri="http://localhost:8000/other")
    assert response.status_code == 403


def test_code_flow_requires_s256_pkce(flow: Flow) -> None:
    params = query(flow.login(response_type="code").headers["location"])
    assert params["error"] == "invalid_request"
    plain = flow.login(response_type="code", code_challenge="abc", code_challenge_method="plain")
    assert query(plain.headers["location"])["error"] == "invalid_request"


def test_code_flow_silent_authentication_uses_the_session(flow: Flow, client: TestClient) -> None:
    flow.login()
    verifier, challenge = pkce_pair()
    response = flow.check_session(response_type="code", **pkce(challenge))
    assert '"code": "' in response.text


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"grant_type": "password"}, 400, "invalid_request"),
        ({"grant_type": "password", "client_id": CLIENT_ID}, 400, "unsupported_grant_type"),
        (
            {
                "grant_type": "authorization_code",
                "client_id": "nope",
                "code": "c",
                "code_verifier": "v" * 43,
            },
            401,
            "invalid_client",
        ),
        (
            {
                "grant_type": "authorization_code",
                "client_id": CLIENT_ID,
                "code": "c",
                "code_verifier": "short",
            },
            400,
            "invalid_request",
        ),
        (
            {
                "grant_type": "authorization_code",
                "client_id": CLIENT_ID,
                "code": "unknown",
                "code_verifier": "v" * 43,
            },
            403,
            "invalid_grant",
        ),
    ],
)
def test_bad_token_requests_get_oauth_errors(
    client: TestClient, form: dict[str, str], status: int, error: str
) -> None:
    response = client.post("/oauth/token", data=form)
    assert response.status_code == status
    assert response.json()["error"] == error


def test_oauth_token_refuses_other_content_types(client: TestClient) -> None:
    response = client.post("/oauth/token", content=b"x", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415


@pytest.mark.parametrize(
    ("name", "email", "drawn"),
    [
        ("Émile Zola", "ez@example.com", "Z"),
        ("李 小龍", "li@example.com", "L"),
        ("", "9@x.org", "X"),
    ],
)
def test_a_default_picture_is_one_the_avatar_route_draws(
    tenant: Tenant, client: TestClient, name: str, email: str, drawn: str
) -> None:
    user = SimpleNamespace(picture="", name=name, email=email)
    url = picture_url(tenant, user)
    assert url == f"{ISSUER}avatars/{drawn}.svg"
    assert client.get(url.removeprefix(ISSUER.rstrip("/"))).status_code == 200


def test_a_bug_in_a_handler_answers_as_auth0_would(
    flow: Flow, client: TestClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JSON `server_error` with CORS headers (a browser can read it) and a line in the log."""
    access_token = flow.login_tokens()["access_token"]

    def broken(*args: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(tenant.store, "user_by_id", broken)
    response = userinfo(client, access_token, Origin=APP_ORIGIN)
    assert response.status_code == 500
    assert response.json()["error"] == "server_error"
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    assert [r["status"] for r in tenant.requests.entries() if r["path"] == "/userinfo"][-1] == 500
