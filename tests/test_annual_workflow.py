"""Year-end evaluation stages: every step allowed and refused by role, deadlines, returns, the
published lock and the audited reopen, all or nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sixcore.annual import services, setup
from sixcore.annual.choices import ScoreStage, Stage
from sixcore.annual.models import AnnualEvaluation
from sixcore.core.changelog import history_for
from tests.factories import editor, industry_lead, ndc_admin, ndc_reviewer

YEAR = 111
SELF_DAY = "2023-02-01"  # inside 111's 自評 window (112/1/10–112/3/25)


@pytest.fixture
def evaluations(db, monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", SELF_DAY)
    return setup.ensure_evaluations(YEAR)


@pytest.fixture
def moea(evaluations):
    """經濟部's evaluation for industry 1 (資訊及數位產業, led by 經濟部)."""
    return AnnualEvaluation.objects.get(year=YEAR, industry__code="1", agency__code="moea")


@pytest.fixture
def most(evaluations):
    return AnnualEvaluation.objects.get(year=YEAR, industry__code="1", agency__code="most")


def score_all(evaluation, user, stage, value=85):
    """Score every indicator of ``stage`` (arguing where the rule fixed the self score)."""
    rows = {}
    for row in services.stage_scores(evaluation, stage):
        if stage == ScoreStage.SELF and row.prefilled_score is not None:
            continue
        rows[row.indicator.code] = {"score": value, "comment": "示範"}
    evaluation.refresh_from_db()
    return services.save_scores(evaluation, user, stage, evaluation.version, rows)


def test_full_cycle(moea, monkeypatch):
    score_all(moea, editor("moea"), ScoreStage.SELF)
    moea.submit_self(editor("moea"), "自評完成")
    assert moea.stage == Stage.INITIAL and moea.self_submitted_by == editor("moea")
    monkeypatch.setenv("SIXCORE_AS_OF", "2023-04-10")
    score_all(moea, industry_lead("moea"), ScoreStage.INITIAL, 80)
    moea.complete_initial(industry_lead("moea"))
    assert moea.stage == Stage.REVIEW
    monkeypatch.setenv("SIXCORE_AS_OF", "2023-05-10")
    score_all(moea, ndc_reviewer(), ScoreStage.REVIEW, 92)
    moea.complete_review(ndc_reviewer())
    assert moea.stage == Stage.REVIEWED and moea.final_score == Decimal("92.00") and moea.grade == "優等"
    moea.approve(ndc_admin())
    moea.publish(ndc_admin())
    assert moea.stage == Stage.PUBLISHED
    actions = list(history_for(moea).values_list("action", flat=True))
    for name in ("submit_self", "complete_initial", "complete_review", "approve", "publish"):
        assert f"annual.{name}" in actions
