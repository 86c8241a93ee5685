"""Year-end evaluation stages: every step allowed and refused by role, deadlines, returns, the
published lock and the audited reopen, all or nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from sixcore.annual import services, setup
from sixcore.annual.choices import ScoreStage, Stage
from sixcore.annual.exceptions import DeadlinePassed, EvaluationConflict, InvalidTransition, Problems
from sixcore.annual.models import AnnualCycle, AnnualEvaluation, Indicator, IndicatorScore
from sixcore.core.changelog import history_for
from tests.factories import editor, industry_lead, ndc_admin, ndc_reviewer, viewer

YEAR = 111
SELF_DAY = "2023-02-01"  # inside 111's 自評 window (112/1/10–112/3/25)
INITIAL_DAY = "2023-04-10"  # before 初核's deadline 112/4/15
REVIEW_DAY = "2023-05-10"  # before 複核's deadline 112/5/15


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
    """科技部's evaluation for industry 1 (its 初核 is 經濟部's, the industry lead)."""
    return AnnualEvaluation.objects.get(year=YEAR, industry__code="1", agency__code="most")


def score_all(evaluation, user, stage, value=85):
    """Score every indicator of ``stage`` (in 自評 only those the rule left open)."""
    rows = {
        row.indicator.code: {"score": value, "comment": "說明"}
        for row in services.stage_scores(evaluation, stage)
        if not (stage == ScoreStage.SELF and row.prefilled_score is not None)
    }
    evaluation.refresh_from_db()
    return services.save_scores(evaluation, user, stage, evaluation.version, rows)


def to_initial(evaluation):
    score_all(evaluation, editor(evaluation.agency.code), ScoreStage.SELF)
    return evaluation.submit_self(editor(evaluation.agency.code))


def to_review(evaluation, monkeypatch):
    to_initial(evaluation)
    monkeypatch.setenv("SIXCORE_AS_OF", INITIAL_DAY)
    score_all(evaluation, industry_lead("moea"), ScoreStage.INITIAL, 80)
    return evaluation.complete_initial(industry_lead("moea"))


def to_reviewed(evaluation, monkeypatch, value=92):
    to_review(evaluation, monkeypatch)
    monkeypatch.setenv("SIXCORE_AS_OF", REVIEW_DAY)
    score_all(evaluation, ndc_reviewer(), ScoreStage.REVIEW, value)
    return evaluation.complete_review(ndc_reviewer())


def to_published(evaluation, monkeypatch, value=92):
    to_reviewed(evaluation, monkeypatch, value)
    evaluation.approve(ndc_admin())
    return evaluation.publish(ndc_admin())


def test_every_unit_has_one_evaluation_with_self_rows(evaluations):
    assert {(e.industry.code, e.agency.code) for e in evaluations} >= {("1", "moea"), ("1", "most")}
    indicators = Indicator.objects.filter(year=YEAR).count()
    assert indicators == 4
    for e in evaluations:
        assert e.stage == Stage.SELF
        assert e.scores.filter(stage=ScoreStage.SELF).count() == indicators
    assert setup.ensure_evaluations(YEAR) == []  # idempotent


def test_full_cycle_and_its_change_log(moea, monkeypatch):
    to_initial(moea)
    assert moea.stage == Stage.INITIAL and moea.self_submitted_by == editor("moea")
    # 初核 starts from the self scores.
    assert {s.score for s in services.stage_scores(moea, ScoreStage.INITIAL)} == {Decimal(85)}
    monkeypatch.setenv("SIXCORE_AS_OF", INITIAL_DAY)
    score_all(moea, industry_lead("moea"), ScoreStage.INITIAL, 80)
    moea.complete_initial(industry_lead("moea"), "初核完成")
    assert moea.stage == Stage.REVIEW and moea.initial_by == industry_lead("moea")
    monkeypatch.setenv("SIXCORE_AS_OF", REVIEW_DAY)
    score_all(moea, ndc_reviewer(), ScoreStage.REVIEW, 92)
    moea.complete_review(ndc_reviewer())
    assert moea.stage == Stage.REVIEWED and moea.final_score == Decimal("92.00") and moea.grade == "優等"
    moea.approve(ndc_admin(), "核定")
    assert moea.stage == Stage.APPROVED and moea.approved_by == ndc_admin()
    moea.publish(ndc_admin())
    assert moea.stage == Stage.PUBLISHED and moea.published_at is not None
    log = list(history_for(moea).values_list("action", "message"))
    actions = [a for a, _m in log]
    for name in ("submit_self", "complete_initial", "complete_review", "approve", "publish"):
        assert f"annual.{name}" in actions
    assert ("annual.complete_initial", "初核完成") in log
    # Every score written is in the evaluation's history too, with who and the values before and after.
    edits = history_for(moea).filter(action="update", changed_object_type__model="indicatorscore")
    review = edits.filter(postchange_data__stage="review", postchange_data__score="92.00")
    assert review.count() == 4 and {e.user for e in review} == {ndc_reviewer()}
    assert all(e.prechange_data["score"] == "80.00" for e in review)  # carried from 初核


def test_the_history_names_every_step_in_people_s_words(moea, monkeypatch):
    """No action of the cycle reaches the history tab as its stored name (``annual.submit_self``)."""
    from django.utils import translation

    from sixcore.core.templatetags.changes import action_label

    to_published(moea, monkeypatch)
    moea.reopen(ndc_admin(), "更正分數")
    actions = set(history_for(moea).values_list("action", flat=True))
    assert {"annual.submit_self", "annual.publish", "annual.reopen"} <= actions
    with translation.override("zh-hant"):
        labels = {a: action_label(a) for a in actions}
    assert all(label != action and "." not in label for action, label in labels.items()), labels
    assert labels["annual.submit_self"] == "送出自評" and labels["annual.publish"] == "公告"


STEPS = {
    "submit_self": (Stage.SELF, lambda e, m: score_all(e, editor("moea"), ScoreStage.SELF)),
    "complete_initial": (Stage.INITIAL, lambda e, m: to_initial(e)),
    "complete_review": (Stage.REVIEW, lambda e, m: to_review(e, m)),
    "approve": (Stage.REVIEWED, lambda e, m: to_reviewed(e, m)),
    "publish": (Stage.APPROVED, lambda e, m: (to_reviewed(e, m), e.approve(ndc_admin()))),
}

USERS = {
    "moea_editor": lambda: editor("moea"),
    "moea_lead": lambda: industry_lead("moea"),
    "most_editor": lambda: editor("most"),
    "most_lead": lambda: industry_lead("most"),  # leads industry 3, not 1
    "moea_viewer": lambda: viewer("moea"),
    "ndc_reviewer": ndc_reviewer,
    "ndc_admin": ndc_admin,
    "anonymous": AnonymousUser,
}

# Who may take each step of 經濟部's evaluation for industry 1.
ALLOWED = {
    "submit_self": {"moea_editor", "moea_lead"},
    "complete_initial": {"moea_lead"},
    "complete_review": {"ndc_reviewer", "ndc_admin"},
    "approve": {"ndc_admin"},
    "publish": {"ndc_admin"},
}


@pytest.mark.parametrize("step", list(STEPS))
@pytest.mark.parametrize("who", list(USERS))
def test_each_step_by_role(moea, monkeypatch, step, who):
    stage, reach = STEPS[step]
    reach(moea, monkeypatch)
    moea.refresh_from_db()
    assert moea.stage == stage
    before = moea.version
    user = USERS[who]()
    if who in ALLOWED[step]:
        getattr(moea, step)(user)
        assert moea.stage != stage and moea.version == before + 1
    else:
        with pytest.raises(PermissionDenied):
            getattr(moea, step)(user)
        moea.refresh_from_db()
        assert moea.stage == stage and moea.version == before


@pytest.mark.parametrize("step", list(STEPS))
def test_steps_out_of_order_are_refused(moea, step):
    """In 自評 only submit_self applies; every later step is refused by a user who may take it."""
    if step == "submit_self":
        return
    user = {"complete_initial": industry_lead("moea")}.get(step, ndc_admin())
    with pytest.raises(InvalidTransition, match="Cannot|無法|不能"):
        getattr(moea, step)(user)
    moea.refresh_from_db()
    assert moea.stage == Stage.SELF


def test_initial_review_of_another_agency_in_the_led_industry(most):
    """經濟部 leads industry 1, so it does the 初核 of 科技部's evaluation there."""
    to_initial(most)
    score_all(most, industry_lead("moea"), ScoreStage.INITIAL, 75)
    most.complete_initial(industry_lead("moea"))
    assert most.stage == Stage.REVIEW


def test_submit_needs_every_score_and_names_the_indicator(moea):
    with pytest.raises(Problems) as refused:
        moea.submit_self(editor("moea"))
    assert any("規劃" in p for p in refused.value.problems)
    assert {e["field"] for e in refused.value.errors} >= {"scores.planning.score"}
    moea.refresh_from_db()
    assert moea.stage == Stage.SELF
    assert not moea.scores.filter(stage=ScoreStage.INITIAL).exists()  # nothing half-written


def test_deadlines(moea, monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2023-01-05")  # before 自評 opens (112/1/10)
    with pytest.raises(DeadlinePassed) as early:
        score_all(moea, editor("moea"), ScoreStage.SELF)
    assert early.value.field == "self_opens"
    monkeypatch.setenv("SIXCORE_AS_OF", SELF_DAY)
    score_all(moea, editor("moea"), ScoreStage.SELF)
    monkeypatch.setenv("SIXCORE_AS_OF", "2023-03-26")  # 自評 due 112/3/25
    with pytest.raises(DeadlinePassed) as late:
        moea.submit_self(editor("moea"))
    assert late.value.field == "self_due" and "112/3/25" in str(late.value)
    moea.refresh_from_db()
    assert moea.stage == Stage.SELF
    # NDC extends the deadline for this unit, with a reason; then the agency can submit.
    services.extend(moea, ndc_reviewer(), date(2023, 3, 31), "系統維護順延")
    assert moea.extended_until == date(2023, 3, 31)
    moea.submit_self(editor("moea"))
    assert moea.stage == Stage.INITIAL and moea.extended_until is None
    monkeypatch.setenv("SIXCORE_AS_OF", "2023-04-16")  # 初核 due 112/4/15
    score_all_refused = pytest.raises(DeadlinePassed)
    with score_all_refused as passed:
        moea.complete_initial(industry_lead("moea"))
    assert passed.value.field == "initial_due"


def test_extension_rules(moea):
    with pytest.raises(PermissionDenied):
        services.extend(moea, editor("moea"), date(2023, 3, 31), "理由")
    with pytest.raises(Problems) as refused:
        services.extend(moea, ndc_admin(), date(2023, 1, 1), "")
    assert {e["field"] for e in refused.value.errors} == {"until", "reason"}


def test_return_goes_back_one_stage_with_a_comment(moea, monkeypatch):
    to_review(moea, monkeypatch)
    with pytest.raises(PermissionDenied):
        moea.return_to_previous(industry_lead("moea"), "請修正")  # 複核 returns are NDC's
    with pytest.raises(Problems):
        moea.return_to_previous(ndc_reviewer(), "  ")
    moea.return_to_previous(ndc_reviewer(), "請補充初核意見")
    assert moea.stage == Stage.INITIAL and moea.is_returned and moea.return_comment == "請補充初核意見"
    # 初核's calendar deadline (112/4/15) is before today + 10 days: the returned stage gets them.
    assert moea.extended_until == date(2023, 4, 20)
    moea.return_to_previous(industry_lead("moea"), "請補充佐證")
    assert moea.stage == Stage.SELF
    # The initial scores stay for when it comes back (the reviewer's work is not lost).
    assert moea.scores.filter(stage=ScoreStage.INITIAL, score=80).count() == 4
    with pytest.raises(InvalidTransition):
        moea.return_to_previous(ndc_admin(), "自評無前一階段")
    actions = list(history_for(moea).filter(action="annual.return").values_list("message", flat=True))
    assert actions == ["請補充佐證", "請補充初核意見"]


def test_agency_cannot_return_its_own_initial_stage(moea):
    to_initial(moea)
    with pytest.raises(PermissionDenied):
        moea.return_to_previous(editor("moea"), "撤回")


def test_approved_returns_to_review_and_loses_its_grade(moea, monkeypatch):
    to_reviewed(moea, monkeypatch)
    moea.approve(ndc_admin())
    moea.return_to_previous(ndc_admin(), "分數需重新檢視")
    assert moea.stage == Stage.REVIEW and moea.final_score is None and moea.grade == ""


def test_published_is_locked_until_an_audited_reopen(moea, monkeypatch):
    to_published(moea, monkeypatch)
    with pytest.raises(InvalidTransition):
        services.save_scores(moea, ndc_admin(), ScoreStage.REVIEW, moea.version, {"planning": {"score": 50}})
    with pytest.raises(InvalidTransition):
        moea.return_to_previous(ndc_admin(), "改分")
    with pytest.raises(PermissionDenied):
        moea.reopen(ndc_reviewer(), "數值誤植")
    with pytest.raises(Problems):
        moea.reopen(ndc_admin(), " ")
    moea.refresh_from_db()
    assert moea.stage == Stage.PUBLISHED and moea.grade == "優等"
    moea.reopen(ndc_admin(), "經費數值誤植")
    assert moea.stage == Stage.REVIEW and moea.grade == "" and moea.reopen_reason == "經費數值誤植"
    assert moea.extended_until is not None and moea.extended_until >= date(2023, 5, 20)
    entry = history_for(moea).filter(action="annual.reopen").get()
    assert entry.message == "經費數值誤植"
    assert entry.prechange_data["stage"] == Stage.PUBLISHED and entry.postchange_data["stage"] == Stage.REVIEW
    # Corrected and published again.
    services.save_scores(moea, ndc_reviewer(), ScoreStage.REVIEW, moea.version, {"budget": {"score": 70}})
    moea.complete_review(ndc_reviewer())
    assert moea.final_score == Decimal("87.60") and moea.grade == "甲等"  # 92 − 20 % × 22


# --- scoring ---------------------------------------------------------------------------------------


def test_score_out_of_range_is_refused_naming_the_field_and_nothing_is_written(moea):
    before = moea.version
    with pytest.raises(Problems) as refused:
        services.save_scores(
            moea,
            editor("moea"),
            ScoreStage.SELF,
            moea.version,
            {"planning": {"score": 101}, "kpi": {"comment": "先寫的說明"}},
        )
    assert refused.value.errors[0]["field"] == "scores.planning.score"
    assert "規劃" in refused.value.problems[0] and "100" in refused.value.problems[0]
    moea.refresh_from_db()
    assert moea.version == before
    assert not moea.scores.filter(comment="先寫的說明").exists()


@pytest.mark.parametrize("value", ["abc", "-1", "100.001", True, "NaN"])
def test_bad_scores(moea, value):
    with pytest.raises(Problems):
        services.save_scores(
            moea, editor("moea"), ScoreStage.SELF, moea.version, {"planning": {"score": value}}
        )


def test_unknown_indicator_and_stage_text(moea):
    with pytest.raises(Problems) as refused:
        services.save_scores(
            moea,
            editor("moea"),
            ScoreStage.SELF,
            moea.version,
            {"nope": {"score": 1}},
            {"review_opinion": "x"},
        )
    assert {e["field"] for e in refused.value.errors} == {"scores.nope", "review_opinion"}


def test_stale_version_is_a_conflict(moea):
    services.save_scores(moea, editor("moea"), ScoreStage.SELF, moea.version, {"planning": {"score": 60}})
    with pytest.raises(EvaluationConflict):
        services.save_scores(
            moea, editor("moea"), ScoreStage.SELF, moea.version - 1, {"planning": {"score": 70}}
        )
    assert moea.scores.get(stage=ScoreStage.SELF, indicator__code="planning").score == 60


def test_argued_score_needs_a_reason_and_rule_scores_are_not_overwritten(moea):
    row = moea.scores.get(stage=ScoreStage.SELF, indicator__code="kpi")
    row.prefilled_value, row.prefilled_score, row.score = Decimal(70), Decimal(70), Decimal(70)
    row.save()
    with pytest.raises(Problems) as refused:
        services.save_scores(moea, editor("moea"), ScoreStage.SELF, moea.version, {"kpi": {"score": 90}})
    assert "argue" in refused.value.problems[0] or "申" in refused.value.problems[0]
    with pytest.raises(Problems) as refused:
        services.save_scores(
            moea, editor("moea"), ScoreStage.SELF, moea.version, {"kpi": {"argued_score": 90}}
        )
    assert refused.value.errors[0]["field"] == "scores.kpi.argued_reason"
    services.save_scores(
        moea,
        editor("moea"),
        ScoreStage.SELF,
        moea.version,
        {"kpi": {"argued_score": 90, "argued_reason": "第 4 季補報實績"}},
    )
    row.refresh_from_db()
    assert row.score == 70 and row.effective_score == 90


def test_only_the_self_stage_argues(moea, monkeypatch):
    to_initial(moea)
    with pytest.raises(Problems):
        services.save_scores(
            moea, industry_lead("moea"), ScoreStage.INITIAL, moea.version, {"kpi": {"argued_score": 50}}
        )


@pytest.mark.parametrize(
    ("who", "stage"),
    [
        ("most_editor", ScoreStage.SELF),  # another agency's draft
        ("moea_viewer", ScoreStage.SELF),
        ("ndc_admin", ScoreStage.SELF),
        ("moea_editor", ScoreStage.INITIAL),
        ("most_lead", ScoreStage.INITIAL),
        ("moea_lead", ScoreStage.REVIEW),
        ("anonymous", ScoreStage.SELF),
    ],
)
def test_wrong_role_cannot_score(moea, who, stage):
    before = list(IndicatorScore.objects.filter(evaluation=moea).values_list("score", "comment"))
    with pytest.raises(PermissionDenied):
        services.save_scores(moea, USERS[who](), stage, moea.version, {"planning": {"score": 50}})
    assert list(IndicatorScore.objects.filter(evaluation=moea).values_list("score", "comment")) == before


def test_scores_of_a_later_stage_wait_for_it(moea):
    with pytest.raises(InvalidTransition):
        services.save_scores(moea, ndc_admin(), ScoreStage.REVIEW, moea.version, {"planning": {"score": 50}})


def test_weights_not_summing_to_100_stop_the_stage(moea):
    """Indicators edited behind the service's back (weights 110) cannot be submitted."""
    score_all(moea, editor("moea"), ScoreStage.SELF)
    Indicator.objects.filter(year=YEAR, code="planning").update(weight=25)
    with pytest.raises(Problems) as refused:
        moea.submit_self(editor("moea"))
    assert any(e["field"] == "weights" for e in refused.value.errors)


def test_calendar_missing_is_refused(moea):
    AnnualCycle.objects.filter(year=YEAR).delete()
    with pytest.raises(InvalidTransition):
        moea.submit_self(editor("moea"))
