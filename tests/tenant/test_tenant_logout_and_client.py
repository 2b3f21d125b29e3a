"""/v2/logout, Lock's client script and language dictionary, the default avatar."""

from __future__ import annotations

import json

from starlette.testclient import TestClient
from tenant_support import APP_ORIGIN, CALLBACK, CLIENT_ID, ISSUER, Flow

from devtenant.tenant import Tenant


def test_logout_ends_the_session_so_check_session_needs_a_login(
    flow: Flow, client: TestClient
) -> None:
    flow.login()
    assert '"access_token"' in flow.check_session().text
    response = client.get(
        "/v2/logout", params={"client_id": CLIENT_ID, "returnTo": CALLBACK}, follow_redirects=False
    )
    assert response.status_code == 302
    assert response.headers["location"] == CALLBACK
    assert 'devtenant_session=""' in response.headers["set-cookie"]
    assert '"error": "login_required"' in flow.check_session().text


def test_logout_ends_the_session_on_the_server_not_only_the_cookie(
    flow: Flow, client: TestClient, tenant: Tenant
) -> None:
    flow.login()
    cookie = client.cookies.get("devtenant_session")
    client.get("/v2/logout", params={"client_id": CLIENT_ID}, follow_redirects=False)
    assert tenant.store.session_count() == 0
    client.cookies.set("devtenant_session", cookie or "")
    assert '"error": "login_required"' in flow.check_session().text


def test_unlisted_return_to_is_never_redirected_to(flow: Flow, client: TestClient) -> None:
    flow.login()
    response = client.get(
        "/v2/logout",
        params={"client_id": CLIENT_ID, "returnTo": "http://evil.example/"},
        follow_redirects=False,
    )
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "Logout URL not allowed" in response.text
    assert '"access_token"' in flow.check_session().text


def test_logout_without_return_to_goes_to_the_first_allowed_logout_url(
    client: TestClient,
) -> None:
    response = client.get("/v2/logout", params={"client_id": CLIENT_ID}, follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == APP_ORIGIN + "/"


def test_logout_without_client_id_checks_every_applications_list(client: TestClient) -> None:
    ok = client.get("/v2/logout", params={"returnTo": CALLBACK}, follow_redirects=False)
    assert ok.status_code == 302
    bad = client.get("/v2/logout", params={"returnTo": "http://x.y/"}, follow_redirects=False)
    assert bad.status_code == 400 and "location" not in bad.headers


def test_logout_for_an_unknown_client_is_an_error_page(client: TestClient) -> None:
    response = client.get(
        "/v2/logout", params={"client_id": "nope", "returnTo": CALLBACK}, follow_redirects=False
    )
    assert response.status_code == 400 and "location" not in response.headers


def test_client_script_calls_set_client_with_the_database_connection(client: TestClient) -> None:
    response = client.get(f"/client/{CLIENT_ID}.js?t1700000000000")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    text = response.text
    assert text.startswith("Auth0.setClient(") and text.rstrip().endswith(");")
    settings = json.loads(text[len("Auth0.setClient(") : text.rstrip().rindex(")")])
    assert settings["id"] == CLIENT_ID
    assert settings["tenant"] == "dev-tenant"
    (strategy,) = settings["strategies"]
    assert strategy["name"] == "auth0"
    (connection,) = strategy["connections"]
    assert connection == {
        "name": "Username-Password-Authentication",
        "showSignup": True,
        "showForgot": True,
        "passwordPolicy": "fair",
        "requires_username": False,
    }


def test_client_script_for_an_unknown_client_is_404(client: TestClient) -> None:
    response = client.get("/client/someone-else.js")
    assert response.status_code == 404
    assert "setClient" not in response.text


def test_english_dictionary_registers_with_lock(client: TestClient) -> None:
    response = client.get("/js/lock/14.3.0/en.js")
    assert response.status_code == 200
    assert response.text.startswith('Auth0.registerLanguageDictionary("en",')
    assert "Wrong email or password." in response.text


def test_other_languages_and_bad_versions_are_404(client: TestClient) -> None:
    assert client.get("/js/lock/14.3.0/fr.js").status_code == 404
    assert client.get("/js/lock/latest/en.js").status_code == 404


def test_default_picture_is_a_local_svg_not_gravatar(client: TestClient) -> None:
    response = client.get("/avatars/AL.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert ">AL</text>" in response.text
    assert client.get("/avatars/%3Cb%3E.svg").status_code == 404


def test_unknown_paths_and_methods_answer_in_auth0_shape(client: TestClient) -> None:
    missing = client.get("/nowhere")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    wrong = client.delete("/co/authenticate")
    assert wrong.status_code == 405 and wrong.json()["error"] == "method_not_allowed"


def test_issuer_in_discovery_matches_the_client_settings(client: TestClient) -> None:
    settings = client.get(f"/client/{CLIENT_ID}.js").text
    assert f'"authorize": "{ISSUER}authorize"' in settings
