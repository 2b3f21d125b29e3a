"""Client URLs in a config file are refused unless they can ever match what browsers send."""

from __future__ import annotations

from typing import Any

import pytest

from devtenant import TenantConfig
from devtenant.config import ConfigError


def config_with(**client: Any) -> TenantConfig:
    return TenantConfig.from_dict(
        {"clients": [{"client_id": "a", **client}]}, issuer_base="http://localhost:8001"
    )


@pytest.mark.parametrize(
    "origin",
    [
        "http://localhost:8000/",
        "http://localhost:8000/app",
        "HTTP://localhost:8000",
        "http://LocalHost:8000",
        "http://user:pw@localhost:8000",
        "http://localhost:8000?x=1",
        "http://localhost:8000#x",
        "http://localhost:notaport",
        "http://localhost:99999",
        "ftp://localhost",
        "localhost:8000",
        "http://",
        " http://localhost:8000",
    ],
)
def test_web_origins_must_be_bare_lowercase_origins(origin: str) -> None:
    with pytest.raises(ConfigError, match="web_origins"):
        config_with(web_origins=[origin])


@pytest.mark.parametrize(
    "origin", ["http://localhost:8000", "https://app.example", "http://127.0.0.1", "http://[::1]:9"]
)
def test_bare_origins_are_accepted(origin: str) -> None:
    (app,) = config_with(web_origins=[origin]).applications
    assert app.web_origins == (origin,)


@pytest.mark.parametrize("field", ["callbacks", "allowed_logout_urls"])
@pytest.mark.parametrize(
    "url",
    [
        "/callback",
        "localhost:8000/",
        "javascript:alert(1)",
        "http://localhost:8000/#done",
        "http://localhost:8000/#",
        "ftp://localhost/",
        "http:///path",
        "http://localhost:bad/",
        "http://localhost:8000/ cb",
    ],
)
def test_callbacks_and_logout_urls_must_be_absolute_http_urls_without_fragment(
    field: str, url: str
) -> None:
    with pytest.raises(ConfigError, match=field):
        config_with(**{field: [url]})


@pytest.mark.parametrize("field", ["callbacks", "allowed_logout_urls"])
def test_absolute_callbacks_and_logout_urls_are_accepted(field: str) -> None:
    urls = ["http://localhost:8000/", "https://app.example/cb?x=1", "http://localhost:8000"]
    (app,) = config_with(**{field: urls}).applications
    assert getattr(app, field) == tuple(urls)
