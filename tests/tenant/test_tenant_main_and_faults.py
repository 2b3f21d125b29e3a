"""`python -m devtenant` keeps tickets out of its log; fault names come from the routes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

import devtenant.__main__ as main_module
from devtenant.app import FAULT_ENDPOINTS, SURFACES


def test_the_server_runs_without_an_access_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(main_module.uvicorn, "run", lambda app, **kw: calls.append(kw))
    assert main_module.main(["--port", "8765", "--db", str(tmp_path / "t.db")]) == 0
    (options,) = calls
    assert options["access_log"] is False
    assert options["host"] == "127.0.0.1"


def test_fault_names_are_those_of_the_routes() -> None:
    assert set(FAULT_ENDPOINTS) == {s.fault for s in SURFACES if s.fault} | {"authorize"}
    assert len(set(FAULT_ENDPOINTS)) == len(FAULT_ENDPOINTS)


@pytest.mark.parametrize("endpoint", FAULT_ENDPOINTS)
def test_every_fault_name_is_accepted(client: TestClient, endpoint: str) -> None:
    response = client.post("/_dev/faults", json={"endpoint": endpoint, "status": 503})
    assert response.status_code in (200, 201), response.text


def test_an_unknown_fault_name_is_refused_with_the_list(client: TestClient) -> None:
    response = client.post("/_dev/faults", json={"endpoint": "nope", "status": 503})
    assert response.status_code == 400
    assert "co_authenticate" in response.json()["error_description"]
