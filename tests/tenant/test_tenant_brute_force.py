"""Brute-force protection holds when wrong passwords arrive in parallel."""

from __future__ import annotations

import time
from typing import Any

import anyio
import httpx2
import pytest
from starlette.applications import Starlette
from tenant_support import (
    ADA,
    ADA_PASSWORD,
    APP_ORIGIN,
    CLIENT_ID,
    CONNECTION,
    ISSUER_BASE,
    run_async,
)

import devtenant.tenant
from devtenant.passwords import verify_password
from devtenant.tenant import BLOCK_AFTER_FAILURES, Tenant


def _body(password: str) -> dict[str, str]:
    return {"client_id": CLIENT_ID, "username": ADA, "password": password, "realm": CONNECTION}


async def _burst(app: Starlette, passwords: list[str]) -> list[httpx2.Response]:
    transport = httpx2.ASGITransport(app=app)
    results: list[httpx2.Response] = [None] * len(passwords)  # type: ignore[list-item]
    async with httpx2.AsyncClient(transport=transport, base_url=ISSUER_BASE) as client:

        async def one(i: int, password: str) -> None:
            results[i] = await client.post(
                "/co/authenticate", json=_body(password), headers={"Origin": APP_ORIGIN}
            )

        async with anyio.create_task_group() as group:
            for i, password in enumerate(passwords):
                group.start_soon(one, i, password)
    return results


@pytest.mark.parametrize("right_at", [0, 6, 15])
def test_parallel_wrong_passwords_are_checked_at_most_ten_times_and_a_late_right_one_gets_no_ticket(
    app: Starlette, tenant: Tenant, monkeypatch: pytest.MonkeyPatch, right_at: int
) -> None:
    checked: list[str] = []

    def slow_verify(password: str, stored: str) -> bool:
        checked.append(password)
        if password == ADA_PASSWORD:
            # The right password finishes last: once ten failures have been counted.
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                user = tenant.store.user_by_email(ADA)
                if user is not None and user.blocked:
                    break
                time.sleep(0.01)
        return verify_password(password, stored)

    monkeypatch.setattr(devtenant.tenant, "verify_password", slow_verify)
    passwords = [f"wrong-{i}" for i in range(15)]
    passwords.insert(right_at, ADA_PASSWORD)

    responses = run_async(_burst, app, passwords)

    statuses = [r.status_code for r in responses]
    assert 200 not in statuses, statuses
    assert all("login_ticket" not in r.text for r in responses)
    assert set(statuses) <= {403, 429}
    assert len(checked) <= BLOCK_AFTER_FAILURES
    user = tenant.store.user_by_email(ADA)
    assert user is not None and user.blocked
    assert [e.kind for e in tenant.store.emails()] == ["blocked_account"]


def test_a_parallel_burst_of_wrong_passwords_sends_one_blocked_email(
    app: Starlette, tenant: Tenant
) -> None:
    responses: list[Any] = run_async(_burst, app, [f"wrong-{i}" for i in range(25)])
    assert {r.status_code for r in responses} <= {403, 429}
    assert sum(r.status_code == 403 for r in responses) <= BLOCK_AFTER_FAILURES - 1
    assert [e.kind for e in tenant.store.emails()] == ["blocked_account"]
    user = tenant.store.user_by_email(ADA)
    assert user is not None and user.blocked
