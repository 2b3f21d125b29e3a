"""Hostile input gets a 4xx in Auth0's shape, never a 500, and nothing is stored."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient
from tenant_support import (
    ADA,
    ADA_PASSWORD,
    APP_ORIGIN,
    CALLBACK,
    CLIENT_ID,
    CONNECTION,
    PASSWORD_REALM,
    Flow,
    code_form,
    query,
)
from test_tenant_universal_login import hidden_fields, start_spa_login

from devtenant.errors import BadInput, text_field
from devtenant.tenant import Tenant

SURROGATE = "\ud800"


def post_json(client: TestClient, method: str, path: str, body: Any) -> Any:
    raw = body if isinstance(body, str) else json.dumps(body)  # "\ud800" stays an escape
    headers = {"Content-Type": "application/json"}
    if not path.startswith("/_dev/"):
        headers["Origin"] = APP_ORIGIN
    return client.request(method, path, content=raw.encode("ascii"), headers=headers)


def assert_oauth_400(response: Any) -> None:
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"error", "error_description"}


def assert_db_400(response: Any) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert {"name", "code", "description", "statusCode"} <= set(body)
    assert body["statusCode"] == 400


SIGNUP = {"client_id": CLIENT_ID, "connection": CONNECTION, "email": "g@example.com"}


@pytest.mark.parametrize(
    ("body", "stored_email"),
    [
        ({**SIGNUP, "email": "g" + SURROGATE + "@example.com", "password": "Hopper-1906"}, None),
        ({**SIGNUP, "password": "Hopper-1906" + SURROGATE}, "g@example.com"),
        ({**SIGNUP, "password": "Hopper-1906", "user_metadata": {"k": SURROGATE}}, "g@example.com"),
    ],
)
def test_signup_with_a_lone_surrogate_is_refused(
    client: TestClient, tenant: Tenant, body: dict[str, Any], stored_email: str | None
) -> None:
    assert_db_400(post_json(client, "POST", "/dbconnections/signup", body))
    assert [u.email for u in tenant.store.users()] == [ADA]


def test_change_password_with_a_lone_surrogate_is_refused(
    client: TestClient, tenant: Tenant
) -> None:
    body = {"client_id": CLIENT_ID, "connection": CONNECTION, "email": ADA + SURROGATE}
    assert_db_400(post_json(client, "POST", "/dbconnections/change_password", body))
    assert tenant.store.emails() == []


@pytest.mark.parametrize("field", ["username", "password"])
def test_co_authenticate_with_a_lone_surrogate_is_refused(
    client: TestClient, tenant: Tenant, field: str
) -> None:
    body = {
        "client_id": CLIENT_ID,
        "username": ADA,
        "password": ADA_PASSWORD,
        "realm": CONNECTION,
        "credential_type": PASSWORD_REALM,
        field: "x" + SURROGATE,
    }
    assert_oauth_400(post_json(client, "POST", "/co/authenticate", body))
    user = tenant.store.user_by_email(ADA)
    assert user is not None and user.failed_logins == 0


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/_dev/users", {"email": "m" + SURROGATE + "@example.com", "password": "x"}),
        (
            "POST",
            "/_dev/users",
            {"email": "m@example.com", "password": "M-1234567", "name": SURROGATE},
        ),
        ("PATCH", f"/_dev/users/{ADA}", {"name": SURROGATE}),
        ("PATCH", f"/_dev/users/{ADA}", {"password": SURROGATE}),
    ],
)
def test_admin_users_with_a_lone_surrogate_are_refused(
    client: TestClient, tenant: Tenant, method: str, path: str, body: dict[str, Any]
) -> None:
    before = [u.public() for u in tenant.store.users()]
    assert_oauth_400(post_json(client, method, path, body))
    assert [u.public() for u in tenant.store.users()] == before


@pytest.mark.parametrize("path", ["/co/authenticate", "/dbconnections/signup", "/_dev/users"])
def test_deeply_nested_json_is_refused(client: TestClient, tenant: Tenant, path: str) -> None:
    response = post_json(client, "POST", path, "[" * 5000 + "]" * 5000)
    assert response.status_code == 400
    assert [u.email for u in tenant.store.users()] == [ADA]


@pytest.mark.parametrize(
    "path", ["/co/authenticate", "/dbconnections/signup", "/oauth/token", "/_dev/clock"]
)
def test_an_integer_beyond_pythons_digit_limit_is_malformed_json(
    client: TestClient, path: str
) -> None:
    """json.loads raises a plain ValueError for it, not a JSONDecodeError."""
    body = '{"client_id": ' + "1" * 5000 + "}"
    response = post_json(client, "POST", path, body)
    assert response.status_code == 400
    body = response.json()  # /dbconnections answers in Lock's shape, the rest as OAuth errors
    assert body.get("error_description", body.get("description")) == "Malformed JSON body"


def test_deeply_nested_json_inside_an_object_is_refused(client: TestClient) -> None:
    body = '{"client_id": ' + "[" * 5000 + "]" * 5000 + "}"
    assert post_json(client, "POST", "/co/authenticate", body).status_code == 400


def test_text_field_refuses_unencodable_text() -> None:
    with pytest.raises(BadInput) as refused:
        text_field({"email": "a" + SURROGATE}, "email")
    assert refused.value.status == 400


@pytest.mark.parametrize("csrf", ["\u00e9t\u00e9", "\u2603" * 10])
def test_hosted_login_with_a_non_ascii_csrf_token_is_refused(
    flow: Flow, client: TestClient, tenant: Tenant, csrf: str
) -> None:
    page = start_spa_login(flow, "a" * 43).text
    form = {**hidden_fields(page), "username": ADA, "password": ADA_PASSWORD, "csrf": csrf}
    response = client.post("/u/login", data=form, follow_redirects=False)
    assert response.status_code == 403
    assert "login_ticket" not in response.headers.get("location", "")
    user = tenant.store.user_by_email(ADA)
    assert user is not None and user.logins_count == 0


@pytest.mark.parametrize(
    "challenge",
    ["\u00e9" * 43, "a" * 42, "a" * 129, "a" * 42 + "=", "a" * 42 + "+", " " + "a" * 43],
)
def test_authorize_refuses_a_code_challenge_that_is_not_base64url(
    flow: Flow, client: TestClient, challenge: str
) -> None:
    response = flow.login(
        response_type="code",
        response_mode="query",
        code_challenge=challenge,
        code_challenge_method="S256",
        state="s",
    )
    assert response.status_code == 302
    answer = query(response.headers["location"])
    assert answer["error"] == "invalid_request"
    assert "code" not in answer
    assert response.headers["location"].startswith(CALLBACK)


def test_a_non_ascii_stored_challenge_never_crashes_the_token_endpoint(
    flow: Flow, client: TestClient
) -> None:
    from devtenant.tokens import pkce_matches

    assert pkce_matches("v" * 43, "\u00e9" * 43) is False
    response = client.post("/oauth/token", data=code_form("nope", "v" * 43))
    assert response.status_code == 403
