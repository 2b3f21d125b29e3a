"""/co/authenticate and /authorize: Lock's login, remembered login and checkSession."""

from __future__ import annotations

import base64
import hashlib
import html

import pytest
from starlette.testclient import TestClient
from tenant_support import (
    ADA,
    ADA_PASSWORD,
    APP_ORIGIN,
    CALLBACK,
    CLIENT_ID,
    ISSUER,
    T0,
    Flow,
    fragment,
    preflight,
    verify_with_joserfc,
)

from devtenant import Application, Clock, TenantConfig, create_app
from devtenant.tenant import Tenant


def test_co_authenticate_answers_a_login_ticket_with_cors_for_the_listed_origin(flow: Flow) -> None:
    response = flow.co_authenticate()
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"login_ticket", "co_verifier", "co_id"}
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"


def test_co_authenticate_preflight_echoes_requested_headers(client: TestClient) -> None:
    response = preflight(
        client, "/co/authenticate", "POST", request_headers="content-type,auth0-client"
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["access-control-allow-headers"] == "content-type,auth0-client"
    assert "POST" in response.headers["access-control-allow-methods"]


def test_preflight_from_an_unlisted_origin_gets_no_cors_headers(client: TestClient) -> None:
    response = preflight(client, "/co/authenticate", "POST", origin="http://evil.example")
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers


def test_wrong_password_is_access_denied_in_auth0_shape(flow: Flow) -> None:
    response = flow.co_authenticate(password="wrong")
    assert response.status_code == 403
    assert response.json() == {
        "error": "access_denied",
        "error_description": "Wrong email or password.",
    }
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(flow: Flow) -> None:
    response = flow.co_authenticate(username="nobody@example.com")
    assert response.status_code == 403
    assert response.json()["error_description"] == "Wrong email or password."


def test_co_authenticate_from_an_origin_the_client_does_not_list_is_refused(flow: Flow) -> None:
    response = flow.co_authenticate(origin="http://localhost:9999")
    assert response.status_code == 403
    assert response.json()["error"] == "access_denied"
    assert "access-control-allow-origin" not in response.headers


def test_ten_consecutive_failures_block_the_user_even_with_the_right_password(
    flow: Flow, tenant: Tenant
) -> None:
    statuses = [flow.co_authenticate(password=f"wrong-{i}").status_code for i in range(10)]
    assert statuses == [403] * 9 + [429]
    blocked = flow.co_authenticate()
    assert blocked.status_code == 429
    assert blocked.json()["error"] == "too_many_attempts"
    assert "blocked" in blocked.json()["error_description"]
    user = tenant.store.user_by_email(ADA)
    assert user is not None and user.blocked
    assert [e.kind for e in tenant.store.emails()] == ["blocked_account"]


def test_a_successful_login_resets_the_failure_count(flow: Flow, tenant: Tenant) -> None:
    for i in range(9):
        assert flow.co_authenticate(password=f"wrong-{i}").status_code == 403
    assert flow.co_authenticate().status_code == 200
    for i in range(9):
        assert flow.co_authenticate(password=f"again-{i}").status_code == 403
    assert flow.co_authenticate().status_code == 200


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"[1, 2]", 400),
        (b'{"client_id": "pyscript-session-demo"}', 400),
        (b'{"client_id": "pyscript-session-demo", "username": 5, "password": "x"}', 400),
        (b'{"client_id": "pyscript-session-demo", "username": "a", "password": ""}', 400),
        (b"\xff\xfe", 400),
    ],
)
def test_malformed_or_incomplete_json_is_a_400_in_auth0_shape(
    client: TestClient, body: bytes, status: int
) -> None:
    response = client.post(
        "/co/authenticate", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == status
    assert response.json()["error"] == "invalid_request"
    assert response.json()["error_description"]


def test_wrong_content_type_is_refused(client: TestClient) -> None:
    response = client.post(
        "/co/authenticate",
        data={"client_id": CLIENT_ID, "username": ADA, "password": ADA_PASSWORD},
    )
    assert response.status_code == 415
    assert response.json()["error"] == "invalid_request"


def test_oversized_body_is_refused_before_it_is_read(client: TestClient) -> None:
    response = client.post(
        "/co/authenticate",
        content=b'{"password": "' + b"x" * 100_000 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413


def test_oversized_field_is_refused(flow: Flow) -> None:
    response = flow.co_authenticate(username="a" * 300 + "@example.com")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_unknown_client_is_refused(client: TestClient) -> None:
    response = client.post(
        "/co/authenticate",
        json={"client_id": "nope", "username": ADA, "password": ADA_PASSWORD},
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_unknown_realm_is_refused(flow: Flow) -> None:
    response = flow.co_authenticate(realm="Other-Connection")
    assert response.status_code == 400


def test_bad_login_requests_store_nothing(flow: Flow, client: TestClient, tenant: Tenant) -> None:
    before = [u.public() for u in tenant.store.users()]
    client.post("/co/authenticate", content=b"{", headers={"Content-Type": "application/json"})
    client.post("/co/authenticate", json={"client_id": "nope", "username": ADA, "password": "x"})
    flow.co_authenticate(origin="http://localhost:9999", password="wrong")
    assert [u.public() for u in tenant.store.users()] == before
    assert tenant.store.emails() == []


def test_login_ticket_redirects_to_the_callback_with_tokens_and_state(flow: Flow) -> None:
    response = flow.login(state="abc 123", nonce="n-1")
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(CALLBACK + "#")
    params = fragment(location)
    assert params["state"] == "abc 123"
    assert params["token_type"] == "Bearer"
    assert params["expires_in"] == "7200"
    assert params["scope"] == "openid profile email"
    assert params["access_token"] and params["id_token"]


def test_id_token_verifies_with_another_jose_library_against_the_served_jwks(
    flow: Flow, client: TestClient, tenant: Tenant
) -> None:
    params = flow.login_tokens(nonce="the-nonce")
    user = tenant.store.user_by_email(ADA)
    assert user is not None
    token = verify_with_joserfc(
        client,
        params["id_token"],
        T0,
        iss=ISSUER,
        aud=CLIENT_ID,
        nonce="the-nonce",
        sub=user.user_id,
    )
    keys = client.get("/.well-known/jwks.json").json()["keys"]
    assert token.header["alg"] == "RS256"
    assert token.header["kid"] in {k["kid"] for k in keys}
    claims = token.claims
    assert claims["iss"].endswith("/")
    assert claims["iat"] == T0
    assert claims["exp"] == T0 + 3600
    assert claims["email"] == ADA and claims["name"] == "Ada Lovelace"
    digest = hashlib.sha256(params["access_token"].encode("ascii")).digest()[:16]
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_access_token_verifies_and_expires_after_the_configured_lifetime(
    flow: Flow, client: TestClient
) -> None:
    params = flow.login_tokens()
    token = verify_with_joserfc(client, params["access_token"], T0, iss=ISSUER)
    assert token.claims["aud"] == [ISSUER + "userinfo"]
    assert token.claims["exp"] == T0 + 7200
    assert token.claims["azp"] == CLIENT_ID


def test_login_sets_an_httponly_lax_session_cookie_with_a_distinct_name(flow: Flow) -> None:
    response = flow.login()
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("devtenant_session=")
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Path=/" in cookie


def test_login_ticket_is_single_use(flow: Flow) -> None:
    ticket = flow.ticket()
    assert "access_token" in fragment(flow.authorize(login_ticket=ticket).headers["location"])
    again = fragment(flow.authorize(login_ticket=ticket, state="s2").headers["location"])
    assert again["error"] == "access_denied"
    assert again["state"] == "s2"
    assert "access_token" not in again


def test_login_ticket_expires_quickly(flow: Flow, clock: Clock) -> None:
    ticket = flow.ticket()
    clock.advance(61)
    params = fragment(flow.authorize(login_ticket=ticket).headers["location"])
    assert params["error"] == "access_denied"


def test_login_ticket_only_works_for_the_client_it_was_issued_to() -> None:
    other = Application(client_id="other-app", callbacks=("http://localhost:8000/other",))
    base = TenantConfig.default()
    config = TenantConfig(
        tenant=base.tenant,
        issuer_base=base.issuer_base,
        applications=(*base.applications, other),
        users=base.users,
    )
    flow = Flow(TestClient(create_app(config), base_url=base.issuer_base))
    ticket = flow.ticket()
    response = flow.authorize(
        login_ticket=ticket, client_id="other-app", redirect_uri="http://localhost:8000/other"
    )
    assert fragment(response.headers["location"])["error"] == "access_denied"


def test_unlisted_redirect_uri_is_never_redirected_to(flow: Flow) -> None:
    response = flow.login(redirect_uri="http://evil.example/")
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "Callback URL mismatch" in response.text
    assert "evil.example" in html.unescape(response.text)


def test_redirect_uri_that_only_starts_like_a_listed_one_is_refused(flow: Flow) -> None:
    response = flow.authorize(redirect_uri=CALLBACK + "x", prompt="none")
    assert response.status_code == 400
    assert "location" not in response.headers


def test_unknown_client_at_authorize_is_an_error_page(flow: Flow) -> None:
    response = flow.authorize(client_id="nope")
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "Unknown client" in response.text


def test_error_page_escapes_what_it_echoes(flow: Flow) -> None:
    response = flow.authorize(redirect_uri="http://x/<script>alert(1)</script>")
    assert response.status_code == 400
    assert "<script>" not in response.text


def test_repeated_parameters_are_refused(client: TestClient) -> None:
    response = client.get(
        "/authorize?client_id=pyscript-session-demo&client_id=other"
        "&redirect_uri=http%3A%2F%2Flocalhost%3A8000%2F&response_type=token"
    )
    assert response.status_code == 400


def test_check_session_with_a_session_posts_tokens_to_the_callback_origin(flow: Flow) -> None:
    flow.login()
    response = flow.check_session(state="st-1", nonce="n-2")
    assert response.status_code == 200
    page = response.text
    assert '"type": "authorization_response"' in page
    assert '"state": "st-1"' in page
    assert '"id_token": "' in page and '"access_token": "' in page
    assert f'}}, "{APP_ORIGIN}");' in page
    assert f"frame-ancestors {APP_ORIGIN}" in response.headers["content-security-policy"]


def test_check_session_without_a_session_answers_login_required(flow: Flow) -> None:
    response = flow.check_session(state="st-2")
    assert response.status_code == 200
    assert '"error": "login_required"' in response.text
    assert '"state": "st-2"' in response.text
    assert "access_token" not in response.text


def test_prompt_none_in_fragment_mode_redirects_back_with_login_required(flow: Flow) -> None:
    params = fragment(flow.authorize(prompt="none", state="s").headers["location"])
    assert params == {
        "error": "login_required",
        "error_description": "Login required",
        "state": "s",
    }


def test_web_message_to_an_origin_not_in_allowed_web_origins_is_refused() -> None:
    base = TenantConfig.default()
    app = Application(
        client_id="no-web-origins", callbacks=("http://localhost:8000/",), web_origins=()
    )
    config = TenantConfig(
        tenant="t", issuer_base=base.issuer_base, applications=(app,), users=base.users
    )
    flow = Flow(TestClient(create_app(config), base_url=base.issuer_base))
    response = flow.check_session(client_id="no-web-origins")
    assert response.status_code == 400
    assert "postMessage" not in response.text


def test_web_message_escapes_values_inside_the_script(flow: Flow) -> None:
    response = flow.check_session(state="</script><script>alert(1)</script>")
    assert "</script><script>alert" not in response.text
    assert "\\u003c/script\\u003e" in response.text


def test_session_ends_after_its_lifetime(flow: Flow, clock: Clock, tenant: Tenant) -> None:
    flow.login()
    clock.advance(tenant.config.session_seconds + 1)
    assert '"error": "login_required"' in flow.check_session().text


def test_a_blocked_user_loses_the_session(flow: Flow, tenant: Tenant) -> None:
    flow.login()
    user = tenant.store.user_by_email(ADA)
    assert user is not None
    tenant.store.update_user(user.user_id, T0, blocked=True)
    assert '"error": "login_required"' in flow.check_session().text


def test_nonce_is_required_for_implicit_id_tokens(flow: Flow) -> None:
    params = fragment(flow.login(nonce=None).headers["location"])
    assert params["error"] == "invalid_request"


def test_unsupported_response_type_is_reported_to_the_callback(flow: Flow) -> None:
    params = fragment(flow.authorize(response_type="code id_token").headers["location"])
    assert params["error"] == "unsupported_response_type"


def test_unknown_audience_is_refused(flow: Flow) -> None:
    params = fragment(flow.login(audience="https://api.example/").headers["location"])
    assert params["error"] == "access_denied"


def test_token_only_response_has_no_id_token(flow: Flow) -> None:
    params = flow.login_tokens(response_type="token", nonce=None)
    assert "access_token" in params and "id_token" not in params


def test_id_token_only_response_has_no_at_hash(flow: Flow, client: TestClient) -> None:
    params = flow.login_tokens(response_type="id_token")
    assert "access_token" not in params
    token = verify_with_joserfc(client, params["id_token"], T0)
    assert "at_hash" not in token.claims


def test_a_new_login_replaces_the_previous_session(flow: Flow, tenant: Tenant) -> None:
    flow.login()
    flow.login()
    assert tenant.store.session_count() == 1
