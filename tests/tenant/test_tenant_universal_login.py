"""The hosted login page: /authorize without a session (auth0-spa-js loginWithRedirect)."""

from __future__ import annotations

import html
import re
from typing import Any

from starlette.testclient import TestClient
from tenant_support import (
    ADA,
    ADA_PASSWORD,
    CALLBACK,
    CLIENT_ID,
    ISSUER,
    T0,
    Flow,
    code_form,
    pkce,
    pkce_pair,
    query,
    verify_with_joserfc,
)

HIDDEN = re.compile(r"<input type=hidden name='([^']*)' value='([^']*)'>")


def hidden_fields(page: str) -> dict[str, str]:
    return {html.unescape(k): html.unescape(v) for k, v in HIDDEN.findall(page)}


def start_spa_login(flow: Flow, challenge: str, **params: str) -> Any:
    """What auth0-spa-js's loginWithRedirect navigates to."""
    return flow.authorize(
        response_type="code",
        response_mode="query",
        **pkce(challenge),
        auth0Client="eyJuYW1lIjoiYXV0aDAtc3BhLWpzIn0=",
        **params,
    )


def post_login(client: TestClient, page: str, username: str, password: str, **over: str) -> Any:
    form = {**hidden_fields(page), "username": username, "password": password, **over}
    return client.post("/u/login", data=form, follow_redirects=False)


def test_authorize_without_a_session_shows_the_hosted_login_page(flow: Flow) -> None:
    _, challenge = pkce_pair()
    response = start_spa_login(flow, challenge, state="s1")
    assert response.status_code == 200
    assert "<form method=post action='/u/login'>" in response.text
    fields = hidden_fields(response.text)
    assert fields["p:state"] == "s1" and fields["p:redirect_uri"] == CALLBACK
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("devtenant_login_csrf_")
    assert fields["csrf"] not in cookie  # the cookie holds a digest, not the form's token
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower()


def test_two_login_forms_in_one_browser_each_log_in(flow: Flow, client: TestClient) -> None:
    """Two tabs on the hosted login page: the second form does not void the first."""
    _, challenge = pkce_pair()
    first = start_spa_login(flow, challenge, state="tab1").text
    second = start_spa_login(flow, challenge, state="tab2").text
    for page, state in ((first, "tab1"), (second, "tab2")):
        back = post_login(client, page, ADA, ADA_PASSWORD)
        assert back.status_code == 303, back.text
        final = client.get(back.headers["location"], follow_redirects=False)
        assert query(final.headers["location"])["state"] == state


def test_a_used_login_form_cannot_be_posted_again(flow: Flow, client: TestClient) -> None:
    _, challenge = pkce_pair()
    page = start_spa_login(flow, challenge).text
    assert post_login(client, page, ADA, ADA_PASSWORD).status_code == 303
    again = post_login(client, page, ADA, ADA_PASSWORD)
    assert again.status_code == 403
    assert "Session expired" in again.text


def test_a_form_whose_cookie_holds_another_value_is_refused(flow: Flow, client: TestClient) -> None:
    _, challenge = pkce_pair()
    response = start_spa_login(flow, challenge)
    name = response.headers["set-cookie"].split("=", 1)[0]
    client.cookies.clear()
    client.cookies.set(name, "0" * 64)  # the form's cookie name, not its value
    refused = post_login(client, response.text, ADA, ADA_PASSWORD)
    assert refused.status_code == 403


def test_a_form_with_another_forms_token_is_refused(flow: Flow, client: TestClient) -> None:
    _, challenge = pkce_pair()
    page = start_spa_login(flow, challenge).text
    other = Flow(TestClient(client.app, base_url=str(client.base_url)))
    foreign = hidden_fields(start_spa_login(other, challenge).text)["csrf"]
    response = post_login(client, page, ADA, ADA_PASSWORD, csrf=foreign)
    assert response.status_code == 403


def test_hosted_login_completes_the_code_flow_with_pkce(flow: Flow, client: TestClient) -> None:
    verifier, challenge = pkce_pair()
    page = start_spa_login(flow, challenge, state="s2", nonce="n2").text
    back = post_login(client, page, ADA, ADA_PASSWORD)
    assert back.status_code == 303
    assert back.headers["location"].startswith("/authorize?")
    final = client.get(back.headers["location"], follow_redirects=False)
    assert final.status_code == 302
    params = query(final.headers["location"])
    assert params["state"] == "s2"
    tokens = client.post("/oauth/token", data=code_form(params["code"], verifier)).json()
    verify_with_joserfc(client, tokens["id_token"], T0, iss=ISSUER, aud=CLIENT_ID, nonce="n2")
    assert '"code": "' in flow.check_session(response_type="code", **pkce(challenge)).text


def test_hosted_login_with_a_wrong_password_shows_the_form_again(
    flow: Flow, client: TestClient
) -> None:
    _, challenge = pkce_pair()
    page = start_spa_login(flow, challenge).text
    response = post_login(client, page, ADA, "wrong")
    assert response.status_code == 401
    assert "Wrong email or password." in response.text
    assert "location" not in response.headers


def test_hosted_login_counts_towards_brute_force_blocking(flow: Flow, client: TestClient) -> None:
    _, challenge = pkce_pair()
    page = start_spa_login(flow, challenge).text
    for i in range(9):
        page = post_login(client, page, ADA, f"wrong-{i}").text
    assert post_login(client, page, ADA, "wrong-9").status_code == 429
    assert flow.co_authenticate().status_code == 429


def test_hosted_login_refuses_a_post_without_its_csrf_cookie(
    flow: Flow, client: TestClient
) -> None:
    _, challenge = pkce_pair()
    page = start_spa_login(flow, challenge).text
    client.cookies.clear()
    assert post_login(client, page, ADA, ADA_PASSWORD).status_code == 403
    page = start_spa_login(flow, challenge).text
    assert post_login(client, page, ADA, ADA_PASSWORD, csrf="forged").status_code == 403


def test_hosted_login_never_redirects_to_a_tampered_callback(
    flow: Flow, client: TestClient
) -> None:
    _, challenge = pkce_pair()
    page = start_spa_login(flow, challenge).text
    response = post_login(
        client, page, ADA, ADA_PASSWORD, **{"p:redirect_uri": "http://evil.example/"}
    )
    assert response.status_code == 400 and "location" not in response.headers


def test_hosted_login_page_escapes_the_carried_parameters(flow: Flow) -> None:
    _, challenge = pkce_pair()
    response = start_spa_login(flow, challenge, state="'><script>alert(1)</script>")
    assert "<script>alert(1)</script>" not in response.text
    assert hidden_fields(response.text)["p:state"] == "'><script>alert(1)</script>"


def test_hosted_login_with_malformed_input_is_4xx(client: TestClient) -> None:
    assert client.post("/u/login", data={"csrf": "x"}).status_code == 400
    assert (
        client.post("/u/login", content=b"{}", headers={"Content-Type": "text/plain"}).status_code
        == 415
    )
