"""The built site on a static server that knows nothing of this project.

`dist/` is copied as `npm run build` left it, a hand-written `auth0-config.json` points it at a
dev tenant, and `python -m http.server` serves it: no CSP header, no precompressed files, no
special caching. Logging in and out must still work.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest
from pages import log_in_through_lock, log_out, open_logged_out
from playwright.sync_api import Page, expect

import serve
from devtenant import TenantConfig, create_app
from serving import BackgroundServer, free_port

pytestmark = pytest.mark.e2e


def built_copy_is_current(site: Path) -> list[str]:
    """Source files whose built copy in dist/ differs (the build was not re-run after an edit)."""
    stale = []
    for source_root, built_root in ((serve.WEB_DIR, site), (serve.PY_DIR, site / "py")):
        for source in source_root.rglob("*"):
            built = built_root / source.relative_to(source_root)
            if not source.is_file() or "__pycache__" in source.parts:
                continue
            if not built.is_file() or built.read_bytes() != source.read_bytes():
                stale.append(str(source.relative_to(serve.ROOT)))
    return stale


def tenant_for(tenant_url: str, site_url: str) -> TenantConfig:
    """The default dev tenant, with the site's page (maybe below the host's root) as its
    callback and logout URL."""
    origin = urlsplit(site_url)._replace(path="").geturl()
    config = TenantConfig.default(issuer_base=tenant_url, app_origin=origin)
    app, *others = config.applications
    app = dataclasses.replace(app, callbacks=(site_url,), allowed_logout_urls=(site_url,))
    return dataclasses.replace(config, applications=(app, *others))


# The host's root, and a folder below it (a project page on a static host).
@pytest.fixture(params=["", "app/"], ids=["at-root", "in-a-folder"])
def static_site(
    request: pytest.FixtureRequest, tmp_path: Path, app_interpreter: str
) -> Iterator[dict[str, Any]]:
    stale = built_copy_is_current(serve.DIST_DIR)
    if stale:
        pytest.fail(f"dist/ is older than the sources ({', '.join(stale[:3])}): npm run build")
    host_root = tmp_path / "host"
    site = host_root / request.param
    shutil.copytree(serve.DIST_DIR, site)
    site_port, tenant = free_port(), BackgroundServer()  # the site's server is another process
    host_url, tenant_url = f"http://localhost:{site_port}", tenant.url
    site_url = f"{host_url}/{request.param}"
    tenant_config = tenant_for(tenant_url, site_url)
    tenant.start(create_app(tenant_config))
    (site / "auth0-config.json").write_text(
        json.dumps(
            {
                "domain": tenant_url,
                "clientId": tenant_config.applications[0].client_id,
                "interpreter": app_interpreter,
            }
        )
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(site_port), "--bind", "127.0.0.1"],
        cwd=host_root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_serving(host_url, server)
        yield {"url": site_url, "user": tenant_config.users[0]}
    finally:
        server.terminate()
        server.wait(10)
        tenant.stop()


def wait_until_serving(url: str, server: subprocess.Popen[bytes]) -> None:
    """Wait for the server to answer (or to die), at most 10 s."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"python -m http.server exited with {server.returncode}")
        try:
            httpx2.get(url + "/", timeout=0.5)
            return
        except httpx2.TransportError:
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(0.05)  # also notices an early exit
    pytest.fail("python -m http.server did not start")


def test_the_built_site_logs_in_and_out_from_a_plain_static_server(
    page: Page, static_site: dict[str, Any]
) -> None:
    open_logged_out(page, static_site["url"])

    issued = log_in_through_lock(page, static_site["user"])
    assert page.evaluate("() => localStorage.getItem('id_token')") == issued
    expect(page.locator("#profile-name")).to_have_text(static_site["user"].name)
    assert page.url.split("#")[0] == static_site["url"]  # Lock came back to the site's page

    log_out(page)
    assert page.evaluate("() => localStorage.getItem('id_token')") is None
    assert page.url == static_site["url"]
