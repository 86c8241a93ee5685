"""Benchmark: the evaluation of every period of a portfolio, against DuckDB computing the same outputs
(lights, roll-ups, schedule lag, budget execution) from the same rows.

For each scale (1 = the seed program; N = ``bench/portfolio.py``'s N× synthetic portfolio) a fresh
database (SQLite, or the PostgreSQL one named by ``--database-url``, recreated) gets the program and
seeded reports for all 16 periods.  Then, interleaved run by run (``--repeat``, default 5; medians):

* ours: the full rebuild of the stored evaluation (``evaluate --rebuild`` from an empty store): the
  16 periods in both views (published, working), judged by ``service.evaluate_loaded`` -- the one
  audited rules path (KPI lights, forecasts, work items, budget, early warning, flags) -- and written;
* DuckDB (``evaluation_reference.py``): the same rows exported to Parquet beforehand (not timed), and
  four SQL queries computing, in both views, the KPI lights, the roll-ups, the work items' schedule lag
  and light, and the measures' budget execution and light (timed: a fresh connection each, reading the
  Parquet files, the query and fetching its rows into Python);
* checks (the run fails when they do not hold): every one of those outputs equals DuckDB's, ours read
  back from the stored rows of both views;
* incremental: one saved KPI line of 112Q3 (``save_lines``, whose refresh of the stored working view
  runs in its transaction) and the refresh alone, medians; then ``store.check`` finds no difference.

Ours does more than DuckDB (reasons as text, forecasts, early warning, flags): the ratio is an upper bound
of the cost of the rules themselves.  Wall and CPU time are printed for both sides (CPU of all threads:
DuckDB uses several), with the load average.  ``--json PATH`` writes the rows of the suite's format
(``bench/run_all.py``); with ``--scales`` also how our time grows with N against linear growth.

    python bench/bench_evaluation.py --scales 1,10 [--json rows.json]
    python bench/bench_evaluation.py --scale 100 --repeat 1 --no-incremental
    python bench/bench_evaluation.py --scales 1 --database-url postgres://postgres@127.0.0.1:5432/bench_eval

Each scale runs in its own process (``--scale N``).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import evaluation_reference as reference  # noqa: E402


def setup(scale: int, home: Path, database_url: str | None = None) -> None:
    os.environ["SIXCORE_HOME"] = str(home)
    os.environ["DATABASE_URL"] = database_url or ""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sixcore.settings")
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import django

    django.setup()
    from django.core.management import call_command
    from portfolio import build_portfolio, generate_reports

    from sixcore.plan.loader import load_program
    from sixcore.progress.models import ReportingPeriod

    call_command("migrate", verbosity=0)
    load_program()
    started = time.perf_counter()
    if scale > 1:
        build_portfolio(scale, rebuild=False)
    built = time.perf_counter()
    # The stored evaluation is left empty: the full rebuild is what is measured.
    generate_reports(list(ReportingPeriod.objects.all()), rebuild=False)
    done = time.perf_counter()
    from django.db import connection

    print(
        f"  {connection.vendor}: built the {scale}× plan in {built - started:.1f} s, "
        f"generated reports in {done - built:.1f} s",
        flush=True,
    )


def _timed(call):
    """``call()`` with its wall and CPU time (CPU of every thread of the process: DuckDB's included).

    Before each call, for either side: one full collection, then everything alive is frozen
    (``gc.freeze``), so that the harness's own objects — Django's state, the previous run's results
    kept for the checks — are not rescanned by a collection that happens to fall inside the timed
    call and makes one side's figures swing. What a call allocates itself is
    collected as usual. (``timeit`` goes further: it turns the collector off while timing.)"""
    gc.collect()
    gc.freeze()
    wall, cpu = time.perf_counter(), time.process_time()
    result = call()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def _full_rebuild():
    """``evaluate --rebuild`` from an empty store (emptied untimed before): every period, both views
    (published and working), computed and written."""
    from sixcore.evaluation import store
    from sixcore.evaluation.models import StoredResult

    StoredResult.objects.all().delete()
    return lambda: store.rebuild()


def measure(repeat: int, files: dict[str, str]) -> dict:
    """Ours and DuckDB, interleaved run by run (``repeat`` runs each); the times, and the differences
    between DuckDB's outputs and ours read back from the stored evaluation (both views)."""
    times: dict[str, list[float]] = defaultdict(list)

    def run(name: str, call):
        wall, cpu, result = _timed(call)
        times[name].append(wall)
        times[f"{name}_cpu"].append(cpu)
        return result

    sql = reference.queries(files)
    for _ in range(repeat):
        rows = {name: run(f"duck_{name}", lambda q=query: reference.duck(q)) for name, query in sql.items()}
        for unit in ("", "_cpu"):  # the reference: the four queries of this run
            times[f"duck{unit}"].append(sum(times[f"duck_{name}{unit}"][-1] for name in sql))
        run("ours", _full_rebuild())
    mine = reference.ours()
    return {
        "times": times,
        "sizes": {name: len(values) for name, values in mine.items()},
        "differences": reference.differences(mine, rows),
    }


INCREMENTAL_PERIOD, INCREMENTAL_DAY = "112Q3", (2023, 10, 5)  # inside 112Q3's reporting window


def incremental(runs: int, check: bool) -> dict:
    """One KPI line of a draft in 112Q3 saved ``runs`` times (a new value each time) through
    ``save_lines`` — the write, its change log and the refresh of the stored working view in one
    transaction — and, apart, the refresh alone (``store.refresh`` of that measure: its KPIs, budget,
    early warning and flags in 112Q3 and the five later periods, whose forecasts follow).  With
    ``check``, ``store.check`` of those periods must then find no difference."""
    from datetime import date

    from sixcore.accounts.choices import Role
    from sixcore.accounts.models import User
    from sixcore.evaluation import store
    from sixcore.evaluation.models import ResultView
    from sixcore.progress import clock
    from sixcore.progress.choices import SubmissionStatus
    from sixcore.progress.models import KPIReport, ReportingPeriod, Submission
    from sixcore.progress.services import save_lines

    period = ReportingPeriod.by_code(INCREMENTAL_PERIOD)
    later = [
        p
        for p in ReportingPeriod.objects.all()
        if (p.roc_year, p.quarter) >= (period.roc_year, period.quarter)
    ]
    submission = (
        Submission.objects.filter(period=period, status=SubmissionStatus.DRAFT, kpi_reports__isnull=False)
        .order_by("pk")
        .first()
    )
    line = (
        KPIReport.objects.filter(submission=submission).select_related("kpi__measure").order_by("pk").first()
    )
    user, _ = User.objects.get_or_create(
        username="bench_editor", defaults={"role": Role.AGENCY_EDITOR, "agency": submission.agency}
    )
    key = f"{line.kpi.measure.code}/{line.kpi.code}"
    times: dict[str, list[float]] = defaultdict(list)
    with clock.as_of(date(*INCREMENTAL_DAY)):
        for run in range(runs):
            submission.refresh_from_db()
            changes = {"kpis": {key: {"value": str(Decimal(run + 1) / 4)}}}
            wall, cpu, _ = _timed(lambda c=changes: save_lines(submission, user, submission.version, c))
            times["save"].append(wall)
            times["save_cpu"].append(cpu)
            wall, cpu, _ = _timed(
                lambda: store.refresh(period, [ResultView.WORKING], {line.kpi.measure.code}, set())
            )
            times["refresh"].append(wall)
            times["refresh_cpu"].append(cpu)
    differences = store.check(later) if check else None
    return {
        "times": times,
        "periods": len(later),
        "measure": line.kpi.measure.code,
        "differences": differences,
    }


def run_scale(
    scale: int,
    repeat: int,
    database_url: str | None = None,
    *,
    only_incremental: bool = False,
    incremental_too: bool = True,
) -> list[dict]:
    """Build, export and measure one scale; print the figures; return the rows of the suite's format."""
    import duckdb

    with tempfile.TemporaryDirectory(prefix="bench_eval_") as tmp:
        folder = Path(tmp)
        print(f"scale {scale}:", flush=True)
        setup(scale, folder, database_url)
        if only_incremental:
            from sixcore.evaluation import store
            from sixcore.progress.models import ReportingPeriod

            store.rebuild(
                [p for p in ReportingPeriod.objects.all() if p.roc_year * 4 + p.quarter >= 112 * 4 + 3]
            )
            inc = incremental(max(repeat, 5), check=scale <= 10)
            return _incremental_rows(inc, scale, repeat, database_url)
        files = reference.export(folder)
        found = measure(repeat, files)
        inc = incremental(max(repeat, 5), check=scale <= 10) if incremental_too else None
    times, sizes, differ = found["times"], found["sizes"], found["differences"]
    median = {name: statistics.median(values) for name, values in times.items()}
    load = os.getloadavg()
    parts = " + ".join(f"{name} {median[f'duck_{name}']:.3f} s" for name in reference.NAMES)
    print(
        f"  {sizes['lights']:,} KPI lights, {sizes['work_items']:,} work-item and {sizes['budget']:,} budget "
        f"results (both views); medians of {repeat} runs, ours and DuckDB {duckdb.__version__} interleaved:\n"
        f"    full rebuild (16 periods x 2 views): {median['ours']:.3f} s wall / {median['ours_cpu']:.3f} s CPU; "
        f"DuckDB {parts} = {median['duck']:.3f} s wall / {median['duck_cpu']:.3f} s CPU (all its threads); "
        f"ratio {median['ours'] / median['duck']:.2f}x wall, {median['ours_cpu'] / median['duck_cpu']:.2f}x CPU",
        flush=True,
    )
    print(f"  load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (2 cores)", flush=True)
    print(f"  differences vs DuckDB: {', '.join(f'{k} {v}' for k, v in differ.items())}", flush=True)
    if any(differ.values()):
        raise SystemExit("the two sides disagree: the figures above compare different work")
    ratio, ratio_cpu = median["ours"] / median["duck"], median["ours_cpu"] / median["duck_cpu"]
    fewer = f" (only {repeat} runs)" if repeat < 5 else ""
    lights = sizes["lights"] // 2
    return [
        *(_incremental_rows(inc, scale, repeat, database_url) if inc else []),
        {
            "what": "evaluation: full rebuild of the stored evaluation, 16 periods × 2 views (published, "
            f"working: lights, work items, budget, risks, flags), computed and written{fewer}",
            "size": f"{scale}× the seed ({lights // 16:,} KPIs × 16 periods = {lights:,} KPI lights a view)",
            "database": "postgresql" if database_url else "sqlite",
            "ours_s": round(median["ours"], 4),
            "ours_cpu_s": round(median["ours_cpu"], 4),
            "runs": repeat,
            "reference": f"four DuckDB {duckdb.__version__} queries (lights, roll-ups, work-item lag, budget "
            "execution; both views) over the same rows in Parquet",
            "reference_s": round(median["duck"], 4),
            "reference_cpu_s": round(median["duck_cpu"], 4),
            "ratio": round(ratio, 2),
            "ratio_cpu": round(ratio_cpu, 2),
            "target": "≤ 3× DuckDB (issue 18: with the stored read model)",
            "met": ratio <= 3,
            "command": command_line(scale, repeat, database_url),
        },
    ]


def _incremental_rows(inc: dict, scale: int, repeat: int, database_url: str | None) -> list[dict]:
    inc_median = {name: statistics.median(values) for name, values in inc["times"].items()}
    inc_runs = len(inc["times"]["save"])
    print(
        f"  incremental, one KPI line of measure {inc['measure']} saved in {INCREMENTAL_PERIOD} ({inc['periods']} "
        f"periods refreshed), medians of {inc_runs}: refresh {inc_median['refresh'] * 1000:.1f} ms wall / "
        f"{inc_median['refresh_cpu'] * 1000:.1f} ms CPU; the whole save (write, change log, refresh) "
        f"{inc_median['save'] * 1000:.1f} ms wall / {inc_median['save_cpu'] * 1000:.1f} ms CPU; "
        f"check: {'not run' if inc['differences'] is None else len(inc['differences'])} differences",
        flush=True,
    )
    if inc["differences"]:
        raise SystemExit("the stored evaluation differs from a recomputation after the saves")
    return [
        {
            "what": "evaluation: incremental update of the stored evaluation after one saved KPI line "
            f"(store.refresh of its measure, {INCREMENTAL_PERIOD} and the {inc['periods'] - 1} later periods)",
            "size": f"{scale}× the seed",
            "database": "postgresql" if database_url else "sqlite",
            "ours_s": round(inc_median["refresh"], 4),
            "ours_cpu_s": round(inc_median["refresh_cpu"], 4),
            "runs": inc_runs,
            "reference": "the whole save_lines (write, change log, refresh)",
            "reference_s": round(inc_median["save"], 4),
            "ratio": None,
            "target": "100× within 1.5× of 1× (growth row)",
            "met": None,
            "command": command_line(scale, repeat, database_url),
        },
    ]


def command_line(scale: int, repeat: int, database_url: str | None) -> str:
    """The command reproducing one scale's rows."""
    parts = ["python", "bench/bench_evaluation.py", "--scale", str(scale), "--repeat", str(repeat)]
    if database_url:
        parts += ["--database-url", database_url]
    return " ".join(parts)


def growth_rows(rows: list[dict], command: str) -> list[dict]:
    """How our time grows with N: t(N) against N × t(1) (linear)."""
    result = []
    updates = [row for row in rows if row["what"].startswith("evaluation: incremental")]
    sizes = [int(row["size"].split("×", 1)[0]) for row in updates]
    if 1 in sizes:
        base = updates[sizes.index(1)]["ours_s"]
        base_cpu = updates[sizes.index(1)].get("ours_cpu_s")
        for scale, row in zip(sizes, updates, strict=True):
            if scale == 1:
                continue
            cpu = row.get("ours_cpu_s")
            print(
                f"incremental: {scale}× takes {row['ours_s'] / base:.2f}× the wall time of 1×"
                + (f", {cpu / base_cpu:.2f}× the CPU time" if cpu and base_cpu else "")
                + " (target ≤ 1.5×)"
            )
            result.append(
                {
                    "what": "evaluation: growth of the incremental update with the portfolio (t(N) vs t(1))",
                    "size": f"1× → {scale}×",
                    "database": row["database"],
                    "ours_s": row["ours_s"],
                    "runs": row["runs"],
                    "reference": "the 1× time",
                    "reference_s": base,
                    "ratio": round(row["ours_s"] / base, 2),
                    "target": "≤ 1.5 (issue 18)",
                    "met": row["ours_s"] <= 1.5 * base,
                    "command": command,
                }
            )
    lights = [row for row in rows if row["what"].startswith("evaluation: full rebuild")]
    scales = [int(row["size"].split("×", 1)[0]) for row in lights]
    if 1 not in scales:
        return result
    base = lights[scales.index(1)]["ours_s"]
    for scale, row in zip(scales, lights, strict=True):
        if scale == 1:
            continue
        linear = scale * base
        print(f"growth: {scale}× takes {row['ours_s'] / base:.1f}× the time of 1× (linear: {scale}×)")
        result.append(
            {
                "what": "evaluation: growth of the full rebuild with the portfolio (t(N) vs N × t(1))",
                "size": f"1× → {scale}×",
                "database": row["database"],
                "ours_s": row["ours_s"],
                "runs": row["runs"],
                "reference": f"{scale} × the 1× time (linear growth)",
                "reference_s": round(linear, 4),
                "ratio": round(row["ours_s"] / linear, 2),
                "target": "≤ 1 (linear or better)",
                "met": row["ours_s"] <= linear,
                "command": command,
            }
        )
    return result


def write_rows(path: str | None, rows: list[dict]) -> None:
    if path:
        Path(path).write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description="the stored evaluation: full rebuild vs DuckDB, incremental")
    parser.add_argument("--scales", default=None, help="comma-separated, e.g. 1,10,100 (one process each)")
    parser.add_argument("--scale", type=int, default=1, help="1 = the seed program; N = N× synthetic")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each side, interleaved (median)")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL database named bench*, recreated")
    parser.add_argument("--json", default=None, help="write the rows of the suite's format to this file")
    parser.add_argument(
        "--only-incremental", action="store_true", help="the incremental update only (no rebuild, no DuckDB)"
    )
    parser.add_argument("--no-incremental", action="store_true", help="the full rebuild against DuckDB only")
    args = parser.parse_args()
    if args.scales:
        rows = []
        with tempfile.TemporaryDirectory(prefix="bench_eval_rows_") as tmp:
            for scale in (int(s) for s in args.scales.split(",")):
                out = Path(tmp) / f"{scale}.json"
                command = [sys.executable, __file__, "--scale", str(scale), "--json", str(out)]
                for option in ("repeat", "database_url"):
                    if getattr(args, option) is not None:
                        command += [f"--{option.replace('_', '-')}", str(getattr(args, option))]
                for flag in ("only_incremental", "no_incremental"):
                    if getattr(args, flag):
                        command.append(f"--{flag.replace('_', '-')}")
                subprocess.run(command, check=True)
                rows += json.loads(out.read_text(encoding="utf-8"))
        again = ["python", "bench/bench_evaluation.py", "--scales", args.scales]
        for option in ("repeat", "database_url"):
            if getattr(args, option) is not None:
                again += [f"--{option.replace('_', '-')}", str(getattr(args, option))]
        rows += growth_rows(rows, " ".join(again))
        write_rows(args.json, rows)
        return
    if args.database_url:
        sys.path.insert(0, str(ROOT / "bench"))
        from _db import recreate_postgres_database

        recreate_postgres_database(args.database_url)
    write_rows(
        args.json,
        run_scale(
            args.scale,
            args.repeat,
            args.database_url,
            only_incremental=args.only_incremental,
            incremental_too=not args.no_incremental,
        ),
    )


if __name__ == "__main__":
    main()
