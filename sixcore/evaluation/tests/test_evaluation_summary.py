"""The dashboards' summary (``evaluation.summary``) read from the stored rows equals the same summary
made from an exact evaluation, in both views, for the program and every industry, each KPI page and
light filter; its queries do not grow with the program; roll-up sums are checked by ``--check``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sixcore.evaluation import explain, service, store, summary
from sixcore.evaluation.models import StoredRollUp
from sixcore.progress.models import ReportingPeriod
from tests.factories import ndc_reviewer

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
from portfolio import build_portfolio, generate_reports  # noqa: E402


def _plain(figures: summary.Summary) -> dict:
    """What a dashboard shows of a summary, comparable across the two ways of making it."""
    return {
        "rollups": [(r.key, r.label, r.counts, r.items, r.weighted_achievement) for r in figures.rollups],
        "light_totals": figures.light_totals,
        "work_items": figures.work_items,
        "flags": figures.flags,
        "budget": [store.encode(b) for b in figures.budget],
        "risks": [store.encode(r) for r in figures.risks],
        "kpis": [(store.encode(k), k._demo) for k in figures.kpis.object_list],
        "count": figures.kpis.paginator.count,
        "completeness": figures.completeness,
        "is_demo": figures.is_demo,
        "revision": figures.revision,
    }


def _exact(period, user, **options) -> dict:
    published = not getattr(user, "is_authenticated", False)
    evaluation = service.evaluate_period(
        period,
        None if published else user,
        published_only=published,
        thresholds=explain.thresholds_in_force(),
    )
    return _plain(summary.from_evaluation(evaluation, **options))


@pytest.fixture
def reported(program):
    periods = list(ReportingPeriod.objects.all())
    generate_reports(periods[4:6])  # 111Q1, 111Q2: drafts, returned and approved reports (示範資料)
    return periods[5]


@pytest.mark.parametrize("who", ["public", "ndc"])
def test_stored_summary_equals_the_exact_one(reported, who):
    user = AnonymousUser() if who == "public" else ndc_reviewer()
    industries = list(summary.summary_for(reported, user).industries)
    for industry in [None, *industries]:
        for light in ("", "red", "green", "white"):
            for page in (1, 2, 3):
                options = {"industry": industry, "light": light, "page": page}
                assert _plain(summary.summary_for(reported, user, **options)) == _exact(
                    reported, user, **options
                ), options


def test_a_program_summary_reads_a_fixed_number_of_rows(program):
    """The seed and a 10× program: the same queries, and no query reads every KPI's result."""
    q2 = ReportingPeriod.by_code("111Q2")
    generate_reports([q2])
    user = ndc_reviewer()

    def queries():
        with CaptureQueriesContext(connection) as captured:
            figures = summary.summary_for(q2, user, page=2)
        return len(captured), figures

    seed, small = queries()
    build_portfolio(10, effective_from="111Q2")
    large, big = queries()
    assert seed == large <= 16, (seed, large)
    assert big.kpis.paginator.count == 10 * small.kpis.paginator.count
    assert len(big.kpis.object_list) == summary.KPI_PAGE_SIZE


def test_check_finds_a_wrong_roll_up_sum(reported):
    assert store.check([reported]) == []
    row = StoredRollUp.objects.filter(period=reported).order_by("pk").first()
    StoredRollUp.objects.filter(pk=row.pk).update(red=row.red + 1)
    differences = store.check([reported])
    assert len(differences) == 1 and f"rollup {row.measure}" in differences[0]


def _scoped_plain(evaluation, code: str) -> dict:
    scoped = evaluation.scoped(measure=code)
    plain = {
        kind: [store.encode(r) for r in scoped[kind]]
        for kind in ("kpis", "work_items", "budget", "risks", "flags")
    }
    plain["rollups"] = scoped["rollups"]["measure"]
    return plain


@pytest.mark.parametrize("who", ["public", "ndc", "officer"])
def test_a_measure_read_alone_equals_the_measure_in_the_whole_period(reported, who):
    """The measure dashboard and timeline read one measure's groups (or, for an officer whose drafts
    sit beside other agencies', compute that measure alone): the same results as the whole period."""
    from sixcore.accounts.models import Agency
    from sixcore.evaluation import read
    from sixcore.progress.choices import SubmissionStatus
    from sixcore.progress.models import Submission
    from tests.factories import editor

    if who == "officer":
        pending = Submission.objects.filter(period=reported).exclude(status=SubmissionStatus.APPROVED)
        agency = Agency.objects.get(pk=pending.order_by("pk").values_list("agency", flat=True).first())
        user = editor(agency.code)
        assert read.view_for(reported, user) is None  # computed for their scope, not read
    else:
        user = AnonymousUser() if who == "public" else ndc_reviewer()
    whole = read.evaluation_for(reported, user)
    for code in whole.measures:
        alone = read.evaluation_for(reported, user, measure=code)
        assert _scoped_plain(alone, code) == _scoped_plain(whole, code), code


@pytest.mark.parametrize("who", ["public", "ndc", "officer"])
def test_an_agency_read_alone_equals_the_agency_in_the_whole_period(reported, who):
    """The agency dashboard reads the groups naming the agency (or computes them alone): the same
    KPIs, work items, budget, risks, flags and roll-ups as the whole period restricted to it."""
    from sixcore.accounts.models import Agency
    from sixcore.evaluation import read
    from sixcore.progress.choices import SubmissionStatus
    from sixcore.progress.models import Submission
    from tests.factories import editor

    if who == "officer":
        pending = Submission.objects.filter(period=reported).exclude(status=SubmissionStatus.APPROVED)
        agency = Agency.objects.get(pk=pending.order_by("pk").values_list("agency", flat=True).first())
        user = editor(agency.code)
        assert read.view_for(reported, user) is None
    else:
        user = AnonymousUser() if who == "public" else ndc_reviewer()
    whole = read.evaluation_for(reported, user)
    assert len(whole.agencies) > 5
    for code in whole.agencies:
        alone = read.evaluation_for(reported, user, agency=code)
        want, have = whole.scoped(agency=code), alone.scoped(agency=code)
        for kind in ("kpis", "work_items", "budget", "risks", "flags"):
            assert [store.encode(r) for r in have[kind]] == [store.encode(r) for r in want[kind]], (
                code,
                kind,
            )
        assert service.rollups_for(have["kpis"], alone) == service.rollups_for(want["kpis"], whole), code
        assert want["kpis"] or want["work_items"] or want["budget"] or code not in ("moea", "most")


@pytest.mark.parametrize("who", ["public", "ndc", "officer"])
def test_the_api_roll_ups_from_stored_sums_equal_the_computed_ones(reported, who):
    from sixcore.accounts.models import Agency
    from sixcore.evaluation import read
    from sixcore.progress.choices import SubmissionStatus
    from sixcore.progress.models import Submission
    from tests.factories import editor

    if who == "officer":
        pending = Submission.objects.filter(period=reported).exclude(status=SubmissionStatus.APPROVED)
        user = editor(
            Agency.objects.get(pk=pending.order_by("pk").values_list("agency", flat=True).first()).code
        )
    else:
        user = AnonymousUser() if who == "public" else ndc_reviewer()
    whole = read.evaluation_for(reported, user)
    for by in service.ROLLUP_KINDS:
        assert summary.program_rollups(reported, user, by) == whole.rollups[by], by
