"""How the tests and the benchmark launch Chromium (serving.CHROMIUM_ARGS)."""

from __future__ import annotations

import re
from pathlib import Path

import playwright

import serving

DRIVER = Path(playwright.__file__).parent / "driver" / "package" / "lib"


def playwright_disabled_features() -> set[str]:
    """The features the installed Playwright turns off with its own --disable-features."""
    for source in sorted(DRIVER.rglob("*.js")):
        text = source.read_text(encoding="utf-8", errors="replace")
        start = text.find("disabledFeatures = [")
        if start >= 0:
            body = text[start : text.index("]", start)]
            return set(re.findall(r'"([^"]+)"', re.sub(r"//[^\n]*", "", body)))
    raise AssertionError(f"Playwright's list of disabled features was not found under {DRIVER}")


def disable_features_switches() -> list[str]:
    return [arg for arg in serving.CHROMIUM_ARGS if arg.startswith("--disable-features=")]


def test_one_disable_features_switch_keeps_playwrights_own_list() -> None:
    # Chromium keeps only the last --disable-features: ours replaces Playwright's.
    [switch] = disable_features_switches()
    ours = set(switch.removeprefix("--disable-features=").split(","))
    missing = playwright_disabled_features() - ours
    assert not missing, f"add to serving.PLAYWRIGHT_DISABLED_FEATURES: {sorted(missing)}"


def test_the_browser_windows_own_pages_are_turned_off() -> None:
    [switch] = disable_features_switches()
    assert {"PreloadTopChromeWebUI", "WebUIOmniboxPopup"} <= set(switch.split("=", 1)[1].split(","))
