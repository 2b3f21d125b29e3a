"""Changing a password (reset link or admin API) logs the user out everywhere."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.testclient import TestClient
from tenant_support import ADA, APP_ORIGIN, CLIENT_ID, CONNECTION, ISSUER_BASE, Flow

from devtenant.tenant import Tenant


def logged_in_browsers(app: Starlette, count: int) -> list[Flow]:
    flows = [Flow(TestClient(app, base_url=ISSUER_BASE)) for _ in range(count)]
    for flow in flows:
        assert "access_token" in flow.login_tokens()
        assert '"access_token"' in flow.check_session().text
    return flows


def assert_logged_out(flows: list[Flow], tenant: Tenant) -> None:
    for flow in flows:
        assert '"error": "login_required"' in flow.check_session().text
    assert tenant.store.session_count() == 0


def reset_ticket(client: TestClient, tenant: Tenant) -> str:
    body = {"client_id": CLIENT_ID, "email": ADA, "connection": CONNECTION}
    sent = client.post("/dbconnections/change_password", json=body, headers={"Origin": APP_ORIGIN})
    assert sent.status_code == 200
    (email,) = [e for e in tenant.store.emails() if e.kind != "blocked_account"]
    return email.link.split("ticket=")[1]


def test_a_password_reset_ends_the_users_sessions(
    app: Starlette, client: TestClient, tenant: Tenant
) -> None:
    browsers = logged_in_browsers(app, 2)
    pending = browsers[0].ticket()  # earned with the old password, not yet used
    ticket = reset_ticket(client, tenant)
    done = client.post("/lo/reset", data={"ticket": ticket, "password": "Babbage-1822"})
    assert done.status_code == 200
    assert_logged_out(browsers, tenant)
    refused = browsers[0].authorize(login_ticket=pending)
    assert "error=access_denied" in refused.headers["location"]
    assert browsers[1].co_authenticate(password="Babbage-1822").status_code == 200


def test_an_admin_password_change_ends_the_users_sessions(
    app: Starlette, client: TestClient, tenant: Tenant
) -> None:
    browsers = logged_in_browsers(app, 2)
    changed = client.patch(f"/_dev/users/{ADA}", json={"password": "Babbage-1822"})
    assert changed.status_code == 200
    assert_logged_out(browsers, tenant)


def test_an_admin_profile_change_keeps_the_sessions(
    app: Starlette, client: TestClient, tenant: Tenant
) -> None:
    browsers = logged_in_browsers(app, 1)
    assert client.patch(f"/_dev/users/{ADA}", json={"name": "Countess"}).status_code == 200
    assert '"access_token"' in browsers[0].check_session().text
    assert tenant.store.session_count() == 1
