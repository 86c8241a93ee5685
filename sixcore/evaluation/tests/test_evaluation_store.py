"""The stored evaluation (issue 18): fresh after every write, equal to a rebuild whatever the sequence
of writes, read by the pages without re-evaluating, consistent under concurrent writers.

- a saved line, then a read in the same connection and in another one: the new result;
- two writes committing out of order (PostgreSQL), then reads: both results;
- two writers on the same measure at once (PostgreSQL): the stored result counts both;
- hypothesis: any sequence of saves and transitions leaves the store equal to ``evaluate --check``'s
  recomputation; the command exits 1 and lists differences when it is not;
- the dashboards read stored rows: no report-line table in their SQL, a fixed number of queries.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import threading
from contextlib import nullcontext
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sixcore.evaluation import read, store
from sixcore.evaluation.models import ResultView, StoredResult, StoredRollUp
from sixcore.progress import clock, workflow
from sixcore.progress.models import BudgetReport, KPIReport, ReportingPeriod, Submission, WorkItemReport
from sixcore.progress.services import save_lines
from sixcore.progress.signals import batch
from tests.factories import editor, ndc_admin, ndc_reviewer, open_period
from tests.live_servers import clone_database, is_postgres

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
from portfolio import build_portfolio, generate_reports  # noqa: E402

OPEN_DAY = {"111Q2": date(2022, 7, 5), "113Q2": date(2024, 7, 5), "113Q3": date(2024, 10, 5)}


def _kpi(period: str, user=None, *, measure: str, code: str):
    evaluation = read.evaluation_for(period, user)
    return next(k for k in evaluation.kpis if (k.measure, k.key) == (measure, code))


def _kpi_line(submission: Submission) -> KPIReport:
    return (
        KPIReport.objects.filter(submission=submission).select_related("kpi__measure").order_by("pk").first()
    )


def _save_kpi(submission: Submission, line: KPIReport, value) -> Submission:
    submission.refresh_from_db()
    key = f"{line.kpi.measure.code}/{line.kpi.code}"
    with clock.as_of(OPEN_DAY[submission.period.code]):
        return save_lines(
            submission, editor(submission.agency.code), submission.version, {"kpis": {key: {"value": value}}}
        )


# --- in one connection (the test's transaction)


def test_a_saved_line_is_in_the_next_read(program):
    period = open_period("111Q2")
    moea = Submission.objects.get(period=period, industry__code="1", agency__code="moea")
    line = _kpi_line(moea)
    assert _kpi("111Q2", measure=line.kpi.measure.code, code=line.kpi.code).actual is None
    _save_kpi(moea, line, "7")
    assert _kpi("111Q2", measure=line.kpi.measure.code, code=line.kpi.code).actual == Decimal(7)
    # Not published until approved; then the public sees it, and after a reopening no longer.
    public = read.evaluation_for("111Q2", published_only=True)
    assert (
        next(k for k in public.kpis if k.key == line.kpi.code and k.measure == line.kpi.measure.code).actual
        is None
    )
    with clock.as_of(OPEN_DAY["111Q2"]):
        workflow.submit(moea, editor("moea"))
    workflow.approve(moea, ndc_reviewer())
    assert _kpi_published(line) == Decimal(7)
    workflow.reopen(moea, ndc_admin(), "更正")
    assert _kpi_published(line) is None
    assert store.check([period]) == []


def _kpi_published(line: KPIReport):
    evaluation = read.evaluation_for("111Q2", published_only=True)
    return next(
        k for k in evaluation.kpis if (k.measure, k.key) == (line.kpi.measure.code, line.kpi.code)
    ).actual


def test_a_later_period_follows_an_earlier_save(program):
    """A KPI's forecast in later periods depends on earlier actuals: those rows move too."""
    open_period("111Q2")
    moea = Submission.objects.get(
        period__roc_year=111, period__quarter=2, industry__code="1", agency__code="moea"
    )
    line = next(
        r
        for r in KPIReport.objects.filter(submission=moea).select_related("kpi__measure")
        if r.kpi.annual_targets.filter(year=111).exists()
    )
    later = [p for p in ReportingPeriod.objects.all() if (p.roc_year, p.quarter) > (111, 2)]
    _save_kpi(moea, line, "3")
    assert store.check(later) == []


def test_rebuild_and_check_commands(program, capsys):
    period = open_period("111Q2")
    moea = Submission.objects.get(period=period, industry__code="1", agency__code="moea")
    line = _kpi_line(moea)
    KPIReport.objects.filter(pk=line.pk).update(value=5)  # beside the write path: the store misses it
    with pytest.raises(SystemExit) as exit_:
        call_command("evaluate", "--check", "--period", "111Q2", verbosity=0)
    assert exit_.value.code == 1
    out = capsys.readouterr().out
    assert f"111Q2 working kpi {line.kpi.measure.code}/{line.kpi.code}: data stored" in out
    assert out.rstrip().endswith("differences") and not out.rstrip().endswith(" 0 differences")
    call_command("evaluate", "--rebuild", "--period", "111Q2", verbosity=0)
    call_command("evaluate", "--check", "--period", "111Q2", verbosity=0)
    assert capsys.readouterr().out.rstrip().endswith("0 differences")
    assert _kpi("111Q2", measure=line.kpi.measure.code, code=line.kpi.code).actual == Decimal(5)


# --- any sequence of writes: incremental == rebuild

ACTIONS = ("kpi", "kpi", "work_item", "budget", "submit", "approve", "return", "reopen")


class _Rollback(Exception):
    pass


@pytest.fixture
def two_periods(program):
    """Three industry-1 submissions in each of 113Q2 and 113Q3 (they share measures)."""
    subs = {}
    for code in ("113Q2", "113Q3"):
        period = open_period(code)
        subs[code] = list(
            Submission.objects.filter(period=period, industry__code="1")
            .select_related("agency", "period")
            .order_by("agency__order")[:3]
        )
    return subs


def _apply(submission: Submission, action: str, pick: int, value: int) -> None:
    day = OPEN_DAY[submission.period.code]
    submission.refresh_from_db()
    user = editor(submission.agency.code)
    try:
        with clock.as_of(day):
            if action == "kpi":
                lines = list(
                    KPIReport.objects.filter(submission=submission)
                    .select_related("kpi__measure")
                    .order_by("pk")
                )
                line = lines[pick % len(lines)]
                changes = {"kpis": {f"{line.kpi.measure.code}/{line.kpi.code}": {"value": value}}}
            elif action == "work_item":
                lines = list(
                    WorkItemReport.objects.filter(submission=submission)
                    .select_related("work_item__schedule")
                    .order_by("pk")
                )
                line = lines[pick % len(lines)]
                key = f"{line.work_item.schedule.code}/{line.work_item.code}"
                changes = {
                    "work_items": {key: {"percent": value % 101, "lag_reason": "原因", "remedy": "對策"}}
                }
            elif action == "budget":
                lines = list(
                    BudgetReport.objects.filter(submission=submission)
                    .select_related("measure")
                    .order_by("pk")
                )
                line = lines[pick % len(lines)]
                changes = {
                    "budget": {
                        line.measure.code: {"allocated": 10, "executed": value % 12, "annual_budget": 20}
                    }
                }
            elif action == "submit":
                workflow.submit(submission, user)
                return
            elif action == "approve":
                workflow.approve(submission, ndc_reviewer())
                return
            elif action == "return":
                workflow.return_for_revision(submission, ndc_reviewer(), "請補充")
                return
            else:
                workflow.reopen(submission, ndc_admin(), "更正")
                return
            save_lines(submission, user, submission.version, changes)
    except (PermissionDenied, workflow.InvalidTransition, workflow.IncompleteSubmission):
        pass  # a step its state refuses: nothing written, nothing to refresh


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["113Q2", "113Q3"]),
            st.integers(0, 2),
            st.sampled_from(ACTIONS),
            st.integers(0, 40),
            st.integers(0, 500),
        ),
        min_size=1,
        max_size=8,
    ),
    batched=st.booleans(),
)
def test_any_sequence_of_writes_leaves_the_store_equal_to_a_rebuild(two_periods, steps, batched):
    """… written one by one, or inside ``progress.signals.batch()`` (refreshed once, merged)."""
    later = [p for p in ReportingPeriod.objects.all() if (p.roc_year, p.quarter) >= (113, 2)]
    try:
        with transaction.atomic():
            with batch() if batched else nullcontext():
                for period, which, action, pick, value in steps:
                    subs = two_periods[period]
                    _apply(subs[which % len(subs)], action, pick, value)
            assert store.check(later) == []
            raise _Rollback
    except _Rollback:
        pass


# --- what the pages read

PAGES = [
    "/dashboard/?period=111Q2",
    "/dashboard/industries/1/?period=111Q2",
    "/dashboard/measures/1.2/?period=111Q2",
    "/dashboard/agencies/moea/?period=111Q2",
    "/dashboard/measures/1.2/timeline/?period=111Q2",
    "/dashboard/attention/?period=111Q2",
    "/api/evaluation/kpis/?period=111Q2",
    "/api/evaluation/rollups/?period=111Q2&by=agency",
]
LINE_TABLES = ("progress_kpireport", "progress_workitemreport", "progress_budgetreport")


@pytest.mark.parametrize("who", ["public", "ndc"])
def test_pages_read_stored_rows_not_report_lines(client, program, who):
    period = open_period("111Q2")
    moea = Submission.objects.get(period=period, industry__code="1", agency__code="moea")
    _save_kpi(moea, _kpi_line(moea), "4")
    if who == "ndc":
        client.force_login(ndc_reviewer())
    for url in PAGES if who == "ndc" else [u for u in PAGES if "attention" not in u]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        sql = " ".join(q["sql"] for q in queries.captured_queries)
        assert not [t for t in LINE_TABLES if t in sql], url
        assert len(queries.captured_queries) <= 20, (url, len(queries.captured_queries))
        assert "evaluation_storedresult" in sql, url


def test_an_officer_with_own_and_others_drafts_gets_an_exact_evaluation(program):
    """No stored view equals moea's scope when another agency has a draft: it is evaluated for them."""
    period = open_period("111Q2")
    moea = Submission.objects.get(period=period, industry__code="1", agency__code="moea")
    line = _kpi_line(moea)
    _save_kpi(moea, line, "9")
    officer = editor("moea")
    assert read.view_for(period, officer) is None
    assert _kpi("111Q2", officer, measure=line.kpi.measure.code, code=line.kpi.code).actual == Decimal(9)
    assert read.view_for(period, None) == ResultView.WORKING
    assert read.view_for(period, ndc_reviewer()) == ResultView.WORKING


# --- other connections, concurrent writers (a private copy of the database, committed writes)


@pytest.fixture(scope="module")
def copy(django_db_setup, django_db_blocker, tmp_path_factory):
    database = clone_database(django_db_blocker, tmp_path_factory.mktemp("store"), "store")
    with database.orm():
        open_period("111Q2")
    try:
        yield database
    finally:
        database.drop()


def _in_thread(database, fn, *args):
    """Run ``fn`` in a thread with its own connection to the copy; re-raise what it raised."""
    result, errors = {}, []

    def run():
        try:
            with database.orm():
                result["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result, errors


def _join(thread, errors, timeout=120):
    thread.join(timeout)
    assert not thread.is_alive(), "a writer did not finish"
    if errors:
        raise errors[0]


def _submissions(agencies=("moea", "most")):
    return [
        Submission.objects.select_related("period", "agency").get(
            period__roc_year=111, period__quarter=2, industry__code="1", agency__code=code
        )
        for code in agencies
    ]


def test_a_committed_write_is_in_a_new_connections_read(copy, django_db_blocker):
    with copy.orm():
        moea = _submissions(("moea",))[0]
        line = _kpi_line(moea)
        _save_kpi(moea, line, "11")
        here = _kpi("111Q2", measure=line.kpi.measure.code, code=line.kpi.code).actual
    with django_db_blocker.unblock():  # held while threads unblock and restore in any order
        thread, result, errors = _in_thread(
            copy, lambda: _kpi("111Q2", measure=line.kpi.measure.code, code=line.kpi.code).actual
        )
        _join(thread, errors)
    assert here == result["value"] == Decimal(11)


def _shared_budget_measure(subs) -> str:
    codes = [
        set(BudgetReport.objects.filter(submission=s).values_list("measure__code", flat=True)) for s in subs
    ]
    return sorted(codes[0] & codes[1])[0]


@pytest.mark.skipif(not is_postgres(), reason="concurrent writers need PostgreSQL (SQLite has one writer)")
def test_two_writes_committing_out_of_order_are_both_read(copy, django_db_blocker):
    """A saves and holds its transaction open; B saves (another measure) and commits; then A commits."""
    with copy.orm():
        moea, most = _submissions()
        a_line, b_line = _kpi_line(moea), _kpi_line(most)
        assert a_line.kpi.measure_id != b_line.kpi.measure_id or a_line.kpi_id != b_line.kpi_id
    a_saved, b_done = threading.Event(), threading.Event()

    def writer_a():
        with transaction.atomic():
            _save_kpi(moea, a_line, "21")
            a_saved.set()
            assert b_done.wait(60)

    def writer_b():
        assert a_saved.wait(60)
        _save_kpi(most, b_line, "22")
        b_done.set()

    with django_db_blocker.unblock():
        a, _, a_errors = _in_thread(copy, writer_a)
        b, _, b_errors = _in_thread(copy, writer_b)
        _join(b, b_errors)
        _join(a, a_errors)
    with copy.orm():
        assert _kpi("111Q2", measure=a_line.kpi.measure.code, code=a_line.kpi.code).actual == Decimal(21)
        assert _kpi("111Q2", measure=b_line.kpi.measure.code, code=b_line.kpi.code).actual == Decimal(22)
        assert store.check([ReportingPeriod.by_code("111Q2")]) == []


@pytest.mark.skipif(not is_postgres(), reason="concurrent writers need PostgreSQL (SQLite has one writer)")
def test_two_writers_on_one_measure_are_both_counted(copy, django_db_blocker):
    """Two agencies' budget lines of one measure, saved at once: the measure's execution counts both."""
    with copy.orm():
        subs = _submissions()
        measure = _shared_budget_measure(subs)
    a_saved = threading.Event()

    def save(submission, executed, hold):
        submission.refresh_from_db()
        with clock.as_of(OPEN_DAY["111Q2"]), transaction.atomic():
            save_lines(
                submission,
                editor(submission.agency.code),
                submission.version,
                {"budget": {measure: {"allocated": 10, "executed": executed, "annual_budget": 20}}},
            )
            if hold:
                a_saved.set()
                threading.Event().wait(1.0)  # B is now waiting for this measure's lock

    with django_db_blocker.unblock():
        a, _, a_errors = _in_thread(copy, save, subs[0], 3, True)
        assert a_saved.wait(60)
        b, _, b_errors = _in_thread(copy, save, subs[1], 4, False)
        _join(a, a_errors)
        _join(b, b_errors)
    with copy.orm():
        period = ReportingPeriod.by_code("111Q2")
        row = StoredResult.objects.get(period=period, view=ResultView.WORKING, kind="budget", key=measure)
        assert Decimal(row.data["executed"]) == Decimal(7)
        assert store.check([period]) == []


def test_an_approved_revision_is_in_the_stored_evaluation_from_its_quarter(program):
    """Approving a revision rebuilds the periods it applies to, in the approval's transaction."""
    from sixcore.plan.models import Program
    from sixcore.revisions import services as revisions

    revision = revisions.draft_revision(
        ndc_reviewer(), Program.objects.get(revision=0), reason="112 年滾動檢討", effective_from="113Q3"
    )
    revisions.edit_kpi(revision, ndc_reviewer(), "1.2", "1.2.2", full_term="修正後之全期目標")
    assert read.evaluation_for("113Q3").revision == 0  # a draft changes nothing
    revision.approve(ndc_admin(), "院核定")
    assert read.evaluation_for("113Q2").revision == 0
    assert read.evaluation_for("113Q3").revision == 1
    assert _kpi("113Q4", measure="1.2", code="1.2.2").text == "修正後之全期目標"
    assert (
        store.check([p for p in ReportingPeriod.objects.all() if (p.roc_year, p.quarter) >= (113, 2)]) == []
    )


# --- the full rebuild: its queries do not grow with the periods nor with the portfolio


def _rebuild_statements(periods) -> tuple[int, int, int]:
    """(statements other than inserts, inserts, rows written) of a rebuild into an emptied store."""
    StoredResult.objects.all().delete()
    StoredRollUp.objects.all().delete()
    with CaptureQueriesContext(connection) as captured:
        written = store.rebuild(periods)
    inserts = sum(1 for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("INSERT"))
    return len(captured) - inserts, inserts, written


def test_a_rebuild_reads_everything_in_a_fixed_number_of_queries(program):
    """One period or sixteen, the seed or a 3× portfolio: the same reads (each revision's plan, the
    agencies, per view the KPI, work-item and budget lines of every period at once); only the
    inserts grow with the rows, many rows to a statement.  The result equals a recomputation."""
    periods = list(ReportingPeriod.objects.all())
    generate_reports(periods[4:6], rebuild=False)  # 111Q1, 111Q2: drafts and approved reports
    one = _rebuild_statements(periods[4:5])
    every = _rebuild_statements(periods)
    build_portfolio(3, rebuild=False)  # in force from 110Q1: every period, three times the KPIs
    bigger = _rebuild_statements(periods)
    assert one[0] == every[0] == bigger[0] <= 25  # 21 on SQLite
    assert bigger[2] > 2 * every[2] > 2 * one[2] > 0
    for _reads, inserts, rows in (one, every, bigger):
        assert inserts <= math.ceil(rows / 100) + rows // store._Writer.BATCH + 2  # rows and lock rows
    assert store.check(periods[4:8]) == []


# --- a write's refresh: its reads do not grow with the later periods nor with the portfolio


def _refresh_reads(period: ReportingPeriod, measures: set[str]) -> int:
    """Statements of a refresh (both views) that writes nothing, a first one having made the store
    equal, less the two comparisons per period and view (the stored rows, the roll-up sums)."""
    views = [ResultView.WORKING, ResultView.PUBLISHED]
    store.refresh(period, views, measures, set())
    with CaptureQueriesContext(connection) as captured:
        store.refresh(period, views, measures, set())
    refreshed = [
        p
        for p in ReportingPeriod.objects.all()
        if (p.roc_year, p.quarter) >= (period.roc_year, period.quarter)
    ]
    return len(captured) - 2 * 2 * len(refreshed)


def test_a_saved_kpi_refreshes_later_periods_in_a_fixed_number_of_reads(program):
    """A KPI line saved in 110Q1 refreshes its measure in sixteen periods (forecasts and red streaks
    follow), one saved in 113Q4 in one: the same reads (the revisions in force, the agencies, the
    measure's plan, per view its KPI and budget lines of every period at once), one measure or
    three, the seed or a 3× portfolio.  The refreshed store equals a recomputation."""
    periods = list(ReportingPeriod.objects.all())
    generate_reports(periods[4:6])  # 111Q1, 111Q2: drafts and approved reports; stored from 111Q1
    lines = KPIReport.objects.filter(submission__period=periods[4], kpi__measure__code="1.2")
    lines.update(value=Decimal("0.5"))  # beside the write path: 1.2 is stale from 111Q1 on
    assert store.check(periods[4:5]) != []
    first = _refresh_reads(periods[0], {"1.2"})
    assert store.check(periods[4:8]) == []
    last = _refresh_reads(periods[-1], {"1.2"})
    several = _refresh_reads(periods[4], {"1.1", "1.2", "2.1"})
    build_portfolio(3, rebuild=False)  # in force from 110Q1: every period, three times the KPIs
    bigger = _refresh_reads(periods[0], {"1.2"})
    assert first == last == several == bigger <= 21  # 21 on SQLite


def test_a_transitions_later_periods_take_the_plan_without_its_work_items(program):
    """An approval refreshes measures from the period on and schedules in it: the later periods'
    plan, taken from the first one's without its work items, is the one they would read."""
    from sixcore.evaluation.service.loading import _load_plan
    from sixcore.plan.models import ScheduleTable

    measures = {"1.1", "1.2", "2.1"}
    schedules = set(ScheduleTable.objects.filter(industry__program=program).values_list("code", flat=True))
    wide = _load_plan(program, measures, schedules)
    assert wide.work_items and set(wide.measures) > measures
    narrow = _load_plan(program, measures, set())
    taken = wide.without_work_items(measures)
    for field in dataclasses.fields(narrow):
        if field.name == "series":  # read from ``targets``, the same ones
            assert taken.series.keys() == narrow.series.keys()
        else:
            assert getattr(taken, field.name) == getattr(narrow, field.name), field.name
