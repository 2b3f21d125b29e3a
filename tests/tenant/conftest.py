"""Fixtures for HTTP tests of the dev tenant: a fresh in-memory tenant per test, fixed time."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from tenant_support import APP_ORIGIN, ISSUER_BASE, T0, Flow

from devtenant import Clock, TenantConfig, create_app
from devtenant.tenant import Tenant


@pytest.fixture
def clock() -> Clock:
    return Clock(source=lambda: float(T0))


@pytest.fixture
def config() -> TenantConfig:
    return TenantConfig.default(issuer_base=ISSUER_BASE, app_origin=APP_ORIGIN)


@pytest.fixture
def app(config: TenantConfig, clock: Clock) -> Starlette:
    return create_app(config, clock=clock)


@pytest.fixture
def tenant(app: Starlette) -> Tenant:
    tenant: Tenant = app.state.tenant
    return tenant


@pytest.fixture
def client(app: Starlette) -> TestClient:
    return TestClient(app, base_url=ISSUER_BASE)


@pytest.fixture
def flow(client: TestClient) -> Flow:
    return Flow(client)
