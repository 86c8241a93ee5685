"""Pre-fill of the 自評 from the year's quarterly evaluation: KPI achievement, schedule lag and
budget execution of the unit's own industry and agency, with the period and source recorded."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sixcore.annual import prefill, services, setup
from sixcore.annual.choices import ScoreStage, Stage
from sixcore.annual.models import AnnualEvaluation
from sixcore.core.changelog import history_for
from sixcore.evaluation.service import evaluate_period
from sixcore.progress.models import Submission
from sixcore.progress.services import save_lines
from tests.factories import editor, open_period

YEAR = 111


@pytest.fixture
def reported(db, monkeypatch):
    """經濟部's 111Q4 report for industry 1: every KPI due met except one at half and one unreported,
    a few work items reported, budget in 億元 and in 千元."""
    monkeypatch.setenv("SIXCORE_AS_OF", "2023-01-10")
    period = open_period("111Q4")
    submission = Submission.objects.get(period=period, industry__code="1", agency__code="moea")
    before = evaluate_period(period).scoped(industry="1", agency="moea")
    due = [k for k in before["kpis"] if k.expected is not None and k.expected > 0]
    kpis = {}
    for k in due:
        if k.kpi == "1.3.1":
            continue  # not reported: counts 0 %
        if k.kind == "milestone":
            kpis[k.kpi] = {"done": True}
        else:
            kpis[k.kpi] = {"value": k.expected / 2 if k.kpi == "1.2.1" else k.expected}
    items = {
        "1-2/1.1.1": {"percent": 100, "status": "done", "completed_on": "2022-12-01"},
        "1-2/1.2.1": {"percent": 10, "lag_reason": "招標延宕", "remedy": "加速辦理"},
        "1-2/2.1.2": {"percent": 90},
    }
    budget = {
        "1.2": {"unit": "億元", "allocated": 10, "executed": "8.1", "annual_budget": 12},
        "1.3": {"unit": "千元", "allocated": 1_000_000, "executed": 900_000, "annual_budget": 1_000_000},
    }
    save_lines(
        submission, editor("moea"), submission.version, {"kpis": kpis, "work_items": items, "budget": budget}
    )
    monkeypatch.setenv("SIXCORE_AS_OF", "2023-02-01")
    setup.ensure_evaluations(YEAR)
    return {"period": period, "due": due}


def rows(evaluation):
    return {s.indicator.rule: s for s in services.stage_scores(evaluation, ScoreStage.SELF)}


def test_prefill_from_the_years_q4(reported):
    assert prefill.prefill_year(YEAR) == AnnualEvaluation.objects.filter(year=YEAR).count()
    moea = AnnualEvaluation.objects.get(year=YEAR, industry__code="1", agency__code="moea")
    assert moea.prefilled_from == "111Q4" and moea.prefilled_at is not None
    scores = rows(moea)
    n = len(reported["due"])
    # Every KPI due at 100 % except one at 50 % and one unreported (0 %).
    kpi = scores["kpi_achievement"]
    assert kpi.prefilled_value == (Decimal(100 * (n - 2) + 50) / n).quantize(Decimal("0.01"))
    assert kpi.score == kpi.prefilled_score == kpi.prefilled_value  # range 0–100, full at 100 %
    assert (
        reported["period"].label in kpi.prefill_source
        and str(n) in kpi.prefill_source
        and "1.3.1" in kpi.prefill_source
    )
    # Budget: (8.1 + 9) / (10 + 10) 億元 = 85.5 %, against the 90 % standard → 95.
    budget = scores["budget_execution"]
    assert budget.prefilled_value == Decimal("85.50") and budget.score == Decimal("95.00")
    assert "17.1" in budget.prefill_source and "20" in budget.prefill_source
    # Lag: the mean of the reported items' lag (ahead counts 0), from the evaluation of the unit.
    lag = scores["schedule_lag"]
    items = evaluate_period(reported["period"]).scoped(industry="1", agency="moea")["work_items"]
    lags = [max(w.lag, 0) for w in items if w.lag is not None]
    assert len(lags) == 3
    assert lag.prefilled_value == (sum(lags) / 3).quantize(Decimal("0.01"))
    assert lag.prefilled_value > 0 and lag.score < 100
    # The manual indicator is left to the agency.
    assert scores["manual"].prefilled_value is None and scores["manual"].score is None
    assert history_for(moea).filter(action="annual.prefill").exists()


def test_prefill_is_scoped_to_the_unit(reported):
    prefill.prefill_year(YEAR)
    most = AnnualEvaluation.objects.get(year=YEAR, industry__code="1", agency__code="most")
    scores = rows(most)
    # 科技部 reported nothing: no budget or lag figure of its own (it leads no reported work item).
    assert scores["budget_execution"].prefilled_value is None
    assert scores["schedule_lag"].prefilled_value is None
    assert "no " in scores["schedule_lag"].prefill_source or "無" in scores["schedule_lag"].prefill_source
    # Its KPIs are those it is on: shared ones (reported by 經濟部) count with their achievement,
    # its own unreported ones 0 %; KPIs of other units never enter.
    kpi = scores["kpi_achievement"]
    kpi_keys, _items = prefill.unit_codes(reported["period"], YEAR)[(most.industry_id, most.agency_id)]
    due = [
        k
        for k in evaluate_period(reported["period"]).kpis
        if (k.measure, k.key) in kpi_keys and k.expected is not None and k.expected > 0
    ]
    expected = [min((k.achievement or 0) * 100, 100) for k in due]
    assert f"{len(due)} " in kpi.prefill_source
    assert kpi.prefilled_value == (sum(expected) / len(expected)).quantize(Decimal("0.01"))
    assert 0 < kpi.prefilled_value < 100  # some shared KPIs met, some of its own not reported


def test_prefilled_scores_carry_into_the_stages_and_are_argued_not_overwritten(reported):
    prefill.prefill_year(YEAR)
    moea = AnnualEvaluation.objects.get(year=YEAR, industry__code="1", agency__code="moea")
    services.save_scores(
        moea,
        editor("moea"),
        ScoreStage.SELF,
        moea.version,
        {
            "planning": {"score": 88, "comment": "規劃完善"},
            "budget": {"argued_score": 100, "argued_reason": "12 月追加預算撥付較晚"},
        },
    )
    moea.submit_self(editor("moea"))
    initial = {s.indicator.code: s for s in services.stage_scores(moea, ScoreStage.INITIAL)}
    assert initial["budget"].score == 100 and initial["budget"].prefilled_value == Decimal("85.50")
    assert initial["planning"].score == 88
    assert "111 年第 4 季" in initial["kpi"].prefill_source


def test_prefill_leaves_evaluations_past_self_alone(reported):
    prefill.prefill_year(YEAR)
    moea = AnnualEvaluation.objects.get(year=YEAR, industry__code="1", agency__code="moea")
    services.save_scores(moea, editor("moea"), ScoreStage.SELF, moea.version, {"planning": {"score": 60}})
    moea.submit_self(editor("moea"))
    version = moea.version
    prefill.prefill_year(YEAR)
    moea.refresh_from_db()
    assert moea.stage == Stage.INITIAL and moea.version == version


@pytest.mark.parametrize(
    ("day", "code"),
    [("2024-02-01", "112Q4"), ("2023-10-11", "112Q3"), ("2023-06-30", "112Q2"), ("2023-04-01", "112Q1")],
)
def test_the_period_is_q4_or_the_latest_complete_quarter(db, monkeypatch, day, code):
    """An evaluation opened before the year is over reads its last complete quarter."""
    monkeypatch.setenv("SIXCORE_AS_OF", day)
    assert setup.year_period(112).code == code


def test_no_period_before_the_first_quarter_ends(db, monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2023-03-01")
    assert setup.year_period(112) is None
    setup.ensure_evaluations(112)  # the units are known from the year's plan all the same
    assert prefill.prefill_year(112) == 0
