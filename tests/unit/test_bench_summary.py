"""bench/run.py's summary: medians per row, the ratios in the table, the issue's targets."""

from __future__ import annotations

from bench.run import (
    VARIANTS,
    VISITS,
    Round,
    Visit,
    render,
    render_targets,
    same_downloads,
    summarize,
    targets,
)


def rounds_with(ms: dict[str, dict[str, list[float]]], link: str = "loopback") -> list[Round]:
    """Rounds where variant -> visit -> one time per round."""
    out = []
    for variant, visits in ms.items():
        runs = max(len(times) for times in visits.values())
        for run in range(runs):
            r = Round(variant, link, run, login_ms=1000.0 + run)
            for name, times in visits.items():
                r.visits[name] = Visit(ms=times[run], state="x", received=2_000_000)
            out.append(r)
    return out


def every_visit(times: list[float]) -> dict[str, list[float]]:
    return {name: times for name in VISITS}


def test_medians_leave_failed_visits_out() -> None:
    rounds = rounds_with({"pyodide": every_visit([3000.0, 1000.0, 2000.0])})
    rounds[1].visits["warm/logged-in"] = Visit(error="page error: boom")

    table = summarize(rounds)

    assert table["loopback/cold/logged-out"]["pyodide"] == {"median": 2000.0, "n": 3}
    assert table["loopback/warm/logged-in"]["pyodide"] == {"median": 2500.0, "n": 2}
    assert table["loopback/login"]["pyodide"] == {"median": 1001.0, "n": 3}
    assert table["bytes/warm/logged-in"]["pyodide"]["n"] == 2


def test_bytes_are_counted_on_loopback_only() -> None:
    table = summarize(rounds_with({"js": every_visit([100.0])}, link="emulated"))

    assert "emulated/warm/logged-out" in table
    assert not [metric for metric in table if metric.startswith("bytes/")]


def test_table_shows_each_page_against_stock_and_js() -> None:
    table = summarize(
        rounds_with(
            {
                "pyodide": every_visit([1000.0]),
                "stock": every_visit([4000.0]),
                "micropython": every_visit([500.0]),
                "js": every_visit([250.0]),
            }
        )
    )

    text = render(table, list(VARIANTS))
    header = text.splitlines()[0]
    row = next(line for line in text.splitlines() if line.startswith("| warm logged-in, loopback"))

    assert header.count("×stock") == 3 and header.count("×js") == 3
    # Pyodide tuned: 1.00 s, 0.25 of stock, 4.00 of js; ...; MicroPython 0.50 s, 2.00 of js.
    assert "| 1.00 s | 0.25 | 4.00 |" in row
    assert "| 0.50 s | 0.12 | 2.00 |" in row
    assert "| 2.00 |" in text.splitlines()[-1]  # MB received


def test_targets_are_judged_on_the_worst_ratio_of_their_rows() -> None:
    fast = every_visit([1000.0])
    slow_cold = {**fast, "cold/logged-in": [1900.0]}
    table = summarize(
        rounds_with(
            {"pyodide": fast, "snapshot": every_visit([1100.0]), "stock": every_visit([3100.0])}
        )
        + rounds_with({"pyodide": slow_cold, "stock": every_visit([4000.0])}, link="emulated")
        + rounds_with({"micropython": every_visit([400.0]), "js": every_visit([200.0])})
    )

    warm, snapshot, cold, micropython = targets(table)

    assert warm["worst"] == 1000 / 3100 and warm["met"] is True
    assert snapshot["worst"] == 1100 / 3100 and snapshot["met"] is False
    assert cold["worst"] == 1900 / 4000 and cold["met"] is False  # cold logged-out: 0.25
    assert micropython["worst"] == 2.0 and micropython["met"] is True  # the limit is inclusive
    assert render_targets([warm, cold]).splitlines() == [
        f"- {warm['target']}: 0.32 met",
        f"- {cold['target']}: 0.47 MISSED",
    ]


def test_a_target_without_its_pages_is_not_measured() -> None:
    table = summarize(rounds_with({"micropython": every_visit([400.0])}))

    checks = targets(table)

    assert [c["met"] for c in checks] == [None, None, None, None]
    assert render_targets(checks).count("not measured") == 4


def test_pages_whose_first_visits_fetch_the_same_files_are_flagged_unless_expected() -> None:
    """The snapshot page fetches tuned Pyodide's files until it has decided; any other two
    Python pages with the same downloads mean the interpreter switch did not happen."""
    tuned = ["/vendor/pyodide-fast-1/fast.mjs"]

    def first_visit(variant: str, paths: list[str]) -> Round:
        r = Round(variant, "loopback", 1)
        r.visits["cold/logged-out"] = Visit(ms=1.0, state="logged-out", paths=paths)
        return r

    rounds = [first_visit("pyodide", tuned), first_visit("snapshot", tuned)]
    assert same_downloads(rounds) == []
    assert same_downloads([*rounds, first_visit("micropython", tuned)]) == [
        "pyodide and micropython"
    ]
