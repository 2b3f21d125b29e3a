"""Sign-up, change_password (the captured reset email) and the reset page it links to."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient
from tenant_support import ADA, APP_ORIGIN, CLIENT_ID, CONNECTION, ISSUER_BASE, Flow

from devtenant import DatabaseConnection, TenantConfig, create_app
from devtenant.passwords import policy_failures
from devtenant.tenant import Tenant


def signup(client: TestClient, **fields: Any) -> Any:
    body = {
        "client_id": CLIENT_ID,
        "email": "grace@example.com",
        "password": "Hopper-1906",
        "connection": CONNECTION,
        **fields,
    }
    return client.post("/dbconnections/signup", json=body, headers={"Origin": APP_ORIGIN})


def change_password(client: TestClient, email: str) -> Any:
    body = {"client_id": CLIENT_ID, "email": email, "connection": CONNECTION}
    return client.post("/dbconnections/change_password", json=body, headers={"Origin": APP_ORIGIN})


def test_signup_creates_a_user_who_can_then_log_in(client: TestClient) -> None:
    response = signup(client)
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "grace@example.com" and body["email_verified"] is False
    assert len(body["_id"]) == 24
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    tokens = Flow(client).login(username="grace@example.com", password="Hopper-1906")
    assert tokens.status_code == 302 and "access_token=" in tokens.headers["location"]


def test_signup_captures_a_verification_email(client: TestClient, tenant: Tenant) -> None:
    signup(client)
    assert [(e.to, e.kind) for e in tenant.store.emails()] == [
        ("grace@example.com", "verify_email")
    ]


def test_signup_stores_a_salted_scrypt_hash_never_the_password(
    client: TestClient, tenant: Tenant
) -> None:
    signup(client, email="a@example.com")
    signup(client, email="b@example.com")
    a, b = (tenant.store.user_by_email(e) for e in ("a@example.com", "b@example.com"))
    assert a is not None and b is not None
    assert a.password_hash.startswith("scrypt$") and "Hopper-1906" not in a.password_hash
    assert a.password_hash != b.password_hash


def test_signup_for_an_existing_email_is_user_exists(client: TestClient) -> None:
    response = signup(client, email=ADA.upper())
    assert response.status_code == 400
    assert response.json()["code"] == "user_exists"
    assert response.json()["description"] == "The user already exists."


def test_signup_with_a_weak_password_is_invalid_password_as_lock_reads_it(
    client: TestClient, tenant: Tenant
) -> None:
    response = signup(client, password="short")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_password" and body["name"] == "PasswordStrengthError"
    assert body["description"]["verified"] is False
    assert tenant.store.user_by_email("grace@example.com") is None


@pytest.mark.parametrize(
    ("policy", "weak", "strong"),
    [
        ("none", "", "a"),
        ("low", "abcde", "abcdef"),
        ("fair", "abcdefgh1", "Abcdefg1"),
        ("good", "abcdefg1", "abcdef1!"),
        ("excellent", "Abcdeff1!!!", "Abcdeff1!!"),
    ],
)
def test_password_policies_match_auth0s_levels(policy: str, weak: str, strong: str) -> None:
    assert policy_failures(weak, policy)
    assert policy_failures(strong, policy) == []


def test_passwords_over_72_bytes_are_refused() -> None:
    assert policy_failures("Aa1" + "x" * 70, "fair")


def test_signup_can_be_turned_off() -> None:
    config = TenantConfig.default()
    config = TenantConfig(
        tenant=config.tenant,
        issuer_base=config.issuer_base,
        applications=config.applications,
        connection=DatabaseConnection(disable_signup=True),
    )
    client = TestClient(create_app(config), base_url=ISSUER_BASE)
    response = signup(client)
    assert response.status_code == 400
    assert response.json()["code"] == "operation_not_allowed"
    script = client.get(f"/client/{CLIENT_ID}.js").text
    assert '"showSignup": false' in script


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"email": "not-an-email"}, 400, "invalid_signup"),
        ({"email": None}, 400, "invalid_request"),
        ({"email": ["a@b.c"]}, 400, "invalid_request"),
        ({"password": 12345678}, 400, "invalid_request"),
        ({"connection": "Other"}, 400, "invalid_connection"),
        ({"client_id": "nope"}, 400, "invalid_client"),
        ({"email": "x" * 300 + "@example.com"}, 400, "invalid_request"),
        ({"user_metadata": "not an object"}, 400, "invalid_signup"),
    ],
)
def test_bad_signups_are_4xx_in_auth0_shape_and_store_nothing(
    client: TestClient, tenant: Tenant, fields: dict[str, Any], status: int, code: str
) -> None:
    response = signup(client, **fields)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["statusCode"] == status
    assert [u.email for u in tenant.store.users()] == [ADA]


def test_signup_from_an_unlisted_origin_is_refused(client: TestClient, tenant: Tenant) -> None:
    body = {
        "client_id": CLIENT_ID,
        "email": "e@example.com",
        "password": "Abcdefg1",
        "connection": CONNECTION,
    }
    response = client.post("/dbconnections/signup", json=body, headers={"Origin": "http://x.y"})
    assert response.status_code == 403
    assert tenant.store.user_by_email("e@example.com") is None


def test_signup_with_malformed_json_is_400(client: TestClient) -> None:
    response = client.post(
        "/dbconnections/signup", content=b'{"email": ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"


def test_change_password_captures_a_reset_email_with_a_link(
    client: TestClient, tenant: Tenant
) -> None:
    response = change_password(client, ADA)
    assert response.status_code == 200
    assert response.text == "We've just sent you an email to reset your password."
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    (email,) = tenant.store.emails()
    assert email.to == ADA and email.kind == "reset_password"
    assert email.link.startswith(ISSUER_BASE + "/lo/reset?ticket=")


def test_change_password_for_an_unknown_email_looks_the_same_but_sends_nothing(
    client: TestClient, tenant: Tenant
) -> None:
    response = change_password(client, "nobody@example.com")
    assert response.status_code == 200
    assert response.text == "We've just sent you an email to reset your password."
    assert tenant.store.emails() == []


def test_change_password_with_bad_input_is_4xx(client: TestClient) -> None:
    response = client.post("/dbconnections/change_password", json={"client_id": CLIENT_ID})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"


def reset_link(client: TestClient, tenant: Tenant) -> str:
    change_password(client, ADA)
    link = tenant.store.emails()[-1].link
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def test_reset_link_sets_a_new_password_and_unblocks(
    client: TestClient, tenant: Tenant, flow: Flow
) -> None:
    for i in range(10):
        flow.co_authenticate(password=f"wrong-{i}")
    link = reset_link(client, tenant)
    page = client.get(link)
    assert page.status_code == 200 and "<form" in page.text
    ticket = link.split("ticket=")[1]
    done = client.post("/lo/reset", data={"ticket": ticket, "password": "Babbage-1822"})
    assert done.status_code == 200
    assert flow.co_authenticate(password="Babbage-1822").status_code == 200
    assert flow.co_authenticate().status_code == 403
    again = client.post("/lo/reset", data={"ticket": ticket, "password": "Another-1822"})
    assert again.status_code == 400


def test_reset_refuses_a_weak_password_and_keeps_the_link_usable(
    client: TestClient, tenant: Tenant
) -> None:
    ticket = reset_link(client, tenant).split("ticket=")[1]
    weak = client.post("/lo/reset", data={"ticket": ticket, "password": "weak"})
    assert weak.status_code == 400 and "too weak" in weak.text
    assert html.escape(ticket, quote=True) in weak.text
    ok = client.post("/lo/reset", data={"ticket": ticket, "password": "Babbage-1822"})
    assert ok.status_code == 200


def test_reset_page_with_an_unknown_ticket_is_an_error(client: TestClient) -> None:
    assert client.get("/lo/reset?ticket=nope").status_code == 400
    assert client.post("/lo/reset", data={"ticket": "nope", "password": "x"}).status_code == 400
