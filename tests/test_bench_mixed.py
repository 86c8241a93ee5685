"""bench/bench_mixed.py's pure parts: the stale-read check, percentiles, and the rows it hands to
run_all (409 conflicts apart from errors, the target judged at 10× only)."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import bench_mixed  # noqa: E402
import run_all  # noqa: E402


def test_a_read_older_than_a_write_answered_before_it_started_is_stale():
    writes = [(7, 3, 10.0), (7, 4, 12.0), (8, 9, 11.0)]
    reads = [
        (7, 11.0, 3),  # after version 3 was answered: fine
        (7, 12.5, 3),  # after version 4 was answered: stale
        (7, 11.9, 3),  # version 4 not answered yet: fine
        (8, 10.5, 1),  # before submission 8's write: fine
        (9, 99.0, 1),  # never written: fine
    ]
    assert bench_mixed.stale_reads(reads, writes) == [(7, 12.5, 3, 4)]


def test_a_write_answered_with_a_lower_version_does_not_lower_the_floor():
    # Two writes answered out of order: the floor is the highest version answered so far.
    writes = [(1, 6, 5.0), (1, 5, 6.0)]
    assert bench_mixed.stale_reads([(1, 7.0, 5)], writes) == [(1, 7.0, 5, 6)]
    assert bench_mixed.stale_reads([(1, 7.0, 6)], writes) == []


def test_percentile_is_the_nearest_rank():
    values = [float(i) for i in range(1, 101)]
    assert bench_mixed.percentile(values, 50) == 50.0
    assert bench_mixed.percentile(values, 95) == 95.0
    assert bench_mixed.percentile(values, 99) == 99.0
    assert bench_mixed.percentile([3.0], 99) == 3.0


def plan() -> dict:
    return {
        "revision": 1,
        "submissions": [{"id": 1}],
        "reads": [asdict(k) for k in bench_mixed.read_kinds("/dashboard/measures/1.2/kpis/1.2.2/")],
        "writes": [asdict(k) for k in bench_mixed.WRITES],
    }


def records(read_status: int = 200) -> dict:
    spans = {
        "warmup": (0.0, 1.0),
        "hello_before": (1.0, 2.0),
        "mix": (2.0, 12.0),
        "hello_after": (12.0, 13.0),
    }
    requests = [("warmup", "dashboard", 0.1, 0.5, 500)]  # not counted
    requests += [("hello_before", "hello", 1.0 + i / 100, 0.005, 200) for i in range(90)]
    requests += [("hello_after", "hello", 12.0 + i / 100, 0.005, 200) for i in range(90)]
    requests += [("mix", "dashboard", 2.0 + i / 10, 0.05, read_status) for i in range(50)]
    requests += [("mix", "save", 3.0, 0.02, 200), ("mix", "save", 3.1, 0.02, 409)]
    requests += [("mix", "approve", 11.95, 0.1, 200)]  # answered after the span: no rate
    return {
        "requests": requests,
        "reads": [(1, 5.0, 2)],
        "writes": [(1, 2, 3.02)],
        "broken": [],
    }, spans


def test_rows_count_conflicts_apart_and_judge_the_target_at_10x_only():
    recs, spans = records()
    rows, totals = bench_mixed.summarise(plan(), recs, spans, cpu_mix=0.5, scale=10)
    by_key = {r["what"].split(" `")[0]: r for r in rows}
    hello = by_key["mixed: hello-world view alone (the ceiling)"]
    assert hello["requests"] == 180 and hello["rps"] == 90.0 and hello["met"] is None
    dashboard = by_key["mixed: public dashboard"]
    assert dashboard["requests"] == 50 and dashboard["rps"] == 5.0 and dashboard["reference_rps"] == 90.0
    assert dashboard["p95_ms"] == 50.0 and dashboard["met"] is True
    save = next(r for r in rows if r["what"].startswith("mixed: officer saves a KPI value"))
    assert save["conflicts"] == 1 and save["errors"] == 0 and "1 × 409 conflict" in save["what"]
    assert totals["errors"] == 0 and totals["conflicts"] == 1 and totals["stale"] == []
    assert rows[-1]["met"] is True and rows[-1]["stale_reads"] == 0
    approve = next(r for r in rows if r["what"].startswith("mixed: NDC approves"))
    assert approve["requests"] == 1 and approve["rps"] == 0.0 and approve["rps_ratio"] is None
    assert rows[-1]["worker_cpu_ms_per_request"] == 9.43  # 0.5 s over 53 requests
    assert "mixed: public dashboard" in run_all.render_tables(rows)  # the suite's web table takes them

    at_1x, _ = bench_mixed.summarise(plan(), recs, spans, cpu_mix=0.5, scale=1)
    assert all(r["target"] is None and r["met"] is None for r in at_1x)


def test_server_errors_and_stale_reads_fail_the_target():
    recs, spans = records(read_status=502)
    recs["reads"].append((1, 4.0, 1))  # version 2 was answered at 3.02
    rows, totals = bench_mixed.summarise(plan(), recs, spans, cpu_mix=0.5, scale=10)
    assert totals["errors"] == 50 and len(totals["stale"]) == 1
    assert rows[-1]["met"] is False and rows[-1]["stale_reads"] == 1


def test_one_database_per_scale():
    url = "postgres://postgres@127.0.0.1:5432/bench_mixed_sixcore"
    assert bench_mixed.database_for(url, 10) == "postgres://postgres@127.0.0.1:5432/bench_mixed_sixcore_10x"
