"""A year's set-up (indicators summing to 100, grade thresholds, calendar), its guards, and the grade
distribution per industry."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from sixcore.annual import services, setup, summary
from sixcore.annual.choices import ScoreStage, ScoringRule
from sixcore.annual.exceptions import Problems
from sixcore.annual.models import AnnualCycle, AnnualEvaluation, GradeThreshold, Indicator
from sixcore.core.changelog import history_for
from tests.factories import editor, ndc_admin, ndc_reviewer

ROWS = [
    {"code": "plan", "category": "計畫作業", "name": "規劃", "weight": 30, "rule": ScoringRule.MANUAL},
    {
        "code": "kpi",
        "category": "目標達成",
        "name": "KPI 達成",
        "weight": 70,
        "rule": ScoringRule.KPI_ACHIEVEMENT,
    },
]


def test_defaults_then_copied_from_the_previous_year(db):
    setup.ensure_year(111)
    assert sum(i.weight for i in Indicator.objects.filter(year=111)) == 100
    assert list(GradeThreshold.objects.filter(year=111).values_list("label", "min_score")) == [
        ("優等", 90),
        ("甲等", 80),
        ("乙等", 70),
        ("丙等", 0),
    ]
    cycle = AnnualCycle.objects.get(year=111)
    assert (str(cycle.self_opens), str(cycle.self_due), str(cycle.initial_due)) == (
        "2023-01-10",
        "2023-03-25",
        "2023-04-15",
    )
    setup.set_indicators(111, ROWS, ndc_admin())
    setup.ensure_year(112)
    assert list(Indicator.objects.filter(year=112).values_list("code", "weight")) == [
        ("plan", 30),
        ("kpi", 70),
    ]
    # Versioned per year: 111's rows are untouched by 112's.
    setup.set_indicators(112, [{**ROWS[0], "weight": 40}, {**ROWS[1], "weight": 60}], ndc_admin())
    assert Indicator.objects.get(year=111, code="plan").weight == 30


def test_weights_must_sum_to_100_and_nothing_is_half_written(db):
    setup.ensure_year(111)
    before = list(Indicator.objects.filter(year=111).values_list("code", "weight"))
    with pytest.raises(Problems) as refused:
        setup.set_indicators(111, [ROWS[0], {**ROWS[1], "weight": 60}], ndc_admin())
    assert any("90" in p and "100" in p for p in refused.value.problems)
    assert list(Indicator.objects.filter(year=111).values_list("code", "weight")) == before


@pytest.mark.parametrize("user", [editor, ndc_reviewer])
def test_only_ndc_administrators_maintain_the_set_up(db, user):
    setup.ensure_year(111)
    who = user("moea") if user is editor else user()
    with pytest.raises(PermissionDenied):
        setup.set_indicators(111, ROWS, who)
    with pytest.raises(PermissionDenied):
        setup.set_thresholds(111, [("通過", 0)], who)


def test_indicators_are_frozen_once_an_evaluation_left_self_assessment(db, monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2023-02-01")
    setup.ensure_evaluations(111)
    moea = AnnualEvaluation.objects.get(year=111, industry__code="1", agency__code="moea")
    # Before: replacing is allowed, and the evaluations' score rows follow (removed with the indicator).
    setup.set_indicators(111, [*ROWS[:1], {**ROWS[1], "weight": 70}], ndc_admin())
    assert set(moea.scores.values_list("indicator__code", flat=True)) == {"plan", "kpi"}
    rows = {r.indicator.code: {"score": 80} for r in services.stage_scores(moea, ScoreStage.SELF)}
    services.save_scores(moea, editor("moea"), ScoreStage.SELF, moea.version, rows)
    moea.submit_self(editor("moea"))
    with pytest.raises(Problems) as refused:
        setup.set_indicators(111, ROWS, ndc_admin())
    assert refused.value.errors[-1]["field"] == "year"


def test_thresholds(db):
    setup.ensure_year(111)
    with pytest.raises(Problems) as refused:
        setup.set_thresholds(111, [("優", 90), ("可", 60)], ndc_admin())
    assert any("0" in p for p in refused.value.problems)
    setup.set_thresholds(111, [("優", 85), ("可", 0)], ndc_admin())
    assert (
        services.grade_of(111, Decimal("85.00")) == "優" and services.grade_of(111, Decimal("84.99")) == "可"
    )
    assert history_for(GradeThreshold.objects.get(year=111, label="優")).filter(action="create").exists()


def test_grade_distribution_per_industry(db):
    rows = [
        ("1", "資訊及數位產業", "優等", Decimal(92)),
        ("1", "資訊及數位產業", "甲等", Decimal(84)),
        ("3", "臺灣精準健康產業", "甲等", Decimal(80)),
        ("3", "臺灣精準健康產業", "", None),  # not graded yet: not counted
    ]
    result = summary.distribution(rows, ["優等", "甲等", "乙等", "丙等"])
    assert [(g.key, g.counts, g.units, g.mean_score) for g in result] == [
        ("1", {"優等": 1, "甲等": 1, "乙等": 0, "丙等": 0}, 2, Decimal("88.00")),
        ("3", {"優等": 0, "甲等": 1, "乙等": 0, "丙等": 0}, 1, Decimal("80.00")),
        ("", {"優等": 1, "甲等": 2, "乙等": 0, "丙等": 0}, 3, Decimal("85.33")),
    ]


def test_year_distribution_shows_the_public_only_published_grades(db):
    setup.ensure_evaluations(111)
    first, second = AnnualEvaluation.objects.filter(year=111).order_by("pk")[:2]
    AnnualEvaluation.objects.filter(pk=first.pk).update(stage="published", grade="優等", final_score=95)
    AnnualEvaluation.objects.filter(pk=second.pk).update(stage="approved", grade="丙等", final_score=50)
    public = summary.year_distribution(111)
    assert public[-1].counts["優等"] == 1 and public[-1].counts["丙等"] == 0
    ndc = summary.year_distribution(111, ndc_admin())
    assert ndc[-1].units == 2


def test_the_calendar_is_ndcs_and_in_stage_order(db):
    from datetime import date

    setup.ensure_year(112)
    with pytest.raises(PermissionDenied):
        setup.set_cycle(112, {"self_due": date(2024, 3, 31)}, editor("moea"))
    with pytest.raises(Problems) as refused:
        setup.set_cycle(112, {"self_due": date(2024, 4, 20), "review_due": None}, ndc_admin())
    fields = [e["field"] for e in refused.value.errors]
    assert fields == ["review_due", "initial_due"]  # missing; 初核 due before 自評 due
    assert AnnualCycle.objects.get(year=112).self_due == date(2024, 3, 25)  # nothing written
    cycle = setup.set_cycle(112, {"self_due": date(2024, 3, 31)}, ndc_admin(), note="順延")
    assert cycle.self_due == date(2024, 3, 31) and cycle.note == "順延"
    assert history_for(cycle).filter(action="update").exists()
