"""Two builds of the app against each other: alternated warm visits, one run.

    python bench/ab.py A B [--interpreter NAME] [--visitor logged-in|logged-out] [--visits N]
                           [--cache warm|cold] [--link loopback|emulated] [--profiles K]

A and B are checkouts of this project (each with web/, py/ and a built dist/vendor/), e.g.
`git worktree add /tmp/before HEAD~1 && ln -s "$PWD/dist" /tmp/before/dist` when only web/ or
py/ differ. Both are served side by side, with one dev tenant, from a process of their own.
Each build gets `--profiles` profiles: on each a first visit and a login through Lock. Then the
warm visits, each in a new browser process on the next of its build's profiles, alternating
A B B A ... so that the machine's drift hits both alike (`--cache cold`: each visit on a new
profile, seeded with the session a login stored). Several profiles, because one profile's
caches can keep a build faster or slower on all its visits (V8 caches the Pyodide wasm's code
as far as it had been optimised when the entry was written). Prints each build's median and
the paired differences. See bench/README.md.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

import serve  # noqa: E402
from bench.run import (  # noqa: E402
    LINKS,
    Profile,
    ServerProcess,
    bench_tenant_config,
    keep_snapshot,
    login,
    serve_apps,
    stored_session,
    visit,
)
from devtenant import create_app  # noqa: E402
from devtenant.config import SeedUser  # noqa: E402
from serving import chromium_executable, free_port  # noqa: E402

VISITORS = ("logged-in", "logged-out")


def serve_builds(roots: list[str], ports: list[int], tenant_port: int, interpreter: str) -> None:
    """The server process: the tenant, and each build's site on its own port."""
    tenant_url = f"http://localhost:{tenant_port}"
    pages = [f"http://localhost:{port}/" for port in ports]
    tenant = create_app(bench_tenant_config(tenant_url, pages[0].rstrip("/"), *pages[1:]))
    config = serve.dev_tenant_config(tenant_url, interpreter=interpreter)
    sites = [
        (
            serve.create_site_app(
                config, Path(r) / "web", Path(r) / "py", Path(r) / "dist" / "vendor"
            ),
            p,
        )
        for r, p in zip(roots, ports, strict=True)
    ]
    serve_apps([(tenant, tenant_port), *sites])


def first_visit(
    profile: Profile, origin: str, visitor: str, user: SeedUser, interpreter: str
) -> tuple[dict[str, str], str | None]:
    """A profile's first visit, and its login when the visitor is logged in: (seed, error)."""
    with profile.open(origin) as (page, net, console):
        first = visit(page, net, origin + "/", console)
        if first.error:
            return {}, f"first visit failed: {first.error}"
        if visitor != "logged-in":
            return {}, None
        _, error = login(page, user.email, user.password)
        if error:
            return {}, f"login failed: {error}"
        error = keep_snapshot(page, interpreter)
        if error:
            return {}, error
        return stored_session(page), None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a", type=Path, help="checkout A (the one before)")
    parser.add_argument("b", type=Path, help="checkout B (the one after)")
    parser.add_argument("--interpreter", default="micropython", help="auth0-config.json's")
    parser.add_argument("--visitor", choices=VISITORS, default="logged-in")
    parser.add_argument("--visits", type=int, default=10, help="warm visits per build")
    parser.add_argument(
        "--cache", choices=("warm", "cold"), default="warm", help="cold: a new profile per visit"
    )
    parser.add_argument("--link", choices=[link.key for link in LINKS], default="loopback")
    parser.add_argument("--profiles", type=int, default=3, help="profiles per build")
    args = parser.parse_args(argv)
    if args.profiles < 1 or args.visits < 1:
        parser.error("--profiles and --visits take a number from 1 up")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    roots = [str(args.a.resolve()), str(args.b.resolve())]
    for root in roots:
        if not (Path(root) / "dist" / "vendor" / "interpreters.json").is_file():
            print(
                f"{root}: no dist/vendor/ (build it, or link another checkout's)", file=sys.stderr
            )
            return 2
    link = next(link for link in LINKS if link.key == args.link)
    ports, tenant_port = [free_port(), free_port()], free_port()
    origins = [f"http://localhost:{port}" for port in ports]
    servers = ServerProcess(
        serve_builds,
        (roots, ports, tenant_port, args.interpreter),
        [f"http://localhost:{tenant_port}", *origins],
    )
    user = bench_tenant_config(f"http://localhost:{tenant_port}", origins[0]).users[0]
    times: list[list[float | None]] = [[], []]  # one per visit; None: it failed
    servers.start()
    try:
        with sync_playwright() as pw, tempfile.TemporaryDirectory() as tmp:
            executable = chromium_executable(pw)
            profiles: list[list[tuple[Profile, dict[str, str]]]] = [[], []]
            for k in range(args.profiles):
                for arm, origin in enumerate(origins):
                    profile = Profile(pw, executable, Path(tmp) / f"{'ab'[arm]}{k}", link)
                    seed, error = first_visit(profile, origin, args.visitor, user, args.interpreter)
                    if error:
                        print(f"{'AB'[arm]}: {error}", file=sys.stderr)
                        return 1
                    profiles[arm].append((profile, seed))
            for i in range(args.visits):
                for arm in (0, 1) if i % 2 == 0 else (1, 0):
                    profile, seed = profiles[arm][i % args.profiles]
                    origin = origins[arm]
                    if args.cache == "cold":  # a new profile each time: nothing in its caches
                        profile = Profile(pw, executable, Path(tmp) / f"{'ab'[arm]}-{i}", link)
                    with profile.open(origin, seed=seed) as (page, net, console):
                        result = visit(page, net, origin + "/", console)
                    if args.cache == "cold":
                        shutil.rmtree(profile.path, ignore_errors=True)
                    ok = result.ok(args.visitor)
                    if not ok:
                        print(f"{'AB'[arm]}: visit {i + 1}: {result.error or result.state}")
                    times[arm].append(result.ms if ok else None)
    finally:
        servers.stop()

    what = f"{args.interpreter}, {args.cache} {args.visitor}, {args.link}"
    print(f"{what}, ms to a decided session:")
    for arm, root in enumerate(roots):
        ms = [t for t in times[arm] if t is not None]
        if ms:
            shown = " ".join(f"{t:.0f}" for t in ms)
            print(f"  {'AB'[arm]} median {statistics.median(ms):6.0f}  min {min(ms):6.0f}  {root}")
            print(f"    {shown}")
    paired = [b - a for a, b in zip(*times, strict=True) if a is not None and b is not None]
    if not paired:
        print("no pair of visits decided: nothing to compare", file=sys.stderr)
        return 1
    print(f"  B - A, paired: median {statistics.median(paired):+.0f} ms (N={len(paired)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
