"""serve.py's site app: MIME types, caching, precompressed files, CSP, path safety."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

import serve

TENANT = "http://localhost:9101"


@pytest.fixture
def site(tmp_path: Path) -> dict[str, Path]:
    web, py, vendor = tmp_path / "web", tmp_path / "py", tmp_path / "vendor"
    for folder in (web, py, vendor / "pyodide"):
        folder.mkdir(parents=True)
    (web / "index.html").write_text(
        '<!doctype html><head>\n  <meta http-equiv="Content-Security-Policy" content="x">'
        "<title>t</title></head>"
    )
    (py / "main.py").write_text("print('hi')\n")
    (vendor / "pyodide" / "pyodide.asm.wasm").write_bytes(b"\0asm-raw")
    (vendor / "pyodide" / "pyodide.asm.wasm.br").write_bytes(b"brotli-bytes")
    (vendor / "pyodide" / "pyodide.asm.wasm.zst").write_bytes(b"zstd-bytes")
    (tmp_path / "secret.txt").write_text("outside the site")
    return {"web": web, "py": py, "vendor": vendor}


def client_for(site: dict[str, Path], config: dict[str, Any]) -> TestClient:
    app = serve.create_site_app(config, site["web"], site["py"], site["vendor"])
    return TestClient(app, base_url="http://localhost:9100")


def test_wasm_is_served_as_application_wasm_and_precompressed(site: Any) -> None:
    client = client_for(site, serve.dev_tenant_config(TENANT))
    response = client.get("/vendor/pyodide/pyodide.asm.wasm", headers={"Accept-Encoding": "br"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/wasm"
    assert response.headers["content-encoding"] == "br"
    assert response.headers["vary"] == "Accept-Encoding"


@pytest.mark.parametrize(
    ("accepted", "encoding", "body"),
    [
        ("gzip, deflate, br, zstd", "zstd", b"zstd-bytes"),
        ("gzip, deflate, br", "br", b"brotli-bytes"),
        ("br, zstd;q=0", "br", b"brotli-bytes"),
    ],
)
def test_zstd_is_sent_first_where_the_build_wrote_it(
    site: Any, accepted: str, encoding: str, body: bytes
) -> None:
    client = client_for(site, serve.dev_tenant_config(TENANT))
    headers = {"Accept-Encoding": accepted}
    with client.stream("GET", "/vendor/pyodide/pyodide.asm.wasm", headers=headers) as response:
        assert response.headers["content-encoding"] == encoding
        assert response.headers["vary"] == "Accept-Encoding"
        # Sent as stored, for the client to decode: the raw body, not the client's decoding of it.
        assert b"".join(response.iter_raw()) == body


def test_files_keeping_their_name_across_versions_are_revalidated(site: Any) -> None:
    client = client_for(site, serve.dev_tenant_config(TENANT))
    first = client.get("/vendor/pyodide/pyodide.asm.wasm")
    assert first.headers["cache-control"] == "no-cache"
    again = client.get(
        "/vendor/pyodide/pyodide.asm.wasm", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304


def test_content_hashed_chunks_are_kept_for_good(site: Any) -> None:
    chunk = site["vendor"] / "pyscript" / "core-C9KDLldu.js"
    chunk.parent.mkdir()
    chunk.write_text("export {};")
    response = client_for(site, {}).get("/vendor/pyscript/core-C9KDLldu.js")
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_files_in_a_content_addressed_folder_are_kept_for_good(site: Any) -> None:
    wasm = site["vendor"] / "pyodide-fast-33fe0375" / "pyodide.asm.wasm"
    wasm.parent.mkdir()
    wasm.write_bytes(b"\0asm")
    response = client_for(site, {}).get("/vendor/pyodide-fast-33fe0375/pyodide.asm.wasm")
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize(
    "url_path",
    [
        "/vendor/pyodide/pyodide-lock.json",  # a hyphen, but no hash
        "/vendor/pyscript/core.js",
        "/vendor/lock/lock.js",
        "/py/main-12345678.py",
        "/bench/vendor/pyodide-fast-33fe0375/pyodide.mjs",  # not the site's vendor/
    ],
)
def test_only_hashed_vendor_paths_are_kept_for_good(url_path: str) -> None:
    assert serve.cache_control(url_path) == "no-cache"


def test_a_client_without_brotli_gets_the_plain_file(site: Any) -> None:
    client = client_for(site, serve.dev_tenant_config(TENANT))
    response = client.get(
        "/vendor/pyodide/pyodide.asm.wasm", headers={"Accept-Encoding": "identity"}
    )
    assert "content-encoding" not in response.headers
    assert response.content == b"\0asm-raw"


@pytest.mark.parametrize(
    "header, expected",
    [
        ("gzip, deflate, br", {"gzip", "deflate", "br"}),
        ("br;q=0, gzip;q=0.5", {"gzip"}),
        ("BR ; q=1", {"br"}),
        ("gzip;q=zero", set()),
        ("", set()),
    ],
)
def test_accept_encoding_is_read_with_its_q_values(header: str, expected: set[str]) -> None:
    assert serve.accepted_encodings(header) == expected


def test_a_page_may_not_be_framed_by_another_site(site: Any) -> None:
    policy = client_for(site, serve.dev_tenant_config(TENANT)).get("/").headers
    assert "frame-ancestors 'none'" in policy["content-security-policy"]


def test_app_files_are_revalidated_on_every_load(site: Any) -> None:
    client = client_for(site, serve.dev_tenant_config(TENANT))
    for path in ("/", "/py/main.py", "/auth0-config.json"):
        assert client.get(path).headers["cache-control"] == "no-cache", path


def test_the_page_gets_one_exact_csp_naming_the_tenant(site: Any) -> None:
    client = client_for(site, serve.dev_tenant_config(TENANT))
    response = client.get("/")
    assert "http-equiv" not in response.text  # the static-host meta gives way to the header
    policy = response.headers["content-security-policy"]
    assert f"connect-src 'self' {TENANT}" in policy
    assert f"frame-src {TENANT}" in policy
    assert "localhost:*" not in policy


def test_a_real_tenant_is_named_with_https_and_pictures_may_come_from_anywhere(site: Any) -> None:
    config = serve.page_config("example.eu.auth0.com", "abc123")
    policy = client_for(site, config).get("/").headers["content-security-policy"]
    assert "connect-src 'self' https://example.eu.auth0.com" in policy
    assert "img-src 'self' data: https:" in policy


def test_a_config_without_a_domain_still_serves_the_page(site: Any) -> None:
    response = client_for(site, {"domain": None}).get("/")
    assert response.status_code == 200
    assert "frame-src 'none'" in response.headers["content-security-policy"]


@pytest.mark.parametrize(
    "path",
    ["/../secret.txt", "/py/../../secret.txt", "/vendor/../secret.txt", "/nope.js", "/app.css%00"],
)
def test_nothing_outside_the_site_is_served(site: Any, path: str) -> None:
    assert client_for(site, {}).get(path).status_code == 404


def test_config_is_read_per_request(site: Any) -> None:
    config = serve.dev_tenant_config(TENANT)
    client = client_for(site, lambda: config)
    config["storage"] = "lockr"
    assert client.get("/auth0-config.json").json()["storage"] == "lockr"


BUNDLE = "./vendor/micropython-bytecode-0123abcd/bytecode.bin"


def with_compiled_app(site: dict[str, Path]) -> None:
    """A build that compiled py/app.py as it is now into MicroPython's bytecode bundle."""
    app = b"GREETING = 'hello'\n"
    (site["py"] / "app.py").write_bytes(app)
    entry = {
        "type": "mpy",
        "module": "./vendor/micropython-00000000/early.mjs",
        "fetchpreload": [BUNDLE],
        "bytecode": BUNDLE,
        "compiled": {"./py/app.py": hashlib.sha256(app).hexdigest()},
    }
    interpreters = {"micropython": entry, "pyodide": {"type": "py", "fetchpreload": []}}
    (site["vendor"] / "interpreters.json").write_text(json.dumps(interpreters))


def test_interpreters_keep_their_bytecode_while_py_is_as_built(site: Any) -> None:
    with_compiled_app(site)
    client = client_for(site, serve.dev_tenant_config(TENANT))
    response = client.get("/vendor/interpreters.json")
    assert response.status_code == 200
    assert response.headers["cache-control"] == serve.REVALIDATE
    assert response.json() == json.loads((site["vendor"] / "interpreters.json").read_text())
    again = client.get(
        "/vendor/interpreters.json", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304


@pytest.mark.parametrize("edit", ["changed", "removed"])
def test_an_interpreter_whose_compiled_app_is_out_of_date_gets_no_bytecode(
    site: Any, edit: str, capsys: Any
) -> None:
    """py/ is served live: once a compiled source differs from the build's, the page must run
    the sources (boot.js then keeps them in PyScript's files), not the build's bytecode."""
    with_compiled_app(site)
    if edit == "changed":
        (site["py"] / "app.py").write_text("GREETING = 'edited'\n")
    else:
        (site["py"] / "app.py").unlink()
    client = client_for(site, serve.dev_tenant_config(TENANT))
    entry = client.get("/vendor/interpreters.json").json()["micropython"]
    assert "bytecode" not in entry and "compiled" not in entry
    assert entry["fetchpreload"] == []
    assert entry["module"] == "./vendor/micropython-00000000/early.mjs"
    client.get("/vendor/interpreters.json")
    told = capsys.readouterr().err
    assert told.count("./py/app.py changed since the build") == 1  # once, not per request
