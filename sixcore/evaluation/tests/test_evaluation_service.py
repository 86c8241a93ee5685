"""The evaluation service against the real program and generated reports: figures of known KPIs,
the lead agency's actual, the revision in force, scope (anonymous sees approved only), early warning."""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser

from sixcore.evaluation import rules, service
from sixcore.evaluation.rules import Light
from sixcore.progress.choices import SubmissionStatus
from sixcore.progress.models import KPIReport, ReportingPeriod, Submission
from tests.factories import editor, open_period

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
from portfolio import build_portfolio  # noqa: E402


def report(period, agency: str, value, status=SubmissionStatus.APPROVED, kpi="1.2.2", industry="1"):
    """Set one agency's actual of a KPI and the submission's status (directly: the workflow is tested elsewhere)."""
    submission = Submission.objects.get(period=period, industry__code=industry, agency__code=agency)
    KPIReport.objects.filter(
        submission=submission, kpi__code=kpi, kpi__measure__code=kpi.rsplit(".", 1)[0]
    ).update(value=value)
    Submission.objects.filter(pk=submission.pk).update(status=status)
    return submission


def kpi(evaluation, code="1.2.2", measure="1.2"):
    return next(k for k in evaluation.kpis if k.kpi == code and k.measure == measure)


@pytest.fixture
def q2(program):
    return open_period("111Q2")


def test_expected_actual_and_light_of_a_known_kpi(q2):
    # 1.2.2: 110 累計 4 項 (its row rises to 累計 9, 15), 111 累計 9 項 → from 4 to 9: 4 + 5 × 2/4.
    report(q2, "moea", "6.5")
    result = kpi(service.evaluate_period(q2))
    assert (result.expected, result.actual, result.achievement, result.light) == (
        Decimal("6.5"),
        Decimal("6.5"),
        Decimal("1.0000"),
        Light.GREEN,
    )
    assert result.kind == "cumulative" and result.reported_by == "moea"
    assert result == kpi(service.evaluate_period("111Q2"))  # a code works as well as the period


def test_the_lead_agencys_actual_counts(q2):
    report(q2, "moea", "6")  # 經濟部 is 1.2.2's first agency
    report(q2, "most", "9")
    result = kpi(service.evaluate_period(q2))
    assert (
        result.actual == Decimal(6)
        and result.achievement == Decimal("0.9231")
        and result.light == Light.YELLOW
    )


def test_scope_anonymous_sees_approved_only(q2):
    report(q2, "moea", "4", status=SubmissionStatus.DRAFT)
    report(q2, "most", "6.5")
    everything = kpi(service.evaluate_period(q2))
    public = kpi(service.evaluate_period(q2, AnonymousUser()))
    assert everything.actual == Decimal(4)  # the lead's draft, for NDC and scripts
    assert public.actual == Decimal("6.5") and public.light == Light.GREEN  # the approved report only
    assert kpi(service.evaluate_period(q2, published_only=True)).actual == Decimal("6.5")
    assert kpi(service.evaluate_period(q2, editor("moea"))).actual == Decimal(4)  # its own draft
    assert service.evaluate_period(q2, AnonymousUser()).completeness.visible == 1


def test_nothing_reported_is_white(q2):
    result = kpi(service.evaluate_period(q2, AnonymousUser()))
    assert result.light == Light.WHITE and result.actual is None and result.expected == Decimal("6.5")


def test_revision_in_force(q2):
    assert service.evaluate_period(q2).revision == 0
    later = build_portfolio(1, effective_from="112Q1")
    assert service.evaluate_period(q2).revision == 0
    assert service.evaluate_period(open_period("112Q1")).revision == later.revision


def test_red_streak_makes_the_measure_high_risk(q2):
    q1 = open_period("111Q1")
    report(q1, "moea", "1")  # expected 5.25: red
    report(q2, "moea", "1")  # expected 6.5: red
    evaluation = service.evaluate_period(q2)
    risk = next(r for r in evaluation.risks if r.measure == "1.2")
    assert risk.tier == rules.RiskTier.HIGH and rules.RED_STREAK in {s["rule"] for s in risk.signals}
    assert evaluation.risks[0].tier == rules.RiskTier.HIGH
    assert kpi(evaluation).forecast is not None


def test_rollups_count_every_kpi(q2):
    report(q2, "moea", "6.5")
    evaluation = service.evaluate_period(q2)
    for by in service.ROLLUP_KINDS:
        assert evaluation.rollups[by]
    industry = {r.key: r for r in evaluation.rollups["industry"]}
    assert sum(r.items for r in industry.values()) == len(evaluation.kpis)
    assert industry["1"].counts["green"] >= 1
    assert industry["1"].weighted_achievement == Decimal("1.0000")


def test_data_quality_flags(q2):
    from sixcore.progress.models import WorkItemReport

    # An item that started by 111/01 and runs past 111/06 is planned above 0 % at the end of 111Q2.
    line = WorkItemReport.objects.filter(
        submission__period=q2, work_item__start__lte=date(2022, 1, 1), work_item__end__gte=date(2022, 12, 1)
    ).first()
    WorkItemReport.objects.filter(pk=line.pk).update(percent=0, lag_reason="")
    evaluation = service.evaluate_period(q2)
    ref = f"{line.work_item.schedule.code}/{line.work_item.code}"
    item = next(w for w in evaluation.work_items if f"{w.schedule}/{w.code}" == ref)
    assert item.lag > 0 and item.light != Light.WHITE
    assert any(f.code == rules.LAG_WITHOUT_REASON and f.ref == ref for f in evaluation.flags)


def test_kpi_history_over_every_period(q2):
    report(q2, "moea", "6.5")
    history = service.kpi_history("1.2", "1.2.2")
    assert len(history["rows"]) == 16
    row = next(r for r in history["rows"] if r["period"] == "111Q2")
    assert row["light"] == Light.GREEN and row["actual"] == Decimal("6.5")
    assert service.kpi_history("1.2", "9.9.9") is None


# --- the fixed cost of one period -----------------------------------------------------------------


def _queries(period) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        service.evaluate_period(period)
    return len(queries.captured_queries)


def test_evaluate_period_reads_a_fixed_number_of_queries_whatever_the_program(q2):
    """The seed and a 3x revision in force from 112Q1 cost the same queries; each period is judged
    against its own revision."""
    from portfolio import generate_reports

    generate_reports([q2])
    seed = _queries(q2)
    assert seed == 15  # plan, agencies, report lines, counts: none per KPI
    later = build_portfolio(3, effective_from="112Q1")
    q5 = open_period("112Q1")
    generate_reports([q5])
    assert _queries(q5) == _queries(q2) == seed
    bigger, smaller = service.evaluate_period(q5), service.evaluate_period(q2)
    assert bigger.revision == later.revision and smaller.revision == 0
    assert ("1.2x2", "1.2.2") in {(k.measure, k.key) for k in bigger.kpis}
    assert ("1.2x2", "1.2.2") not in {(k.measure, k.key) for k in smaller.kpis}
    with pytest.raises(ReportingPeriod.DoesNotExist):
        service.evaluate_period("099Q1")


def test_a_revision_in_force_without_kpis_evaluates_to_nothing(q2):
    """Its periods have no KPI to judge, even with reports filed under the revision before, and every
    roll-up is empty."""
    from portfolio import generate_reports

    from sixcore.plan.models import Program

    q1 = ReportingPeriod.by_code("113Q1")
    assert generate_reports([q1])
    Program.objects.create(
        name="六大核心戰略產業推動方案",
        revision=9,
        title="測試：無指標的修正",
        revision_date=date(2024, 1, 1),
        start_year=110,
        end_year=113,
        effective_from="113Q1",
    )
    evaluation = service.evaluate_period(q1)
    assert evaluation.kpis == [] and evaluation.revision == 9
    assert evaluation.rollups == {by: [] for by in service.ROLLUP_KINDS}
    assert service.evaluate_period(q2).kpis


def test_the_evaluation_reads_through_the_orm_only():
    """No query compiled by hand nor run on the DB-API cursor (issue 18): one audited path."""
    import sixcore.evaluation

    root = Path(sixcore.evaluation.__file__).parent
    sources = {  # the app's code, not its tests (which name the needles)
        path: path.read_text(encoding="utf-8")
        for path in root.rglob("*.py")
        if "tests" not in path.relative_to(root).parts
    }
    for needle in ("get_compiler", ".cursor(", "connections[", "raw("):
        assert not [path for path, text in sources.items() if needle in text], needle


def test_the_service_is_a_package_of_loading_period_and_history():
    """Split along its seams (issue 18: loading, one period, many periods at once for a rebuild, a
    KPI's history, roll-ups), each module short; the public names stay on ``service``."""
    import sixcore.evaluation.service as package

    root = Path(package.__path__[0])
    assert sorted(p.stem for p in root.glob("*.py")) == [
        "__init__",
        "batch",
        "history",
        "loading",
        "period",
        "rollups",
    ]
    for path in root.glob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) < 600, path.name
    for name in ("evaluate_period", "Evaluation", "kpi_history", "to_plain", "ROLLUP_KINDS", "rollups_for"):
        assert name in service.__all__ and getattr(service, name)
