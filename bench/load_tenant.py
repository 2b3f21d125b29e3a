"""Bounded load run of the dev tenant on loopback.

Starts `python -m devtenant` on a free 127.0.0.1 port (a fresh database in a temporary
directory), then N logins as Lock makes them (`POST /co/authenticate`, then `GET /authorize`
with the login ticket, up to the 302 carrying the tokens) from C concurrent clients, each with
its own cookie jar and its own user. Counts errors, prints p50/p99 of the login latency and
writes the figures as JSON to bench/results/.

    python bench/load_tenant.py [--logins 200] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import queue
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx2  # noqa: E402

from serving import free_port  # noqa: E402

RESULTS = ROOT / "bench" / "results"
APP_ORIGIN = "http://localhost:8000"
CLIENT_ID = "pyscript-session-demo"
PASSWORD = "Load-Test-2024"


@contextmanager
def running_tenant(start_timeout: float = 30.0) -> Iterator[str]:
    """`python -m devtenant` in a subprocess; yields its base URL once uvicorn is listening."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        process = subprocess.Popen(
            [sys.executable, "-m", "devtenant", "--port", str(port), "--db", f"{tmp}/t.sqlite3"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:
            assert process.stderr is not None
            for line in process.stderr:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        try:
            deadline = time.monotonic() + start_timeout
            while True:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
                if line is None:
                    raise RuntimeError("the tenant exited before it started listening")
                if "Uvicorn running on" in line:
                    break
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=10)


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


async def one_login(http: httpx2.AsyncClient, email: str, outcome: Outcome) -> None:
    started = time.perf_counter()
    try:
        co = await http.post(
            "/co/authenticate",
            json={
                "client_id": CLIENT_ID,
                "username": email,
                "password": PASSWORD,
                "realm": "Username-Password-Authentication",
                "credential_type": "http://auth0.com/oauth/grant-type/password-realm",
            },
            headers={"Origin": APP_ORIGIN},
        )
        if co.status_code != 200:
            outcome.errors.append(f"co/authenticate {co.status_code}")
            return
        state = secrets.token_urlsafe(8)
        authorize = await http.get(
            "/authorize",
            params={
                "client_id": CLIENT_ID,
                "response_type": "token id_token",
                "redirect_uri": APP_ORIGIN + "/",
                "scope": "openid profile email",
                "state": state,
                "nonce": secrets.token_urlsafe(8),
                "login_ticket": co.json()["login_ticket"],
            },
        )
        result = dict(parse_qsl(urlsplit(authorize.headers.get("location", "")).fragment))
        if (
            authorize.status_code != 302
            or result.get("state") != state
            or not (result.get("id_token") and result.get("access_token"))
        ):
            outcome.errors.append(f"authorize {authorize.status_code}")
            return
    except httpx2.HTTPError as exc:
        outcome.errors.append(f"{type(exc).__name__}: {exc}")
        return
    outcome.latencies.append(time.perf_counter() - started)


async def client_run(base_url: str, email: str, logins: int, outcome: Outcome) -> None:
    async with httpx2.AsyncClient(base_url=base_url, timeout=60) as http:
        for _ in range(logins):
            await one_login(http, email, outcome)


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


async def load(base_url: str, logins: int, concurrency: int) -> dict[str, object]:
    emails = [f"load-{i}@example.com" for i in range(concurrency)]
    async with httpx2.AsyncClient(base_url=base_url, timeout=60) as admin:
        for email in emails:
            created = await admin.post("/_dev/users", json={"email": email, "password": PASSWORD})
            created.raise_for_status()
    shares = [
        logins // concurrency + (1 if i < logins % concurrency else 0) for i in range(concurrency)
    ]
    outcome = Outcome()
    started = time.perf_counter()
    await asyncio.gather(
        *(client_run(base_url, e, n, outcome) for e, n in zip(emails, shares, strict=True))
    )
    elapsed = time.perf_counter() - started
    ordered = sorted(outcome.latencies)
    return {
        "logins": logins,
        "concurrency": concurrency,
        "ok": len(ordered),
        "errors": len(outcome.errors),
        "error_samples": outcome.errors[:10],
        "p50_ms": round(percentile(ordered, 0.50) * 1000, 1),
        "p99_ms": round(percentile(ordered, 0.99) * 1000, 1),
        "max_ms": round((ordered[-1] if ordered else float("nan")) * 1000, 1),
        "elapsed_s": round(elapsed, 2),
        "logins_per_s": round(len(ordered) / elapsed, 1) if elapsed else None,
        "cpus": os.cpu_count(),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "python": sys.version.split()[0],
    }


def run(logins: int, concurrency: int) -> dict[str, object]:
    with running_tenant() as base_url:
        return asyncio.run(load(base_url, logins, concurrency))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--logins", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args(argv)
    result = run(args.logins, args.concurrency)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"load_tenant-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({**result, "recorded": time.strftime("%Y-%m-%dT%H:%M:%S")}, indent=2))
    print(
        f"{result['ok']}/{result['logins']} logins, {result['errors']} errors, "
        f"{result['concurrency']} clients: p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, "
        f"{result['logins_per_s']} logins/s  -> {out.relative_to(ROOT)}"
    )
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
