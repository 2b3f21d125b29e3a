"""The dev-only admin API under /_dev/: users, reset, clock, lifetimes, faults, logs, emails."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient
from tenant_support import (
    ADA,
    ADA_PASSWORD,
    APP_ORIGIN,
    CLIENT_ID,
    ISSUER_BASE,
    T0,
    Flow,
    userinfo,
    verify_with_joserfc,
)

from devtenant import create_app
from devtenant.tenant import Tenant


def test_admin_lists_users_without_password_hashes(client: TestClient) -> None:
    (user,) = client.get("/_dev/users").json()
    assert user["email"] == ADA and user["name"] == "Ada Lovelace"
    assert "password_hash" not in user and "password" not in user


def test_admin_creates_reads_updates_and_deletes_users(client: TestClient, flow: Flow) -> None:
    created = client.post("/_dev/users", json={"email": "g@example.com", "password": "weak"})
    assert created.status_code == 201
    assert created.json()["email_verified"] is True
    assert client.get("/_dev/users/g@example.com").json()["email"] == "g@example.com"
    assert flow.co_authenticate("g@example.com", "weak").status_code == 200
    updated = client.patch("/_dev/users/g@example.com", json={"name": "Grace", "password": "new"})
    assert updated.json()["name"] == "Grace"
    assert flow.co_authenticate("g@example.com", "new").status_code == 200
    assert client.delete("/_dev/users/g@example.com").status_code == 204
    assert client.get("/_dev/users/g@example.com").status_code == 404
    assert client.delete("/_dev/users/g@example.com").status_code == 404


def test_admin_create_for_an_existing_email_is_409(client: TestClient) -> None:
    response = client.post("/_dev/users", json={"email": ADA, "password": "x"})
    assert response.status_code == 409


def test_admin_can_unblock_a_blocked_user(client: TestClient, flow: Flow) -> None:
    for i in range(10):
        flow.co_authenticate(password=f"wrong-{i}")
    assert client.get(f"/_dev/users/{ADA}").json()["blocked"] is True
    client.patch(f"/_dev/users/{ADA}", json={"blocked": False})
    assert flow.co_authenticate().status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/_dev/users", {"email": "no-at-sign", "password": "x"}),
        ("POST", "/_dev/users", {"email": "a@b.c"}),
        ("PATCH", f"/_dev/users/{ADA}", {"blocked": "yes"}),
        ("POST", "/_dev/clock", {"advance": "soon"}),
        ("POST", "/_dev/clock", {}),
        ("PUT", "/_dev/lifetimes", {"id_token": 0}),
        ("PUT", "/_dev/lifetimes", {"access_token": True}),
        ("POST", "/_dev/faults", {"endpoint": "nowhere", "status": 500}),
        ("POST", "/_dev/faults", {"endpoint": "userinfo", "status": 200}),
        ("POST", "/_dev/faults", {"endpoint": "userinfo", "times": 0}),
    ],
)
def test_admin_bad_input_is_400_and_changes_nothing(
    client: TestClient, tenant: Tenant, method: str, path: str, body: dict[str, object]
) -> None:
    users = client.get("/_dev/users").json()
    response = client.request(method, path, json=body)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert client.get("/_dev/users").json() == users
    assert tenant.faults.pending() == []
    assert tenant.clock.offset == 0
    assert client.get("/_dev/lifetimes").json() == {"id_token": 3600, "access_token": 7200}


def test_admin_refuses_requests_from_other_origins(client: TestClient) -> None:
    response = client.post("/_dev/reset", headers={"Origin": APP_ORIGIN})
    assert response.status_code == 403
    assert client.post("/_dev/reset", headers={"Origin": ISSUER_BASE}).status_code == 204


def test_admin_is_absent_when_turned_off() -> None:
    client = TestClient(create_app(admin=False), base_url=ISSUER_BASE)
    assert client.get("/_dev/users").status_code == 404
    assert client.get("/_dev/").status_code == 404
    assert client.post("/_dev/reset").status_code == 404
    assert client.get(f"/client/{CLIENT_ID}.js").status_code == 200


def test_reset_returns_to_the_seeded_users_and_forgets_sessions(
    client: TestClient, flow: Flow, tenant: Tenant
) -> None:
    flow.login()
    client.post("/_dev/users", json={"email": "g@example.com", "password": "x"})
    client.post("/_dev/clock", json={"advance": 100})
    client.post("/_dev/faults", json={"endpoint": "userinfo", "status": 500})
    assert client.post("/_dev/reset").status_code == 204
    assert [u["email"] for u in client.get("/_dev/users").json()] == [ADA]
    assert tenant.clock.now() == T0
    assert tenant.faults.pending() == []
    assert client.get("/_dev/requests").json() == []
    assert '"error": "login_required"' in flow.check_session().text


def test_clock_advance_moves_token_times(client: TestClient, flow: Flow) -> None:
    assert client.post("/_dev/clock", json={"advance": 500}).json()["now"] == T0 + 500
    token = verify_with_joserfc(client, flow.login_tokens()["id_token"], T0 + 500)
    assert token.claims["iat"] == T0 + 500


def test_lifetimes_set_token_expiry(client: TestClient, flow: Flow) -> None:
    client.put("/_dev/lifetimes", json={"id_token": 60, "access_token": 120})
    params = flow.login_tokens()
    assert params["expires_in"] == "120"
    id_token = verify_with_joserfc(client, params["id_token"], T0)
    assert id_token.claims["exp"] == T0 + 60
    access = verify_with_joserfc(client, params["access_token"], T0)
    assert access.claims["exp"] == T0 + 120


def test_injected_userinfo_fault_answers_the_next_call_only(client: TestClient, flow: Flow) -> None:
    token = flow.login_tokens()["access_token"]
    client.post("/_dev/faults", json={"endpoint": "userinfo", "status": 500})
    failed = userinfo(client, token, Origin=APP_ORIGIN)
    assert failed.status_code == 500
    assert failed.json()["error"] == "server_error"
    assert failed.headers["access-control-allow-origin"] == APP_ORIGIN
    assert userinfo(client, token, Origin=APP_ORIGIN).status_code == 200


def test_injected_fault_repeats_for_the_given_number_of_calls(
    client: TestClient, flow: Flow
) -> None:
    client.post("/_dev/faults", json={"endpoint": "co_authenticate", "status": 429, "times": 2})
    assert [flow.co_authenticate().status_code for _ in range(3)] == [429, 429, 200]


def test_injected_oauth_error_at_authorize_goes_back_through_the_redirect(
    client: TestClient, flow: Flow
) -> None:
    flow.login()
    client.post(
        "/_dev/faults",
        json={"endpoint": "authorize", "error": "login_required", "error_description": "gone"},
    )
    assert '"error": "login_required"' in flow.check_session().text
    assert '"access_token"' in flow.check_session().text


def test_injected_status_at_authorize_is_an_error_page(client: TestClient, flow: Flow) -> None:
    client.post("/_dev/faults", json={"endpoint": "authorize", "status": 500})
    response = flow.login()
    assert response.status_code == 500 and "location" not in response.headers


def test_injected_fault_at_token_endpoint(client: TestClient) -> None:
    client.post("/_dev/faults", json={"endpoint": "token", "error": "invalid_grant", "status": 403})
    response = client.post("/oauth/token", data={"grant_type": "authorization_code"})
    assert response.status_code == 403 and response.json()["error"] == "invalid_grant"


def test_signup_fault_uses_the_database_connection_shape(client: TestClient) -> None:
    client.post("/_dev/faults", json={"endpoint": "signup", "status": 500})
    response = client.post("/dbconnections/signup", json={})
    assert response.status_code == 500 and response.json()["code"] == "server_error"


def test_faults_can_be_listed_and_cleared(client: TestClient) -> None:
    client.post("/_dev/faults", json={"endpoint": "jwks", "status": 503, "times": 3})
    assert client.get("/_dev/faults").json()[0]["times"] == 3
    assert client.delete("/_dev/faults").status_code == 204
    assert client.get("/_dev/faults").json() == []
    assert client.get("/.well-known/jwks.json").status_code == 200


def test_request_log_records_method_path_status_without_queries_or_admin_calls(
    client: TestClient, flow: Flow
) -> None:
    flow.co_authenticate(password="wrong")
    flow.login()
    log = client.get("/_dev/requests").json()
    assert [(r["method"], r["path"], r["status"]) for r in log] == [
        ("POST", "/co/authenticate", 403),
        ("POST", "/co/authenticate", 200),
        ("GET", "/authorize", 302),
    ]
    assert client.delete("/_dev/requests").status_code == 204
    assert client.get("/_dev/requests").json() == []


def test_passwords_never_reach_the_request_log_emails_or_logs(
    client: TestClient, flow: Flow, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    flow.co_authenticate(password="Secret-Wrong-1")
    flow.login()
    client.post(
        "/dbconnections/signup",
        json={
            "client_id": CLIENT_ID,
            "email": "s@example.com",
            "password": "Secret-Signup-1",
            "connection": "Username-Password-Authentication",
        },
    )
    everything = (
        client.get("/_dev/requests").text
        + client.get("/_dev/emails").text
        + client.get("/_dev/users").text
        + client.get("/_dev/").text
        + caplog.text
    )
    for secret in ("Secret-Wrong-1", ADA_PASSWORD, "Secret-Signup-1"):
        assert secret not in everything


def test_admin_page_lists_users_and_emails_escaped(client: TestClient) -> None:
    client.post(
        "/_dev/users",
        json={"email": "x@example.com", "password": "p", "name": "<script>alert(1)</script>"},
    )
    client.post(
        "/dbconnections/change_password",
        json={
            "client_id": CLIENT_ID,
            "email": "x@example.com",
            "connection": "Username-Password-Authentication",
        },
    )
    page = client.get("/_dev/")
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert ADA in page.text and "reset_password" in page.text and "/lo/reset?ticket=" in page.text


def test_emails_can_be_read_and_cleared(client: TestClient) -> None:
    client.post(
        "/dbconnections/change_password",
        json={
            "client_id": CLIENT_ID,
            "email": ADA,
            "connection": "Username-Password-Authentication",
        },
    )
    (email,) = client.get("/_dev/emails").json()
    assert email["to"] == ADA and email["kind"] == "reset_password"
    assert client.delete("/_dev/emails").status_code == 204
    assert client.get("/_dev/emails").json() == []
