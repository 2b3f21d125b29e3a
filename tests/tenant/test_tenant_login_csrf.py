"""A login ticket only works in the browser that earned it (no login CSRF)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.testclient import TestClient
from tenant_support import ADA, ADA_PASSWORD, ISSUER_BASE, Flow, fragment

from devtenant.tenant import Tenant


def test_co_authenticate_binds_the_ticket_with_an_httponly_lax_cookie(flow: Flow) -> None:
    response = flow.co_authenticate()
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    ticket = response.json()["login_ticket"]
    assert cookie.startswith("devtenant_co_")
    assert ticket not in cookie
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Path=/authorize" in cookie


def test_a_ticket_presented_by_another_browser_is_refused(app: Starlette, tenant: Tenant) -> None:
    attacker = Flow(TestClient(app, base_url=ISSUER_BASE))
    victim = Flow(TestClient(app, base_url=ISSUER_BASE))
    ticket = attacker.ticket()
    response = victim.authorize(login_ticket=ticket, state="csrf")
    assert response.status_code == 302
    answer = fragment(response.headers["location"])
    assert answer["error"] == "access_denied"
    assert answer["state"] == "csrf"
    assert "access_token" not in answer and "id_token" not in answer
    assert "devtenant_session" not in response.headers.get("set-cookie", "")
    assert tenant.store.session_count() == 0
    # The ticket was burnt by the attempt: the attacker cannot use it either.
    assert "error" in fragment(attacker.authorize(login_ticket=ticket).headers["location"])


def test_a_ticket_with_another_tickets_cookie_is_refused(app: Starlette) -> None:
    attacker = Flow(TestClient(app, base_url=ISSUER_BASE))
    victim = Flow(TestClient(app, base_url=ISSUER_BASE))
    victim.ticket()  # the victim's browser holds a cookie for its own ticket
    stolen = attacker.ticket()
    answer = fragment(victim.authorize(login_ticket=stolen).headers["location"])
    assert answer["error"] == "access_denied"


def test_a_web_message_login_with_a_foreign_ticket_is_refused(app: Starlette) -> None:
    attacker = Flow(TestClient(app, base_url=ISSUER_BASE))
    victim = Flow(TestClient(app, base_url=ISSUER_BASE))
    response = victim.authorize(login_ticket=attacker.ticket(), response_mode="web_message")
    assert response.status_code == 200
    assert '"error": "access_denied"' in response.text
    assert "access_token" not in response.text


def test_the_browser_that_earned_the_ticket_logs_in(flow: Flow) -> None:
    tokens = flow.login_tokens()
    assert tokens["access_token"] and tokens["id_token"]
    assert flow.ticket(ADA, ADA_PASSWORD)


def test_two_logins_under_way_in_one_browser_both_complete(flow: Flow) -> None:
    """Two tabs: each ticket keeps its own binding cookie."""
    first, second = flow.ticket(), flow.ticket()
    for ticket in (first, second):
        answer = fragment(flow.authorize(login_ticket=ticket).headers["location"])
        assert "access_token" in answer, answer
