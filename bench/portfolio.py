"""A synthetic portfolio N× the seed program, and deterministic quarterly reports for it.

``build_portfolio(scale)`` copies plan revision 0 into a new revision (in force from 110Q1) in which
every measure, with its KPIs, annual targets, schedule table, tasks, approaches, work items and agency
links, appears ``scale`` times (copy ``i`` of measure ``1.2`` is ``1.2x{i}``).  ``generate_reports``
fills the periods' submissions of the revision in force with seeded figures (flagged 示範資料), so the
same arguments always give the same rows.  Used by the evaluation benchmark and by the query-count
tests (a 10× program in the test database).

    python bench/portfolio.py --scale 100 [--periods 110Q1-113Q4] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TWO_PLACES = Decimal("0.01")


# Column types the DB-API drivers take as Python values (Django's SQLite adapters cover Decimal and date);
# any other field (JSON …) is converted by its ``get_db_prep_save``.
_PLAIN_TYPES = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateField",
    "DecimalField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SlugField",
    "SmallIntegerField",
    "TextField",
}


def _clone(model, queryset, copies, fk_maps=None, tweak=None) -> list[dict[int, int]]:
    """Copy ``queryset``'s rows ``copies`` times in bulk; return old pk → new pk for each copy.

    ``fk_maps`` maps a foreign key's attname to an old→new pk dict (shared by every copy) or to a
    list of dicts (one per copy); ``tweak(data, i)`` edits a copy's field values in place.  Rows are
    read with ``.values()`` and written by ``_insert`` with pks numbered from the table's maximum
    (the PostgreSQL sequence is reset afterwards), so no model instance is built.
    """
    from django.core.management.color import no_style
    from django.db import connection
    from django.db.models import Max

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    names = [f.attname for f in fields]
    prepare = [(f.attname, f) for f in fields if f.get_internal_type() not in _PLAIN_TYPES]
    rows = list(queryset.order_by("pk").values("pk", *names))
    next_pk = (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
    maps: list[dict[int, int]] = [{} for _ in range(copies)]
    out = []
    for i in range(copies):
        for row in rows:
            data = {name: row[name] for name in names}
            for attname, mapping in (fk_maps or {}).items():
                if data[attname] is not None:
                    data[attname] = (mapping[i] if isinstance(mapping, list) else mapping)[data[attname]]
            if tweak:
                tweak(data, i)
            for attname, field in prepare:
                data[attname] = field.get_db_prep_save(data[attname], connection)
            maps[i][row["pk"]] = next_pk
            out.append((next_pk, *(data[name] for name in names)))
            next_pk += 1
    _insert(model, (model._meta.pk.attname, *names), out)
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
            cursor.execute(sql)
    return maps


def _suffix(code: str, i: int) -> str:
    return code if i == 0 else f"{code}x{i}"


def build_portfolio(
    scale: int, *, source_revision: int = 0, effective_from: str = "110Q1", rebuild: bool = True
):
    """A new plan revision holding ``scale`` copies of every measure of ``source_revision``.

    Written in bulk, beside the write paths: with ``rebuild`` the stored evaluation is recomputed
    from ``effective_from`` on, as an approved revision does; without, the caller rebuilds what it
    reads (``evaluation.store.rebuild``)."""
    from django.db import transaction
    from django.db.models import Max

    from sixcore.plan import models as plan

    if scale < 1:
        raise ValueError("scale must be at least 1")
    with transaction.atomic():
        source = plan.Program.objects.get(revision=source_revision)
        revision = (plan.Program.objects.aggregate(m=Max("revision"))["m"] or 0) + 1
        program = plan.Program.objects.create(
            name=source.name,
            revision=revision,
            title=f"合成 ×{scale}",
            revision_date=source.revision_date,
            start_year=source.start_year,
            end_year=source.end_year,
            effective_from=effective_from,
            reason=f"synthetic portfolio, {scale}× revision {source_revision} (bench/portfolio.py)",
            source=source.source,
        )
        one = 1
        industries = _clone(
            plan.Industry,
            plan.Industry.objects.filter(program=source),
            one,
            {"program_id": {source.pk: program.pk}},
        )[0]
        _clone(
            plan.IndustryLeadAgency,
            plan.IndustryLeadAgency.objects.filter(industry__program=source),
            one,
            {"industry_id": industries},
        )
        sub_areas = _clone(
            plan.SubArea,
            plan.SubArea.objects.filter(industry__program=source),
            one,
            {"industry_id": industries},
        )[0]
        strategies = _clone(
            plan.Strategy,
            plan.Strategy.objects.filter(industry__program=source),
            one,
            {"industry_id": industries, "sub_area_id": sub_areas},
        )[0]

        def coded(step: int):
            def tweak(data, i):
                data["code"] = _suffix(data["code"], i)
                data["order"] = data["order"] + i * step

            return tweak

        schedules = _clone(
            plan.ScheduleTable,
            plan.ScheduleTable.objects.filter(industry__program=source),
            scale,
            {"industry_id": industries},
            coded(1000),
        )
        measures = _clone(
            plan.Measure,
            plan.Measure.objects.filter(industry__program=source),
            scale,
            {"industry_id": industries, "strategy_id": strategies, "schedule_id": schedules},
            coded(1000),
        )
        _clone(
            plan.MeasureAgency,
            plan.MeasureAgency.objects.filter(measure__industry__program=source),
            scale,
            {"measure_id": measures},
        )
        tasks = _clone(
            plan.Task,
            plan.Task.objects.filter(schedule__industry__program=source),
            scale,
            {"schedule_id": schedules},
        )
        approaches = _clone(
            plan.Approach,
            plan.Approach.objects.filter(task__schedule__industry__program=source),
            scale,
            {"task_id": tasks},
        )
        items = _clone(
            plan.WorkItem,
            plan.WorkItem.objects.filter(schedule__industry__program=source),
            scale,
            {"schedule_id": schedules, "approach_id": approaches},
        )
        _clone(
            plan.WorkItemAgency,
            plan.WorkItemAgency.objects.filter(work_item__schedule__industry__program=source),
            scale,
            {"work_item_id": items},
        )
        kpis = _clone(
            plan.KPI,
            plan.KPI.objects.filter(measure__industry__program=source),
            scale,
            {"measure_id": measures},
        )
        _clone(
            plan.KPIAgency,
            plan.KPIAgency.objects.filter(kpi__measure__industry__program=source),
            scale,
            {"kpi_id": kpis},
        )
        cells = _clone(
            plan.TargetCell,
            plan.TargetCell.objects.filter(program=source),
            scale,
            {"program_id": {source.pk: program.pk}},
        )
        _clone(
            plan.AnnualTarget,
            plan.AnnualTarget.objects.filter(kpi__measure__industry__program=source),
            scale,
            {"kpi_id": kpis, "cell_id": cells},
        )

        def budget(data, i):
            data["amount"] = data["amount"] * scale

        _clone(
            plan.BudgetLine,
            plan.BudgetLine.objects.filter(program=source),
            one,
            {"program_id": {source.pk: program.pk}, "industry_id": industries},
            budget,
        )
        if rebuild:
            _rebuild_from(effective_from)
    return program


def _rebuild_from(code: str) -> None:
    from sixcore.core.roc import parse_quarter
    from sixcore.evaluation import store
    from sixcore.progress.models import ReportingPeriod

    since = parse_quarter(code)
    store.rebuild([p for p in ReportingPeriod.objects.all() if (p.roc_year, p.quarter) >= since])


def _insert(model, names: tuple[str, ...], rows: list[tuple], chunk: int = 20_000) -> None:
    """INSERT ``rows`` (values of the fields ``names``; every other column gets its field default) with
    the DB-API ``executemany``, ``chunk`` rows at a time.  Benchmark data only: no model instances, no
    signals, no change log (the values are already what the column stores: Decimal, date, bool, str).
    """
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    extra = [f for f in fields if f.attname not in names]
    defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in extra)
    columns = ", ".join(
        connection.ops.quote_name(f.column) for f in [*(model._meta.get_field(n) for n in names), *extra]
    )
    placeholders = ", ".join(["%s"] * (len(names) + len(extra)))
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608 - names from the model
    with connection.cursor() as cursor:
        for first in range(0, len(rows), chunk):
            cursor.executemany(sql, [row + defaults for row in rows[first : first + chunk]])


def _reporting_units(program_pk: int, year: int, reporter: dict[int, int | None]):
    """``progress.services.reporting_units`` from plain rows (``values_list``, sets for membership):
    (industry id, reporting agency id) → (measure ids, KPI ids, work-item ids), in the same order."""
    from sixcore.plan import models as plan

    units: dict[tuple[int, int], tuple[list[int], list[int], list[int]]] = {}
    seen: set[tuple[tuple[int, int], str, int]] = set()

    def add(industry_id: int, agency_id: int, what: int, pk: int) -> bool:
        agency = reporter[agency_id]
        if agency is None:
            return False
        unit = (industry_id, agency)
        scope = units.setdefault(unit, ([], [], []))
        if (unit, what, pk) not in seen:
            seen.add((unit, what, pk))
            scope[what].append(pk)
        return True

    for measure_id, industry_id, agency_id in plan.MeasureAgency.objects.filter(
        measure__industry__program=program_pk
    ).values_list("measure_id", "measure__industry_id", "agency_id"):
        add(industry_id, agency_id, 0, measure_id)
    for kpi_id, measure_id, industry_id, agency_id in plan.KPIAgency.objects.filter(
        kpi__measure__industry__program=program_pk
    ).values_list("kpi_id", "kpi__measure_id", "kpi__measure__industry_id", "agency_id"):
        if add(industry_id, agency_id, 1, kpi_id):
            add(industry_id, agency_id, 0, measure_id)
    year_start, year_end = date(year + 1911, 1, 1), date(year + 1911, 12, 1)
    for item_id, industry_id, agency_id in plan.WorkItemAgency.objects.filter(
        work_item__schedule__industry__program=program_pk,
        role="lead",
        work_item__start__lte=year_end,
        work_item__end__gte=year_start,
    ).values_list("work_item_id", "work_item__schedule__industry_id", "agency_id"):
        add(industry_id, agency_id, 2, item_id)
    return units


def generate_reports(
    periods, *, seed: int = 110, approved: float = 0.7, is_demo: bool = True, rebuild: bool = True
) -> int:
    """Submissions with seeded lines for each period of ``periods`` (skipping periods that have some),
    for the revision in force.  About ``approved`` of them are approved, the rest submitted or draft.
    Returns the number of submissions created.

    Built for size (a 100× portfolio is about a million lines): the plan is read once per revision
    with ``values_list``, each KPI's targets once (``rules.TargetSeries``), the reporting units once
    per revision and year, and the lines are written with ``executemany`` (``_insert``), no model
    instances, no per-row saves and no per-row change log.  The submissions themselves (a few hundred)
    go through ``bulk_create``.  Everything is flagged 示範資料 (``is_demo``) and deterministic.
    With ``rebuild``, the stored evaluation is recomputed from the first of ``periods`` on (the lines
    bypass the write path that refreshes it); without, the caller rebuilds what it reads.
    """
    from django.db import transaction

    from sixcore.accounts.models import Agency
    from sixcore.evaluation import rules
    from sixcore.plan import models as plan
    from sixcore.progress import models as progress
    from sixcore.progress.choices import SubmissionStatus, WorkItemStatus
    from sixcore.progress.services import REPORTING_KINDS, program_in_force

    agencies = {
        pk: (parent, kind) for pk, parent, kind in Agency.objects.values_list("pk", "parent_id", "kind")
    }

    def top(pk: int) -> int | None:
        while agencies[pk][0] is not None:
            pk = agencies[pk][0]
        return pk if agencies[pk][1] in REPORTING_KINDS else None

    reporter = {pk: top(pk) for pk in agencies}
    plans: dict[int, tuple] = {}
    units_of: dict[tuple[int, int], dict] = {}
    with_reports = set(
        progress.Submission.objects.filter(period__in=[p.pk for p in periods]).values_list(
            "period_id", flat=True
        )
    )
    created = 0
    for period in periods:
        if period.pk in with_reports:
            continue
        rng = random.Random(f"{seed}-{period.code}")  # noqa: S311 - synthetic data, not security
        program = program_in_force(period)
        year, quarter = period.roc_year, period.quarter
        share = Decimal(quarter) / 4
        if program.pk not in plans:
            by_kpi: dict[int, dict[int, object]] = defaultdict(dict)
            for kpi_id, target_year, target in plan.AnnualTarget.objects.filter(
                kpi__measure__industry__program=program
            ).values_list("kpi_id", "year", "target"):
                by_kpi[kpi_id][target_year] = target
            plans[program.pk] = (
                {kpi_id: rules.TargetSeries(t) for kpi_id, t in by_kpi.items()},
                {
                    pk: (start, end)
                    for pk, start, end in plan.WorkItem.objects.filter(
                        schedule__industry__program=program
                    ).values_list("pk", "start", "end")
                },
                {
                    (industry_id, budget_year): amount
                    for industry_id, budget_year, amount in plan.BudgetLine.objects.filter(
                        program=program
                    ).values_list("industry_id", "year", "amount")
                },
            )
        series, items, budget = plans[program.pk]
        if (program.pk, year) not in units_of:
            units_of[(program.pk, year)] = _reporting_units(program.pk, year, reporter)
        units = units_of[(program.pk, year)]
        no_targets = rules.TargetSeries({})
        with transaction.atomic():
            submissions = []
            for industry_id, agency_id in sorted(units):
                fate = rng.random()
                status = (
                    SubmissionStatus.APPROVED
                    if fate < approved
                    else SubmissionStatus.SUBMITTED
                    if fate < (1 + approved) / 2
                    else SubmissionStatus.DRAFT
                )
                submissions.append(
                    progress.Submission(
                        period=period,
                        industry_id=industry_id,
                        agency_id=agency_id,
                        status=status,
                        is_demo=is_demo,
                    )
                )
            submissions = progress.Submission.objects.bulk_create(submissions)
            kpi_rows, item_rows, budget_rows, measure_rows = [], [], [], []
            planned_cache: dict[int, Decimal] = {}
            for submission in submissions:
                measures, kpis, work_items = units[(submission.industry_id, submission.agency_id)]
                annual_total = budget.get((submission.industry_id, year), Decimal(0))
                sid = submission.pk
                for measure_id in measures:
                    measure_rows.append((sid, measure_id, "（示範資料）依期程推動。"))
                    annual = (annual_total / max(len(measures), 1)).quantize(TWO_PLACES)
                    allocated = (annual * share).quantize(TWO_PLACES)
                    rate = Decimal(rng.choice([72, 85, 91, 95, 98, 100])) / 100
                    budget_rows.append(
                        (sid, measure_id, annual, allocated, (allocated * rate).quantize(TWO_PLACES))
                    )
                for kpi_id in kpis:
                    kpi_series = series.get(kpi_id, no_targets)
                    kind = kpi_series.kind(year)
                    factor = Decimal(rng.choice([60, 80, 95, 100, 105, 120])) / 100
                    value, done = None, None
                    if kind == "milestone" or kind is None:
                        done = quarter == 4 or rng.random() < 0.4
                    else:
                        expected = rules.expected_value(kpi_series, year, quarter) or Decimal(1)
                        value = (expected * factor).quantize(TWO_PLACES)
                    kpi_rows.append((sid, kpi_id, value, done, "（示範資料）"))
                for item_id in work_items:
                    start, end = items[item_id]
                    if item_id not in planned_cache:
                        planned_cache[item_id] = rules.planned_percent(start, end, period.end)
                    planned = planned_cache[item_id]
                    behind = Decimal(rng.choice([0, 0, 0, 5, 15, 25]))
                    percent = max(Decimal(0), planned - behind).quantize(Decimal(1))
                    status, lag_reason, remedy, completed_on = "", "", "", None
                    if percent >= 100:
                        status = WorkItemStatus.DONE
                        completed_on = None if rng.random() < 0.1 else min(end, period.end)
                    elif behind >= 15:
                        status = WorkItemStatus.LAGGING
                        if rng.random() < 0.8:  # some lag without a reason: a data-quality flag
                            lag_reason = "（示範資料）廠商申請案件審查時程延長"
                            remedy = "（示範資料）增加審查會議頻率"
                    else:
                        status = WorkItemStatus.ON_TRACK if percent else WorkItemStatus.NOT_STARTED
                    item_rows.append((sid, item_id, percent, str(status), lag_reason, remedy, completed_on))
            _insert(progress.MeasureReport, ("submission_id", "measure_id", "progress"), measure_rows)
            _insert(
                progress.BudgetReport,
                ("submission_id", "measure_id", "annual_budget", "allocated", "executed"),
                budget_rows,
            )
            _insert(progress.KPIReport, ("submission_id", "kpi_id", "value", "done", "note"), kpi_rows)
            _insert(
                progress.WorkItemReport,
                (
                    "submission_id",
                    "work_item_id",
                    "percent",
                    "status",
                    "lag_reason",
                    "remedy",
                    "completed_on",
                ),
                item_rows,
            )
        created += len(submissions)
    if rebuild and periods:
        first = min(periods, key=lambda p: (p.roc_year, p.quarter))
        _rebuild_from(first.code)
    return created


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument(
        "--periods", default="110Q1-113Q4", help="first-last quarter of the generated reports"
    )
    parser.add_argument(
        "--database-url", help="database to fill (default: $DATABASE_URL or the SQLite default)"
    )
    args = parser.parse_args(argv)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sixcore.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from sixcore.core.roc import parse_quarter
    from sixcore.plan.loader import load_program
    from sixcore.progress.models import ReportingPeriod

    call_command("migrate", verbosity=0)
    load_program()
    program = build_portfolio(args.scale)
    first, last = (parse_quarter(p) for p in args.periods.split("-"))
    periods = [p for p in ReportingPeriod.objects.all() if first <= (p.roc_year, p.quarter) <= last]
    n = generate_reports(periods)
    print(f"revision {program.revision}: {args.scale}× the seed; {n} submissions in {len(periods)} periods")


if __name__ == "__main__":
    main()
