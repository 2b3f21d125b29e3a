#!/usr/bin/env bash
# Installs what the app and its tests need, idempotently: Python packages, pinned front-end
# assets (npm ci + build), and with --browser a Chromium for the end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# A Python the OS manages (Debian's /usr/bin/python3) refuses pip installs: say what to do.
if python3 -c 'import os, pathlib, sys, sysconfig
marker = pathlib.Path(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")
allowed = os.environ.get("PIP_BREAK_SYSTEM_PACKAGES") or sys.prefix != sys.base_prefix
sys.exit(0 if marker.exists() and not allowed else 1)'; then
  echo "python3 is managed by the OS: create a virtual environment first" >&2
  echo "  (python3 -m venv .venv && . .venv/bin/activate), then run this again." >&2
  exit 1
fi
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'; then
  echo "Node.js 20 or newer is needed (found $(node --version))." >&2
  exit 1
fi

python3 -m pip install --quiet --disable-pip-version-check -e '.[dev]'

# npm ci only when package-lock.json changed since the last install.
if ! [ node_modules/.installed-from -nt package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules/.installed-from
fi
npm run --silent build

if [ "${1:-}" = "--browser" ]; then
  # Playwright's own Chromium when it has one; otherwise Debian's (it cannot download here).
  if ! python3 -c 'import pathlib,sys; from playwright.sync_api import sync_playwright
with sync_playwright() as p: sys.exit(0 if pathlib.Path(p.chromium.executable_path).exists() else 1)' 2>/dev/null \
     && ! command -v chromium >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
      echo "No Chromium found: install Debian's 'chromium' package (sudo apt-get install chromium)." >&2
      exit 1
    fi
  fi
fi
