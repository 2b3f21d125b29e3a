"""The tenant's HTML pages: a strict policy and no framing; the web_message answer has its own."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient
from tenant_support import APP_ORIGIN, CLIENT_ID, Flow, pkce, pkce_pair


def assert_not_frameable(response: Any) -> None:
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["x-frame-options"] == "DENY"
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert csp.count("frame-ancestors") == 1


def test_the_hosted_login_page_cannot_be_framed(flow: Flow) -> None:
    _, challenge = pkce_pair()
    response = flow.authorize(response_type="code", response_mode="query", **pkce(challenge))
    assert response.status_code == 200 and "/u/login" in response.text
    assert_not_frameable(response)


def test_the_admin_page_runs_no_script_and_cannot_be_framed(client: TestClient) -> None:
    response = client.get("/_dev/")
    assert response.status_code == 200
    assert_not_frameable(response)
    assert_runs_no_script(response)


@pytest.mark.parametrize(
    "path",
    [
        "/authorize?client_id=nobody",
        f"/authorize?client_id={CLIENT_ID}&redirect_uri=http://evil.example/",
        "/lo/reset?ticket=nope",
        "/v2/logout?returnTo=http://evil.example/",
    ],
)
def test_error_and_reset_pages_cannot_be_framed(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert_not_frameable(response)
    assert_runs_no_script(response)


def assert_runs_no_script(response: Any) -> None:
    """The policy a page without its own gets: styles inline, nothing loaded, nothing run."""
    csp = response.headers["content-security-policy"]
    assert csp.startswith("default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'")
    assert "script-src" not in csp


def test_the_hosted_login_and_logout_pages_run_no_script(flow: Flow, client: TestClient) -> None:
    _, challenge = pkce_pair()
    assert_runs_no_script(flow.authorize(response_type="code", **pkce(challenge)))
    assert_runs_no_script(client.get("/v2/logout"))


def test_the_hosted_login_error_page_cannot_be_framed(client: TestClient) -> None:
    response = client.post("/u/login", data={"csrf": "x"})
    assert response.status_code == 400
    assert_not_frameable(response)


def test_the_web_message_answer_may_still_be_framed_by_the_app(flow: Flow) -> None:
    response = flow.check_session()
    assert response.status_code == 200
    assert "x-frame-options" not in response.headers
    csp = response.headers["content-security-policy"]
    assert f"frame-ancestors {APP_ORIGIN}" in csp
    assert "'none'" not in csp.split("frame-ancestors", 1)[1]


def test_json_answers_carry_no_frame_headers(client: TestClient) -> None:
    response = client.get("/.well-known/openid-configuration")
    assert "x-frame-options" not in response.headers
