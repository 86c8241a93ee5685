"""Benchmark: the KPI lights of every period of a portfolio, against DuckDB computing the same lights.

For each scale (1 = the seed program; N = ``bench/portfolio.py``'s N× synthetic portfolio) a fresh
database (SQLite, or the PostgreSQL one named by ``--database-url``, recreated) gets the program and
seeded reports for all 16 periods.  Then, interleaved run by run:

* ours: ``service.evaluate_kpi_lights`` for the 16 periods, from the database (the queries and the
  conversion of the rows included), i.e. the same work as the DuckDB query;
* DuckDB: the same rows (annual targets of the revision in force, KPI report lines with the agency
  rank that decides which actual counts) exported to Parquet, and one SQL query computing expected
  values, achievement and lights for the 16 periods (timed: connection + the query over the Parquet
  files);
* separately, the whole dashboard evaluation: ``service.evaluate_period`` for each of the 16 periods
  (KPIs, forecasts, work items, budget, roll-ups, early warning, flags);
* checks: DuckDB, ``evaluate_kpi_lights`` and ``evaluate_period`` give the same light for every KPI
  and period.

    python bench/bench_evaluation.py --scales 1,10,100            # medians of 5 runs (scale 1), 3 (others)
    python bench/bench_evaluation.py --scales 1 --database-url postgres://postgres@127.0.0.1:5432/bench_eval

Each scale runs in its own process (``--scale N``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LIGHT_SQL = """
WITH t AS (SELECT * FROM read_parquet('{targets}')),
p AS (SELECT * FROM read_parquet('{periods}')),
r AS (
  SELECT * FROM read_parquet('{reports}') WHERE value IS NOT NULL OR done IS NOT NULL
  QUALIFY row_number() OVER (PARTITION BY kpi, roc_year, quarter ORDER BY rank) = 1
),
prev AS (  -- C0: the latest earlier cumulative target (0 before the first)
  SELECT a.kpi, a.year,
         coalesce((SELECT b.lower FROM t b WHERE b.kpi = a.kpi AND b.year < a.year AND b.kind = 'cumulative'
                   AND b.lower IS NOT NULL ORDER BY b.year DESC LIMIT 1), 0) AS c0
  FROM t a
),
e AS (
  SELECT t.kpi, p.roc_year, p.quarter, t.kind,
    CASE
      WHEN t.kind = 'milestone' THEN CASE WHEN p.quarter = 4 AND p.roc_year >= coalesce(t.by_year, p.roc_year) THEN 1 END
      WHEN t.lower IS NULL THEN NULL
      WHEN t.kind = 'per_period' THEN t.lower * p.quarter / 4
      ELSE prev.c0 + (t.lower - prev.c0) * p.quarter / 4
    END AS expected
  FROM p JOIN t ON t.year = p.roc_year JOIN prev ON prev.kpi = t.kpi AND prev.year = t.year
),
j AS (
  SELECT e.*, r.value, r.done,
    CASE WHEN e.kind = 'milestone' THEN NULL
         WHEN r.value IS NULL OR e.expected IS NULL OR e.expected <= 0 THEN NULL
         ELSE round(CAST(r.value AS DECIMAL(38, 12)) / CAST(e.expected AS DECIMAL(38, 12)), 4) END AS achievement
  FROM e LEFT JOIN r ON r.kpi = e.kpi AND r.roc_year = e.roc_year AND r.quarter = e.quarter
)
SELECT kpi, roc_year, quarter,
  CASE
    WHEN kind = 'milestone' THEN CASE WHEN done OR value > 0 THEN 'green'
                                      WHEN (done = false OR value = 0) AND expected = 1 THEN 'red' ELSE 'white' END
    WHEN achievement IS NULL THEN 'white'
    WHEN achievement >= 1.00 THEN 'green'
    WHEN achievement >= 0.80 THEN 'yellow'
    ELSE 'red'
  END AS light
FROM j
"""


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
        build_portfolio(scale)
    built = time.perf_counter()
    generate_reports(list(ReportingPeriod.objects.all()))
    done = time.perf_counter()
    from django.db import connection

    print(
        f"  {connection.vendor}: built the {scale}× plan in {built - started:.1f} s, "
        f"generated reports in {done - built:.1f} s",
        flush=True,
    )


def export(folder: Path) -> dict[str, str]:
    """The rows DuckDB needs, to Parquet: targets of the revision in force, periods, report lines."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from sixcore.plan import models as plan
    from sixcore.progress.models import KPIReport, ReportingPeriod
    from sixcore.progress.services import program_in_force

    periods = list(ReportingPeriod.objects.all())
    program = program_in_force(periods[-1])
    assert all(program_in_force(p).pk == program.pk for p in periods)
    rows = {"kpi": [], "year": [], "kind": [], "lower": [], "by_year": []}
    for a in plan.AnnualTarget.objects.filter(kpi__measure__industry__program=program).values(
        "kpi__measure__code", "kpi__code", "year", "target"
    ):
        target = a["target"] or {}
        low = target.get("min") if target.get("min") is not None else target.get("value")
        if low is None:
            low = target.get("max")
        rows["kpi"].append(f"{a['kpi__measure__code']}/{a['kpi__code']}")
        rows["year"].append(a["year"])
        rows["kind"].append(target.get("kind"))
        rows["lower"].append(None if low is None else float(low))
        rows["by_year"].append(target.get("by_year"))
    lead = {}
    for link in (
        plan.KPIAgency.objects.filter(kpi__measure__industry__program=program)
        .order_by("order")
        .values("kpi__measure__code", "kpi__code", "agency_id", "agency__parent_id")
    ):
        lead.setdefault(
            f"{link['kpi__measure__code']}/{link['kpi__code']}",
            link["agency__parent_id"] or link["agency_id"],
        )
    reports = {"kpi": [], "roc_year": [], "quarter": [], "rank": [], "value": [], "done": []}
    for r in KPIReport.objects.order_by("submission__agency__order", "submission__agency_id").values_list(
        "kpi__measure__code",
        "kpi__code",
        "submission__period__roc_year",
        "submission__period__quarter",
        "submission__agency_id",
        "submission__agency__order",
        "value",
        "done",
    ):
        key = f"{r[0]}/{r[1]}"
        reports["kpi"].append(key)
        reports["roc_year"].append(r[2])
        reports["quarter"].append(r[3])
        # The lead agency's line first, then by agency order (the service's rule).
        reports["rank"].append(-1 if r[4] == lead.get(key) else r[5] * 100_000 + r[4])
        reports["value"].append(None if r[6] is None else float(r[6]))
        reports["done"].append(r[7])
    files = {}
    for name, data in (
        ("targets", rows),
        ("reports", reports),
        ("periods", {"roc_year": [p.roc_year for p in periods], "quarter": [p.quarter for p in periods]}),
    ):
        files[name] = str(folder / f"{name}.parquet")
        pq.write_table(pa.table(data), files[name])
    return files


def lights(repeat: int, full_repeat: int, files: dict[str, str]):
    """Medians of ``repeat`` runs of ours (KPI lights) and DuckDB, interleaved, and of ``full_repeat``
    runs of the whole evaluation; the lights of each side."""
    from sixcore.evaluation.service import evaluate_kpi_lights, evaluate_period
    from sixcore.progress.models import ReportingPeriod

    ours_times, duck_times, full_times = [], [], []
    for _ in range(repeat):
        duck_time, duck_lights = duck(files)
        duck_times.append(duck_time)
        started = time.perf_counter()
        result = evaluate_kpi_lights(ReportingPeriod.objects.all())
        ours_times.append(time.perf_counter() - started)
    our_lights = {
        (f"{measure}/{code}", year, quarter): str(evaluation.light)
        for (year, quarter), by_kpi in result.items()
        for (measure, code), evaluation in by_kpi.items()
    }
    full_lights, evaluations = {}, []
    for _ in range(full_repeat):
        started = time.perf_counter()
        evaluations = [evaluate_period(p) for p in ReportingPeriod.objects.all()]
        full_times.append(time.perf_counter() - started)
    for evaluation in evaluations:
        for k in evaluation.kpis:
            full_lights[(f"{k.measure}/{k.key}", evaluation.roc_year, evaluation.quarter)] = str(k.light)
    return (
        statistics.median(ours_times),
        statistics.median(duck_times),
        statistics.median(full_times) if full_times else float("nan"),
        our_lights,
        duck_lights,
        full_lights,
        (min(ours_times), min(duck_times)),
    )


def duck(files: dict[str, str]):
    import duckdb

    sql = LIGHT_SQL.format(**files)
    started = time.perf_counter()
    connection = duckdb.connect()
    rows = connection.execute(sql).fetchall()
    connection.close()
    return time.perf_counter() - started, {(kpi, y, q): light for kpi, y, q, light in rows}


def run_scale(scale: int, repeat: int, full_repeat: int, database_url: str | None = None) -> None:
    with tempfile.TemporaryDirectory(prefix="bench_eval_") as tmp:
        folder = Path(tmp)
        print(f"scale {scale}:", flush=True)
        setup(scale, folder, database_url)
        files = export(folder)
        ours_time, duck_time, full_time, ours_l, duck_l, full_l, best = lights(repeat, full_repeat, files)
        differ = sum(1 for key, light in ours_l.items() if duck_l.get(key, "white") != light)
        differ_full = (
            sum(1 for key, light in full_l.items() if ours_l.get(key) != light)
            + len(set(ours_l) ^ set(full_l))
            if full_l
            else "not run"
        )
        print(
            f"  KPI evaluations: {len(ours_l)}; KPI lights: ours {ours_time:.3f} s, DuckDB {duck_time:.3f} s, "
            f"ratio {ours_time / duck_time:.2f}× (best runs {best[0]:.3f} s / {best[1]:.3f} s, "
            f"{best[0] / best[1]:.2f}×; medians of {repeat}); whole evaluation (evaluate_period ×16) "
            f"{full_time:.3f} s (median of {full_repeat}); lights differing from DuckDB: {differ}, "
            f"between our two paths: {differ_full}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description="KPI lights vs DuckDB")
    parser.add_argument("--scales", default=None, help="comma-separated, e.g. 1,10,100 (one process each)")
    parser.add_argument("--scale", type=int, default=1, help="1 = the seed program; N = N× synthetic")
    parser.add_argument("--repeat", type=int, default=None, help="default: 5 at scale 1, else 3")
    parser.add_argument(
        "--full-repeat",
        type=int,
        default=None,
        help="runs of evaluate_period ×16 (default --repeat; 0 skips it)",
    )
    parser.add_argument("--database-url", default=None, help="a PostgreSQL database named bench*, recreated")
    args = parser.parse_args()
    if args.scales:
        for scale in (int(s) for s in args.scales.split(",")):
            command = [sys.executable, __file__, "--scale", str(scale)]
            for option in ("repeat", "full_repeat", "database_url"):
                if getattr(args, option) is not None:
                    command += [f"--{option.replace('_', '-')}", str(getattr(args, option))]
            subprocess.run(command, check=True)
        return
    repeat = args.repeat or (5 if args.scale == 1 else 3)
    if args.database_url:
        sys.path.insert(0, str(ROOT / "bench"))
        from _db import recreate_postgres_database

        recreate_postgres_database(args.database_url)
    full_repeat = repeat if args.full_repeat is None else args.full_repeat
    run_scale(args.scale, repeat, full_repeat, args.database_url)


if __name__ == "__main__":
    main()
