"""bench/run_all.py's pure parts: table rendering, the generated block replaced with the rest of
docs/PERFORMANCE.md kept, merging with a previous run, and peak RSS of a child via os.wait4."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import run_all  # noqa: E402
from _db import command_line  # noqa: E402

INFO = {
    "cores": 2,
    "cpu": "AMD EPYC",
    "ram_gib": 24.0,
    "python": "3.11.7",
    "sqlite": "3.40.1",
    "postgresql": "15.8",
    "load_average": [1.5, 1.0, 0.5],
    "date": "2026-11-26 19:00 UTC",
    "options": " --quick",
}


def timing_row(**changes) -> dict:
    row = {
        "what": "plan load: read + first load",
        "size": "seed",
        "database": "sqlite",
        "ours_s": 0.84,
        "runs": 5,
        "reference": "DuckDB",
        "reference_s": 0.2,
        "ratio": 4.2,
        "target": "< 5 s",
        "met": True,
        "command": "python bench/bench_plan_load.py --repeat 5",
        "bench": "plan_load",
        "peak_rss_mb": 64.2,
    }
    return {**row, **changes}


def test_timing_table_has_every_column_and_escapes_pipes():
    table = run_all.render_tables([timing_row(what="a | b", met=False, ratio=None)])
    header, rule, line = table.splitlines()
    assert header.split("|")[1:-1] == [
        f" {c} "
        for c in (
            "what",
            "size",
            "database",
            "ours",
            "reference",
            "ratio",
            "target",
            "met",
            "peak RSS",
            "command",
        )
    ]
    assert line.count(" | ") == 9  # ten cells, the pipe of the label escaped
    assert "a \\| b" in line and "0.84 s (median of 5)" in line and "DuckDB 0.20 s" in line
    assert "✘" in line and "64 MB" in line and "`python bench/bench_plan_load.py --repeat 5`" in line


def test_web_and_query_rows_get_their_own_tables():
    web = timing_row(what="web: dashboard", rps=20.0, reference_rps=1000.0, rps_ratio=0.02)
    web.update(p50_ms=50.0, p95_ms=120.5, p99_ms=150.0, met=False)
    queries = timing_row(what="plan overview", queries_n1=11, queries_n10=12, met=False, ours_s=None)
    text = run_all.render_tables([timing_row(), web, queries])
    assert (
        "| web: dashboard | seed | sqlite | 20.0 | 1000.0 | 0.02 | 50.0 ms | 120.5 ms | 150.0 ms | — |"
        in text
    )
    assert "| plan overview | sqlite | 11 | 12 | ✘ |" in text
    assert text.count("| what | size | database | ours |") == 1  # web and query rows not in the timings


def test_block_replaced_and_everything_else_kept():
    before = "# Performance\n\nintro\n"
    after = "\n## Hand-written\nkept | as is\n"
    old = f"{before}{run_all.BEGIN}\nold table\n{run_all.END}{after}"
    block = run_all.render_block([timing_row()], [], INFO)
    new = run_all.replace_block(old, block)
    assert new.startswith(before) and new.endswith(after)
    assert "old table" not in new and "0.84 s" in new and "load average at start 1.50, 1.00, 0.50" in new
    assert run_all.replace_block(new, block) == new  # idempotent


def test_first_run_inserts_the_block_after_the_title():
    text = "# Performance\n\n## Existing section\nbody\n"
    new = run_all.replace_block(text, run_all.render_block([], [], INFO))
    assert new.startswith("# Performance\n\n" + run_all.BEGIN)
    assert new.endswith("## Existing section\nbody\n")


def test_stored_rows_survive_and_only_rerun_benches_are_replaced():
    text = run_all.replace_block(
        "# Performance\n",
        run_all.render_block(
            [timing_row(), timing_row(bench="web", what="old web row")],
            [{"name": "web", "status": "ok"}],
            INFO,
        ),
    )
    previous = run_all.read_block_data(text)
    assert previous["rows"][0]["command"] == "python bench/bench_plan_load.py --repeat 5"  # "--" round-trips
    outcome = run_all.Outcome(
        "web", "python bench/bench_web.py", [timing_row(bench="web", what="new")], 90, 1, 2, "ok"
    )
    rows, runs = run_all.merge(previous, [outcome], INFO)
    assert [r["what"] for r in rows] == ["plan load: read + first load", "new"]
    assert [r["name"] for r in runs] == ["web"] and runs[0]["peak_rss_mb"] == 90


def test_wait4_reports_the_peak_rss_of_the_child():
    # Linux counts the forking process's resident high-water mark into a forked child's ru_maxrss, so
    # the runner must be a small process (as `make bench` runs it): measure from a fresh interpreter,
    # not from this (large) test process.
    probe = textwrap.dedent(
        """
        import json, sys
        from bench import run_all
        small = [sys.executable, "-c", "pass"]
        big = [sys.executable, "-c", "b = bytearray(200 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096])"]
        print(json.dumps([run_all.run_process(small), run_all.run_process(big),
                          run_all.run_process([sys.executable, "-c", "raise SystemExit(3)"])]))
        """
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    (code, small_mb, _), (code_big, big_mb, cpu), (code_exit, _, _) = json.loads(out)
    assert code == code_big == 0
    assert big_mb > 200 > small_mb > 1  # the child's own peak, not the runner's
    assert cpu >= 0
    assert code_exit == 3


def test_command_line_drops_the_json_option():
    argv = ["/work/x/bench/bench_web.py", "--repeat", "5", "--json", "rows.json", "--seconds", "3"]
    assert command_line(argv) == "python bench/bench_web.py --repeat 5 --seconds 3"
    assert command_line(["bench/a.py", "--json=x.json"]) == "python bench/a.py"
