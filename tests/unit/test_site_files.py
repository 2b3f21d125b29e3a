"""Static checks of web/: the page contract, no inline code, configs that ship every module."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from unit_support import PAGE_IDS

ROOT = Path(__file__).resolve().parents[2]
WEB, PY = ROOT / "web", ROOT / "py"
CONTRACT_IDS = set(PAGE_IDS)  # the elements py/ looks up, as the unit tests' fake page has them


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline_scripts = 0
        self._in_script_without_src = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        self._in_script_without_src = tag == "script" and "src" not in attributes

    def handle_data(self, data: str) -> None:
        if self._in_script_without_src and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        self._in_script_without_src = False

    def by_id(self, element_id: str) -> tuple[str, dict[str, str | None]]:
        return next(t for t in self.tags if t[1].get("id") == element_id)


@pytest.fixture(scope="module")
def page() -> Page:
    parser = Page()
    parser.feed((WEB / "index.html").read_text())
    return parser


def test_page_contract_ids_and_initial_state(page: Page) -> None:
    ids = {attrs["id"] for _, attrs in page.tags if attrs.get("id")}
    assert ids >= CONTRACT_IDS
    body = next(attrs for tag, attrs in page.tags if tag == "body")
    assert body["data-session"] == "loading"
    assert page.by_id("profile-picture")[0] == "img"
    assert page.by_id("notice")[1]["role"] == "status"
    assert {page.by_id(i)[0] for i in ("btn-login", "btn-logout", "btn-retry")} == {"button"}


def test_no_inline_code_or_styles(page: Page) -> None:
    assert page.inline_scripts == 0
    assert not [tag for tag, _ in page.tags if tag == "style"]
    assert not [attrs for _, attrs in page.tags if "style" in attrs or "onclick" in attrs]
    assert not [attrs for _, attrs in page.tags if any(k.startswith("on") for k in attrs)]


def test_scripts_and_styles_are_local(page: Page) -> None:
    urls = [attrs.get("src") or attrs.get("href") for tag, attrs in page.tags]
    urls = [u for u in urls if u]
    assert urls and all(u.startswith("./") or u == "data:," for u in urls), urls
    scripts = [attrs["src"] for tag, attrs in page.tags if tag == "script"]
    assert scripts == ["./boot.js"]  # boot.js runs the preloaded ones, once Python is starting
    preloaded = [
        attrs["href"]
        for tag, attrs in page.tags
        if tag == "link" and attrs.get("rel") == "preload" and attrs.get("as") == "script"
    ]
    # Lock and PyScript's start; Lockr: by boot.js, only where configured
    assert preloaded == ["./vendor/lock/lock.js", "./vendor/pyscript/core.js"]
    session_scripts = [
        attrs["href"]
        for tag, attrs in page.tags
        if tag == "link" and "data-session-script" in attrs
    ]
    assert session_scripts == ["./vendor/lock/lock.js"]  # what sessionScripts() runs


def test_csp_meta_has_the_minimum_pyscript_needs(page: Page) -> None:
    meta = next(
        attrs
        for tag, attrs in page.tags
        if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"
    )
    directives = {
        part.split()[0]: part.split()[1:] for part in meta["content"].split(";") if part.strip()
    }
    assert directives["default-src"] == ["'self'"]
    assert {"'self'", "'wasm-unsafe-eval'", "'unsafe-eval'"} <= set(directives["script-src"])
    assert "'unsafe-inline'" not in directives["script-src"]
    assert {"'self'", "data:"} <= set(directives["img-src"])
    assert "'self'" in directives["connect-src"]
    assert "frame-src" in directives


def test_the_pyscript_config_ships_every_module_and_no_packages() -> None:
    config = json.loads((WEB / "pyscript.json").read_text())
    assert "interpreter" not in config  # boot.js adds the one auth0-config.json names
    assert "packages" not in config  # no micropip, no wheels to fetch
    files = config["files"]
    base = files["{PY}"]
    shipped = {src.replace("{PY}", base) for src in files if src != "{PY}"}
    modules = {f"./py/{p.name}" for p in PY.glob("*.py") if p.name != "main.py"}
    assert shipped == modules


def test_boot_script_names_local_interpreters_and_pyscript() -> None:
    boot = (WEB / "boot.js").read_text()
    for needle in (
        "./pyscript.json",
        "./vendor/interpreters.json",
        "./vendor/pyscript/core.js",
        "./py/main.py",
    ):
        assert needle in boot
    assert not re.search(r"https?://", boot)
    assert "innerHTML" not in boot


def test_python_never_writes_markup() -> None:
    for path in PY.glob("*.py"):
        assert "innerHTML" not in path.read_text().replace("never innerHTML", ""), path.name
