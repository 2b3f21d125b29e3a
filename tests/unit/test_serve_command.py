"""`python3 serve.py` as the README runs it: its flags reach the page's config, the dev tenant
starts on its port, and with AUTH0_DOMAIN and AUTH0_CLIENT_ID set no dev tenant starts."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
import pytest

import serve
from serving import free_port


@contextmanager
def serve_py(
    *flags: str, env: dict[str, str] | None = None
) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    """Run serve.py on a free port with `flags`; yields the app's port, once it answers, and
    the process."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AUTH0_")}
    process = subprocess.Popen(
        [sys.executable, str(serve.ROOT / "serve.py"), "--port", str(port), *flags],
        env={**environment, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_answering(f"http://localhost:{port}/auth0-config.json", process)
        yield port, process
    finally:
        process.terminate()
        process.wait(10)


def wait_until_answering(url: str, process: subprocess.Popen[str]) -> httpx2.Response:
    """The first answer from `url`, polled while serve.py starts (at most 20 s)."""
    deadline = time.monotonic() + 20
    while True:
        if process.poll() is not None:
            pytest.fail(f"serve.py exited with {process.returncode}: {process.stdout.read()}")
        try:
            return httpx2.get(url, timeout=0.5)
        except httpx2.TransportError:
            if time.monotonic() > deadline:
                pytest.fail(f"{url} did not answer within 20 s")
            time.sleep(0.05)  # a port that is not listening yet


def config_at(port: int) -> dict[str, Any]:
    return httpx2.get(f"http://localhost:{port}/auth0-config.json").json()


def test_the_flags_reach_the_page_and_the_tenant_starts_on_its_port() -> None:
    tenant_port = free_port()
    flags = ["--tenant-port", str(tenant_port), "--storage", "lockr", "--logout", "federated"]
    with serve_py(*flags, "--interpreter", "micropython") as (port, process):
        config = config_at(port)
        tenant = f"http://localhost:{tenant_port}"
        assert config["domain"] == tenant and config["clientId"] == serve.CLIENT_ID
        assert (config["storage"], config["logout"]) == ("lockr", "federated")
        assert config["interpreter"] == "micropython"
        discovery = wait_until_answering(f"{tenant}/.well-known/openid-configuration", process)
        assert discovery.json()["issuer"] == tenant + "/"


def test_a_real_tenant_in_the_environment_starts_no_dev_tenant() -> None:
    tenant_port = free_port()
    env = {"AUTH0_DOMAIN": "example.eu.auth0.com", "AUTH0_CLIENT_ID": "abc123"}
    with serve_py("--tenant-port", str(tenant_port), env=env) as (port, _):
        config = config_at(port)
        assert (config["domain"], config["clientId"]) == ("example.eu.auth0.com", "abc123")
        page = httpx2.get(f"http://localhost:{port}/")
        assert "https://example.eu.auth0.com" in page.headers["content-security-policy"]
        with pytest.raises(httpx2.TransportError):
            httpx2.get(f"http://localhost:{tenant_port}/", timeout=1)
