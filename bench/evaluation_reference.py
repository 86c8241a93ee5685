"""DuckDB computing what the full rebuild of the stored evaluation computes, from the same rows, for
``bench/bench_evaluation.py``: in both views (working: every report; published: approved reports
only), for the 16 periods, the KPI lights, the roll-ups, the work items' planned progress, schedule
lag and light, and each measure's budget execution (執行率) and light.

``export`` writes the rows to Parquet (not timed); ``QUERIES`` are timed (a fresh connection each,
reading the Parquet files, fetching the rows into Python); ``differences`` compares their rows with
ours, read back from the stored evaluation.  Amounts and percentages are exported as exact decimals
(budget) or integer hundredths (percent), so the reference rounds exactly as the rules do (half up).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

VIEWS = "v AS (SELECT * FROM (VALUES ('working'), ('published')) v(view))"

LIGHT_SQL = (
    "WITH "
    + VIEWS
    + """,
t AS (SELECT * FROM read_parquet('{targets}')),
p AS (SELECT * FROM read_parquet('{periods}')),
r AS (  -- per view, the lead agency's line with a figure, else the first in agency order
  SELECT v.view, x.* FROM read_parquet('{reports}') x JOIN v ON v.view = 'working' OR x.approved
  WHERE value IS NOT NULL OR done IS NOT NULL
  QUALIFY row_number() OVER (PARTITION BY v.view, kpi, roc_year, quarter ORDER BY rank) = 1
),
prev AS (  -- C0: the latest earlier cumulative target (0 before the first)
  SELECT a.kpi, a.year,
         coalesce((SELECT b.lower FROM t b WHERE b.kpi = a.kpi AND b.year < a.year AND b.kind = 'cumulative'
                   AND b.comparable AND b.lower IS NOT NULL ORDER BY b.year DESC LIMIT 1), 0) AS c0
  FROM t a
),
e AS (
  SELECT t.kpi, p.roc_year, p.quarter, t.kind, t.ceiling,
    CASE
      WHEN t.kind = 'milestone' THEN CASE WHEN p.quarter = 4 AND p.roc_year >= coalesce(t.by_year, p.roc_year) THEN 1 END
      WHEN t.lower IS NULL OR NOT t.comparable THEN NULL  -- another unit than the full term's: not compared
      WHEN t.kind = 'level' THEN t.lower  -- a state to reach or hold: the threshold at every quarter
      WHEN t.kind = 'per_period' THEN t.lower * p.quarter / 4
      ELSE prev.c0 + (t.lower - prev.c0) * p.quarter / 4
    END AS expected
  FROM p JOIN t ON t.year = p.roc_year JOIN prev ON prev.kpi = t.kpi AND prev.year = t.year
),
j AS (
  SELECT v.view, e.*, r.value, r.done,
    CASE WHEN e.kind = 'milestone' THEN NULL
         WHEN r.value IS NULL OR e.expected IS NULL OR e.expected <= 0 THEN NULL
         WHEN e.ceiling THEN CASE WHEN r.value <= e.expected OR r.value <= 0 THEN 1  -- 「不超過」: met at or below
              ELSE round(CAST(e.expected AS DECIMAL(38, 12)) / CAST(r.value AS DECIMAL(38, 12)), 4) END
         ELSE round(CAST(r.value AS DECIMAL(38, 12)) / CAST(e.expected AS DECIMAL(38, 12)), 4) END AS achievement
  FROM e CROSS JOIN v
  LEFT JOIN r ON r.view = v.view AND r.kpi = e.kpi AND r.roc_year = e.roc_year AND r.quarter = e.quarter
)
SELECT view, kpi, roc_year, quarter,
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
)

# The roll-ups (``evaluate_period``'s ``rollups``): the lights query above with each KPI's achievement
# (a milestone done counts 1, due and not done 0), every KPI of the revision in every period and view
# (those without a target that year are white), then per view, grouping, group and period: the count
# of each light and the average achievement, each capped at 120 %, over the KPIs that have one.
ROLLUP_SQL = (
    "WITH x AS ("
    + LIGHT_SQL.replace(
        "{extra}",
        """,
  CASE WHEN kind = 'milestone' THEN CASE WHEN done OR value > 0 THEN 1
                                         WHEN (done = false OR value = 0) AND expected = 1 THEN 0 END
       ELSE achievement END AS achievement""",
    )
    + "), "
    + VIEWS
    + """,
k AS (SELECT * FROM read_parquet('{kpis}')),
l AS (
  SELECT v.view, k.kpi, p.roc_year, p.quarter, coalesce(x.light, 'white') AS light, x.achievement
  FROM k CROSS JOIN read_parquet('{periods}') p CROSS JOIN v
  LEFT JOIN x ON x.view = v.view AND x.kpi = k.kpi AND x.roc_year = p.roc_year AND x.quarter = p.quarter
),
g AS (
  SELECT 'industry' AS kind, k.industry AS grp, l.* FROM l JOIN k USING (kpi)
  UNION ALL SELECT 'strategy', k.strategy, l.* FROM l JOIN k USING (kpi)
  UNION ALL SELECT 'measure', k.measure, l.* FROM l JOIN k USING (kpi)
  UNION ALL SELECT 'agency', a.agency, l.* FROM l JOIN read_parquet('{agencies}') a USING (kpi)
)
SELECT view, kind, grp, roc_year, quarter,
  count(*) FILTER (WHERE light = 'green'), count(*) FILTER (WHERE light = 'yellow'),
  count(*) FILTER (WHERE light = 'red'), count(*) FILTER (WHERE light = 'white'), count(*),
  round(sum(CASE WHEN achievement > 1.2 THEN 1.2 ELSE achievement END) / count(achievement), 4)  -- not least(): it skips NULL
FROM g GROUP BY view, kind, grp, roc_year, quarter
"""
)

# Work items (``rules.evaluate_schedule``): the items running in the period's year or reported on;
# planned = the share of the item's months elapsed by the quarter's last day (half up, 2 places),
# lag = planned − the picked line's percent, light by the lag (≤ 10 points green, ≤ 20 yellow);
# white without dates, without a report, or when nothing is planned yet.  In hundredths of a point.
WORK_ITEM_SQL = (
    "WITH "
    + VIEWS
    + """,
w AS (SELECT * FROM read_parquet('{items}')),
p AS (SELECT *, (roc_year + 1911) * 12 + quarter * 3 - 1 AS through FROM read_parquet('{periods}')),
r AS (
  SELECT v.view, x.* FROM read_parquet('{item_reports}') x JOIN v ON v.view = 'working' OR x.approved
  WHERE percent_cents IS NOT NULL
  QUALIFY row_number() OVER (PARTITION BY v.view, item, roc_year, quarter ORDER BY rank) = 1
),
g AS (
  SELECT v.view, w.item, p.roc_year, p.quarter, w.first_month, w.last_month - w.first_month + 1 AS months,
         p.through, r.percent_cents
  FROM w CROSS JOIN p CROSS JOIN v
  LEFT JOIN r ON r.view = v.view AND r.item = w.item AND r.roc_year = p.roc_year AND r.quarter = p.quarter
  WHERE r.item IS NOT NULL OR (w.start_date <= make_date(p.roc_year + 1911, 12, 1)
                               AND w.end_date >= make_date(p.roc_year + 1911, 1, 1))
),
pl AS (
  SELECT *, (20000 * least(greatest(through - first_month + 1, 0), months) + months) // (2 * months) AS planned
  FROM g
)
SELECT view, item, roc_year, quarter, planned - percent_cents AS lag,
  CASE WHEN first_month IS NULL OR percent_cents IS NULL OR planned = 0 THEN 'white'
       WHEN planned - percent_cents <= 1000 THEN 'green'
       WHEN planned - percent_cents <= 2000 THEN 'yellow' ELSE 'red' END AS light
FROM pl
"""
)

# Budget execution per measure (``rules.evaluate_budget``): per view and period, the lines with an
# executed amount, summed in 億元; 執行率 = executed / allocated (half up, 4 places; none when
# nothing is allocated), light by it (≥ 0.90 green, ≥ 0.80 yellow).  The rate in ten-thousandths.
BUDGET_SQL = (
    "WITH "
    + VIEWS
    + """,
b AS (
  SELECT v.view, x.measure, x.roc_year, x.quarter, sum(x.allocated) AS allocated, sum(x.executed) AS executed
  FROM read_parquet('{budget}') x JOIN v ON v.view = 'working' OR x.approved
  WHERE x.executed IS NOT NULL AND x.measure IN (SELECT measure FROM read_parquet('{measures}'))
  GROUP BY ALL
),
u AS (
  SELECT *, CAST(executed * 1000000000 AS HUGEINT) AS e, CAST(allocated * 1000000000 AS HUGEINT) AS a FROM b
),
q AS (SELECT *, CASE WHEN a > 0 THEN sign(e) * ((20000 * abs(e) + a) // (2 * a)) END AS rate FROM u)
SELECT view, measure, roc_year, quarter, rate,
  CASE WHEN rate IS NULL THEN 'white' WHEN rate >= 9000 THEN 'green' WHEN rate >= 8000 THEN 'yellow' ELSE 'red' END
FROM q
"""
)


NAMES = ("lights", "rollups", "work_items", "budget")


def queries(files: dict[str, str]) -> dict[str, str]:
    """The four timed queries over the exported files."""
    return {
        "lights": LIGHT_SQL.format(extra="", **files),
        "rollups": ROLLUP_SQL.format(**files),
        "work_items": WORK_ITEM_SQL.format(**files),
        "budget": BUDGET_SQL.format(**files),
    }


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
    rows = {"kpi": [], "year": [], "kind": [], "lower": [], "by_year": [], "comparable": [], "ceiling": []}
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
        rows["comparable"].append(not target.get("unit_mismatch"))
        rows["ceiling"].append(
            target.get("kind") == "level" and target.get("min") is None and target.get("max") is not None
        )
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
    reports = {"kpi": [], "roc_year": [], "quarter": [], "rank": [], "value": [], "done": [], "approved": []}
    for r in KPIReport.objects.order_by("submission__agency__order", "submission__agency_id").values_list(
        "kpi__measure__code",
        "kpi__code",
        "submission__period__roc_year",
        "submission__period__quarter",
        "submission__agency_id",
        "submission__agency__order",
        "value",
        "done",
        "submission__status",
    ):
        key = f"{r[0]}/{r[1]}"
        reports["kpi"].append(key)
        reports["roc_year"].append(r[2])
        reports["quarter"].append(r[3])
        # The lead agency's line first, then by agency order (the service's rule).
        reports["rank"].append(-1 if r[4] == lead.get(key) else r[5] * 100_000 + r[4])
        reports["value"].append(None if r[6] is None else float(r[6]))
        reports["done"].append(r[7])
        reports["approved"].append(r[8] == APPROVED)
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

    def reporting_pk(pk: int) -> int | None:
        top = pk
        while agency[top][1] is not None:
            top = agency[top][1]
        return top if agency[top][2] in REPORTING_KINDS else None

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
    extra = _export_items_and_budget(program, periods, reporting_pk)
    for name, data in (
        *extra.items(),
        ("targets", rows),
        ("reports", reports),
        ("kpis", kpis),
        ("agencies", links),
        ("periods", {"roc_year": [p.roc_year for p in periods], "quarter": [p.quarter for p in periods]}),
    ):
        files[name] = str(folder / f"{name}.parquet")
        table = pa.table(data) if name != "budget" else pa.table(data, schema=BUDGET_SCHEMA())
        pq.write_table(table, files[name])
    return files


APPROVED = "approved"


def BUDGET_SCHEMA():  # noqa: N802 - a constant built when pyarrow is imported
    import pyarrow as pa

    amount = pa.decimal128(38, 9)
    return pa.schema(
        [
            ("measure", pa.string()),
            ("roc_year", pa.int64()),
            ("quarter", pa.int64()),
            ("approved", pa.bool_()),
            ("allocated", amount),
            ("executed", amount),
        ]
    )


def _export_items_and_budget(program, periods, reporting_pk) -> dict[str, dict]:
    """Work items (months of their start and end), work-item lines (percent in hundredths, ranked:
    the lead unit's first, then agency order), budget lines (in 億元, exact) and the revision's
    measures."""
    from sixcore.plan import models as plan
    from sixcore.progress.choices import BudgetUnit
    from sixcore.progress.models import THOUSANDS_PER_HUNDRED_MILLION, BudgetReport, WorkItemReport

    items = {"item": [], "first_month": [], "last_month": [], "start_date": [], "end_date": []}
    for schedule, code, start, end in plan.WorkItem.objects.filter(
        schedule__industry__program=program
    ).values_list("schedule__code", "code", "start", "end"):
        dated = start is not None and end is not None
        items["item"].append(f"{schedule}/{code}")
        items["first_month"].append(start.year * 12 + start.month - 1 if dated else None)
        items["last_month"].append(end.year * 12 + end.month - 1 if dated else None)
        items["start_date"].append(start if dated else None)
        items["end_date"].append(end if dated else None)
    lead: dict[str, int] = {}
    for schedule, code, agency_id in (
        plan.WorkItemAgency.objects.filter(work_item__schedule__industry__program=program, role="lead")
        .order_by("work_item_id", "order")
        .values_list("work_item__schedule__code", "work_item__code", "agency_id")
    ):
        top = reporting_pk(agency_id)
        if top is not None:
            lead.setdefault(f"{schedule}/{code}", top)
    item_reports = {
        "item": [],
        "roc_year": [],
        "quarter": [],
        "rank": [],
        "percent_cents": [],
        "approved": [],
    }
    for schedule, code, year, quarter, agency_id, order, percent, status in WorkItemReport.objects.order_by(
        "submission__agency__order", "submission__agency_id"
    ).values_list(
        "work_item__schedule__code",
        "work_item__code",
        "submission__period__roc_year",
        "submission__period__quarter",
        "submission__agency_id",
        "submission__agency__order",
        "percent",
        "submission__status",
    ):
        key = f"{schedule}/{code}"
        item_reports["item"].append(key)
        item_reports["roc_year"].append(year)
        item_reports["quarter"].append(quarter)
        item_reports["rank"].append(-1 if agency_id == lead.get(key) else order * 100_000 + agency_id)
        item_reports["percent_cents"].append(None if percent is None else int(percent * 100))
        item_reports["approved"].append(status == APPROVED)
    budget = {"measure": [], "roc_year": [], "quarter": [], "approved": [], "allocated": [], "executed": []}
    for measure, year, quarter, unit, allocated, executed, status in BudgetReport.objects.values_list(
        "measure__code",
        "submission__period__roc_year",
        "submission__period__quarter",
        "unit",
        "allocated",
        "executed",
        "submission__status",
    ):
        scale = THOUSANDS_PER_HUNDRED_MILLION if unit == BudgetUnit.THOUSAND else Decimal(1)
        budget["measure"].append(measure)
        budget["roc_year"].append(year)
        budget["quarter"].append(quarter)
        budget["approved"].append(status == APPROVED)
        budget["allocated"].append(None if allocated is None else allocated / scale)
        budget["executed"].append(None if executed is None else executed / scale)
    measures = {
        "measure": list(plan.Measure.objects.filter(industry__program=program).values_list("code", flat=True))
    }
    return {"items": items, "item_reports": item_reports, "budget": budget, "measures": measures}


def duck(sql: str) -> list[tuple]:
    """A fresh DuckDB connection running ``sql`` (over the Parquet files), its rows fetched."""
    import duckdb

    connection = duckdb.connect()
    rows = connection.execute(sql).fetchall()
    connection.close()
    return rows


def ours() -> dict[str, dict]:
    """Our outputs, read back from the stored evaluation (both views), keyed as DuckDB's rows."""
    from sixcore.evaluation.models import ResultView
    from sixcore.evaluation.read import stored_evaluation
    from sixcore.progress.models import ReportingPeriod

    found: dict[str, dict] = {"lights": {}, "rollups": {}, "work_items": {}, "budget": {}}
    for p in ReportingPeriod.objects.all():
        for view in ResultView.values:
            e = stored_evaluation(p, view)
            when = (p.roc_year, p.quarter)
            for k in e.kpis:
                found["lights"][(view, f"{k.measure}/{k.key}", *when)] = str(k.light)
            for kind, rows in e.rollups.items():
                for r in rows:
                    found["rollups"][(view, kind, r.key, *when)] = (r.counts, r.items, r.weighted_achievement)
            for w in e.work_items:
                lag = None if w.lag is None else int(w.lag * 100)
                found["work_items"][(view, f"{w.schedule}/{w.code}", *when)] = (lag, str(w.light))
            for b in e.budget:
                rate = None if b.execution_rate is None else int(b.execution_rate * 10000)
                found["budget"][(view, b.key, *when)] = (rate, str(b.light))
    return found


def differences(mine: dict[str, dict], rows: dict[str, list[tuple]]) -> dict[str, int]:
    """Per output, the keys whose values differ or that one side lacks (a KPI DuckDB has no target
    row for is white; roll-up averages may differ by 0.0001 at most: DuckDB divides in floating point)."""
    theirs = {
        "lights": {row[:4]: row[4] for row in rows["lights"]},
        "work_items": {row[:4]: (row[4], row[5]) for row in rows["work_items"]},
        "budget": {row[:4]: (row[4], row[5]) for row in rows["budget"]},
        "rollups": {
            (view, kind, group, year, quarter): (
                {"green": g, "yellow": y, "red": r, "white": w},
                items,
                None if average is None else Decimal(str(average)),
            )
            for view, kind, group, year, quarter, g, y, r, w, items, average in rows["rollups"]
        },
    }
    found = {
        "lights": sum(
            1 for key, light in mine["lights"].items() if theirs["lights"].get(key, "white") != light
        )
    }
    for name in ("work_items", "budget"):
        found[name] = len(set(mine[name]) ^ set(theirs[name])) + sum(
            1 for key in set(mine[name]) & set(theirs[name]) if mine[name][key] != theirs[name][key]
        )
    a, b = mine["rollups"], theirs["rollups"]
    count = len(set(a) ^ set(b))
    for key in set(a) & set(b):
        (counts, items, average), (their_counts, their_items, their_average) = a[key], b[key]
        close = (average is None) == (their_average is None) and (
            average is None or abs(average - their_average) <= Decimal("0.0001")
        )
        count += counts != their_counts or items != their_items or not close
    found["rollups"] = count
    return found
