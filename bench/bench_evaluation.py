"""Benchmark: the evaluation of every period of a portfolio, against DuckDB computing the lights and
roll-ups from the same rows.

For each scale (1 = the seed program; N = ``bench/portfolio.py``'s N× synthetic portfolio) a fresh
database (SQLite, or the PostgreSQL one named by ``--database-url``, recreated) gets the program and
seeded reports for all 16 periods.  Then, interleaved run by run (``--repeat``, default 5; medians):

* ours: the full rebuild of the stored evaluation (``evaluate --rebuild`` from an empty store): the
  16 periods in both views (published, working) through ``service.evaluate_period`` -- the one audited
  rules path (KPI lights, forecasts, work items, budget, early warning, flags) -- and written;
* DuckDB: the same rows (annual targets of the revision in force, KPI report lines with the agency
  rank that decides which actual counts, the groups of the roll-ups) exported to Parquet beforehand
  (not timed), and two SQL queries, the lights and the roll-ups of the 16 periods (timed: a fresh
  connection each, reading the Parquet files, the query and fetching its rows into Python);
* checks (the run fails when they do not hold): DuckDB gives the same light as ours for every KPI and
  period, and the same light counts and average achievement for every roll-up group (ours read back
  from the stored working view, the one computed from every line as DuckDB does);
* incremental: one saved KPI line of 112Q3 (``save_lines``, whose refresh of the stored working view
  runs in its transaction) and the refresh alone, medians; then ``store.check`` finds no difference.

Ours does more than DuckDB (the words, work items, budget, risks, flags): the ratio is an upper bound
of the cost of the rules themselves.  Wall and CPU time are printed for both sides (CPU of all threads:
DuckDB uses several), with the load average.  ``--json PATH`` writes the rows of the suite's format
(``bench/run_all.py``); with ``--scales`` also how our time grows with N against linear growth.

    python bench/bench_evaluation.py --scales 1,10 [--json rows.json]
    python bench/bench_evaluation.py --scale 100 --repeat 1
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
  END AS light{extra}
FROM j
"""

# The roll-ups (``evaluate_period``'s ``rollups``): the lights query above with each KPI's achievement
# (a milestone done counts 1, due and not done 0), every KPI of the revision in every period (those
# without a target that year are white), then per grouping, group and period: the count of each light
# and the average achievement, each capped at 120 %, over the KPIs that have one (4 places).
ROLLUP_SQL = (
    "WITH x AS ("
    + LIGHT_SQL.replace(
        "{extra}",
        """,
  CASE WHEN kind = 'milestone' THEN CASE WHEN done OR value > 0 THEN 1
                                         WHEN (done = false OR value = 0) AND expected = 1 THEN 0 END
       ELSE achievement END AS achievement""",
    )
    + """),
k AS (SELECT * FROM read_parquet('{kpis}')),
l AS (
  SELECT k.kpi, p.roc_year, p.quarter, coalesce(x.light, 'white') AS light, x.achievement
  FROM k CROSS JOIN read_parquet('{periods}') p
  LEFT JOIN x ON x.kpi = k.kpi AND x.roc_year = p.roc_year AND x.quarter = p.quarter
),
g AS (
  SELECT 'industry' AS kind, k.industry AS grp, l.* FROM l JOIN k USING (kpi)
  UNION ALL SELECT 'strategy', k.strategy, l.* FROM l JOIN k USING (kpi)
  UNION ALL SELECT 'measure', k.measure, l.* FROM l JOIN k USING (kpi)
  UNION ALL SELECT 'agency', a.agency, l.* FROM l JOIN read_parquet('{agencies}') a USING (kpi)
)
SELECT kind, grp, roc_year, quarter,
  count(*) FILTER (WHERE light = 'green'), count(*) FILTER (WHERE light = 'yellow'),
  count(*) FILTER (WHERE light = 'red'), count(*) FILTER (WHERE light = 'white'), count(*),
  round(sum(CASE WHEN achievement > 1.2 THEN 1.2 ELSE achievement END) / count(achievement), 4)  -- not least(): it skips NULL
FROM g GROUP BY kind, grp, roc_year, quarter
"""
)


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


def export(folder: Path) -> dict[str, str]:
    """The rows DuckDB needs, to Parquet: targets of the revision in force, periods, report lines,
    and the groups of the roll-ups (KPIs with their industry, strategy and measure; KPI agencies)."""
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
    # The groups of the roll-ups: each KPI's industry, strategy and measure, and its agencies as
    # reporting units (a sub-unit counts as its ministry; an agency outside them as itself).
    kpis = {"kpi": [], "industry": [], "strategy": [], "measure": []}
    for measure, code, industry, seq in plan.KPI.objects.filter(
        measure__industry__program=program
    ).values_list("measure__code", "code", "measure__industry__code", "measure__strategy__seq"):
        kpis["kpi"].append(f"{measure}/{code}")
        kpis["industry"].append(industry)
        kpis["strategy"].append(f"{industry}.S{seq}")
        kpis["measure"].append(measure)
    from sixcore.accounts.models import Agency
    from sixcore.progress.services import REPORTING_KINDS

    agency = {
        pk: (code, parent, kind)
        for pk, code, parent, kind in Agency.objects.values_list("pk", "code", "parent_id", "kind")
    }

    def reporting_code(pk: int) -> str:
        top = pk
        while agency[top][1] is not None:
            top = agency[top][1]
        return agency[top][0] if agency[top][2] in REPORTING_KINDS else agency[pk][0]

    links: dict[str, list] = {"kpi": [], "agency": []}
    links_seen: set[tuple[str, str]] = set()
    for measure, code, agency_pk in (
        plan.KPIAgency.objects.filter(kpi__measure__industry__program=program)
        .order_by("order")
        .values_list("kpi__measure__code", "kpi__code", "agency_id")
    ):
        pair = (f"{measure}/{code}", reporting_code(agency_pk))
        if pair not in links_seen:
            links_seen.add(pair)
            links["kpi"].append(pair[0])
            links["agency"].append(pair[1])
    files = {}
    for name, data in (
        ("targets", rows),
        ("reports", reports),
        ("kpis", kpis),
        ("agencies", links),
        ("periods", {"roc_year": [p.roc_year for p in periods], "quarter": [p.quarter for p in periods]}),
    ):
        files[name] = str(folder / f"{name}.parquet")
        pq.write_table(pa.table(data), files[name])
    return files


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


def _working_view():
    """The stored working view (every report: what DuckDB computes from all the lines), read back."""
    from sixcore.evaluation.models import ResultView
    from sixcore.evaluation.read import stored_evaluation
    from sixcore.progress.models import ReportingPeriod

    return [stored_evaluation(p, ResultView.WORKING) for p in ReportingPeriod.objects.all()]


def measure(repeat: int, files: dict[str, str]) -> dict:
    """Ours and DuckDB, interleaved run by run (``repeat`` runs each); the times and each side's
    lights and roll-ups (ours: read back from the stored working view)."""

    times: dict[str, list[float]] = defaultdict(list)

    def run(name: str, call):
        wall, cpu, result = _timed(call)
        times[name].append(wall)
        times[f"{name}_cpu"].append(cpu)
        return result

    for _ in range(repeat):
        duck_lights = run("duck_lights", lambda: duck(LIGHT_SQL.format(extra="", **files)))
        duck_rollups = run("duck_rollups", lambda: duck(ROLLUP_SQL.format(**files)))
        for unit in ("", "_cpu"):  # the reference: both queries of this run
            times[f"duck{unit}"].append(times[f"duck_lights{unit}"][-1] + times[f"duck_rollups{unit}"][-1])
        run("ours", _full_rebuild())
    evaluations = _working_view()
    return {
        "times": times,
        "ours": {
            (f"{k.measure}/{k.key}", e.roc_year, e.quarter): k.light for e in evaluations for k in e.kpis
        },
        "duck": {(kpi, y, q): light for kpi, y, q, light in duck_lights},
        "rollups": {(e.roc_year, e.quarter): e.rollups for e in evaluations},
        "duck_rollups": duck_rollups,
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


def duck(sql: str) -> list[tuple]:
    """A fresh DuckDB connection running ``sql`` (over the Parquet files), its rows fetched."""
    import duckdb

    connection = duckdb.connect()
    rows = connection.execute(sql).fetchall()
    connection.close()
    return rows


def rollup_differences(ours: dict, reference: list[tuple]) -> tuple[int, int]:
    """(groups whose light counts differ or that one side lacks, groups whose average achievement
    differs by more than 0.0001) between our roll-ups and DuckDB's rows."""
    theirs = {
        (kind, group, year, quarter): (
            {"green": g, "yellow": y, "red": r, "white": w},
            items,
            None if average is None else Decimal(str(average)),
        )
        for kind, group, year, quarter, g, y, r, w, items, average in reference
    }
    mine = {
        (kind, row.key, year, quarter): (row.counts, row.items, row.weighted_achievement)
        for (year, quarter), by_kind in ours.items()
        for kind, rows in by_kind.items()
        for row in rows
    }
    counts = len(set(mine) ^ set(theirs))
    averages = 0
    for key in set(mine) & set(theirs):
        (my_counts, my_items, my_average), (their_counts, their_items, their_average) = mine[key], theirs[key]
        if my_counts != their_counts or my_items != their_items:
            counts += 1
        if (my_average is None) != (their_average is None) or (
            my_average is not None and abs(my_average - their_average) > Decimal("0.0001")
        ):
            averages += 1
    return counts, averages


def run_scale(
    scale: int, repeat: int, database_url: str | None = None, *, only_incremental: bool = False
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
        files = export(folder)
        found = measure(repeat, files)
        inc = incremental(max(repeat, 5), check=scale <= 10)
    times, ours = found["times"], found["ours"]
    median = {name: statistics.median(values) for name, values in times.items()}
    load = os.getloadavg()
    print(
        f"  {len(ours):,} KPI lights; medians of {repeat} runs, ours and DuckDB {duckdb.__version__} "
        f"interleaved:\n"
        f"    full rebuild (16 periods x 2 views): {median['ours']:.3f} s wall / {median['ours_cpu']:.3f} s CPU; DuckDB "
        f"lights {median['duck_lights']:.3f} s + roll-ups {median['duck_rollups']:.3f} s = "
        f"{median['duck']:.3f} s wall / {median['duck_cpu']:.3f} s CPU (all its threads); ratio "
        f"{median['ours'] / median['duck']:.2f}x wall, {median['ours_cpu'] / median['duck_cpu']:.2f}x CPU",
        flush=True,
    )
    print(f"  load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (2 cores)", flush=True)
    differ_duck = sum(1 for key, light in ours.items() if found["duck"].get(key, "white") != str(light))
    counts, averages = rollup_differences(found["rollups"], found["duck_rollups"])
    print(
        f"  differences vs DuckDB: lights {differ_duck}; roll-up groups: light counts {counts}, "
        f"average achievement (> 0.0001) {averages}",
        flush=True,
    )
    if differ_duck or counts or averages:
        raise SystemExit("the two sides disagree: the figures above compare different work")
    ratio = median["ours"] / median["duck"]
    fewer = f" (only {repeat} runs)" if repeat < 5 else ""
    return [
        *_incremental_rows(inc, scale, repeat, database_url),
        {
            "what": "evaluation: full rebuild of the stored evaluation, 16 periods × 2 views (published, "
            f"working: lights, work items, budget, risks, flags), computed and written{fewer}",
            "size": f"{scale}× the seed ({len(ours) // 16:,} KPIs × 16 periods = {len(ours):,} KPI lights)",
            "database": "postgresql" if database_url else "sqlite",
            "ours_s": round(median["ours"], 4),
            "runs": repeat,
            "reference": f"two DuckDB {duckdb.__version__} queries (lights, roll-ups of one view) over the "
            "same rows in Parquet",
            "reference_s": round(median["duck"], 4),
            "ratio": round(ratio, 2),
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
                if args.only_incremental:
                    command.append("--only-incremental")
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
        run_scale(args.scale, args.repeat, args.database_url, only_incremental=args.only_incremental),
    )


if __name__ == "__main__":
    main()
