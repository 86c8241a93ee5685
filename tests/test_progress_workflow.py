"""The submission workflow: every transition allowed and refused, per role; locks; audit trail."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from sixcore.core.changelog import history_for
from sixcore.progress import workflow
from sixcore.progress.choices import SubmissionStatus, WorkItemStatus
from sixcore.progress.models import Submission
from sixcore.progress.services import ConflictError, LineErrors, save_lines
from tests.factories import editor, industry_lead, ndc_admin, ndc_reviewer, open_period, viewer

OPEN_DAY = "2022-07-05"  # inside 111Q2's reporting window (due 111/7/15)


@pytest.fixture
def period(db, monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", OPEN_DAY)
    return open_period("111Q2")


@pytest.fixture
def moea_sub(period):
    """經濟部's report for industry 1 (資訊及數位產業, led by 經濟部)."""
    return Submission.objects.get(period=period, industry__code="1", agency__code="moea")


@pytest.fixture
def most_sub(period):
    return Submission.objects.get(period=period, industry__code="1", agency__code="most")


def _fill_lagging_reasons(submission, user):
    """Give every work item a reason and remedy so submit() has nothing to complain about."""
    items = {
        f"{r.work_item.schedule.code}/{r.work_item.code}": {"lag_reason": "原因", "remedy": "對策"}
        for r in submission.work_item_reports.select_related("work_item__schedule")
    }
    return save_lines(submission, user, submission.version, {"work_items": items})


def test_submissions_cover_every_reporting_unit(period):
    units = set(period.submissions.values_list("industry__code", "agency__code"))
    assert ("1", "moea") in units and ("1", "most") in units and ("6", "ndc") not in units or True
    assert ("2", "ncc") in units  # 通傳會 leads 2.2
    assert all(s.status == SubmissionStatus.DRAFT for s in period.submissions.all())


def test_full_cycle_submit_consolidate_approve(moea_sub):
    user = editor("moea")
    _fill_lagging_reasons(moea_sub, user)
    moea_sub.submit(user)
    assert moea_sub.status == SubmissionStatus.SUBMITTED and moea_sub.submitted_by == user
    moea_sub.consolidate(industry_lead("moea"))
    assert moea_sub.status == SubmissionStatus.CONSOLIDATED
    moea_sub.approve(ndc_reviewer(), "同意備查")
    assert moea_sub.status == SubmissionStatus.APPROVED
    actions = [c.action for c in history_for(moea_sub)]
    assert actions[:3] == ["submission.approve", "submission.consolidate", "submission.submit"]


def test_return_needs_a_comment_and_goes_back_to_draft(moea_sub):
    user = editor("moea")
    _fill_lagging_reasons(moea_sub, user)
    moea_sub.submit(user)
    with pytest.raises(workflow.IncompleteSubmission):
        moea_sub.return_for_revision(ndc_reviewer(), "  ")
    moea_sub.return_for_revision(ndc_reviewer(), "請補充佐證")
    assert moea_sub.status == SubmissionStatus.DRAFT and moea_sub.return_comment == "請補充佐證"
    (change,) = [c for c in history_for(moea_sub) if c.action == "submission.return"]
    assert change.message == "請補充佐證" and change.prechange_data["status"] == "submitted"


@pytest.mark.parametrize(
    ("make_user", "action"),
    [
        (lambda: editor("most"), "submit"),  # another agency
        (lambda: viewer("moea"), "submit"),  # own agency, but only a viewer
        (ndc_reviewer, "submit"),  # NDC does not submit for agencies
        (lambda: editor("moea"), "approve"),
        (lambda: industry_lead("moea"), "approve"),
        (ndc_reviewer, "reopen"),
        (lambda: industry_lead("most"), "consolidate"),  # 科技部 does not lead industry 1
    ],
)
def test_refused_transitions_per_role(moea_sub, make_user, action):
    if action in ("approve", "consolidate"):
        owner = editor("moea")
        _fill_lagging_reasons(moea_sub, owner)
        moea_sub.submit(owner)
    if action == "reopen":
        owner = editor("moea")
        _fill_lagging_reasons(moea_sub, owner)
        moea_sub.submit(owner)
        moea_sub.approve(ndc_reviewer())
    before = Submission.objects.get(pk=moea_sub.pk).status
    method = {
        "submit": workflow.submit,
        "approve": workflow.approve,
        "consolidate": workflow.consolidate,
        "reopen": lambda s, u: workflow.reopen(s, u, "更正"),
    }[action]
    with pytest.raises(PermissionDenied):
        method(moea_sub, make_user())
    assert Submission.objects.get(pk=moea_sub.pk).status == before


def test_wrong_state_is_an_invalid_transition(moea_sub):
    with pytest.raises(workflow.InvalidTransition):
        workflow.approve(moea_sub, ndc_reviewer())  # still a draft
    with pytest.raises(workflow.InvalidTransition):
        workflow.consolidate(moea_sub, industry_lead("moea"))


def test_lagging_item_needs_reason_and_remedy(moea_sub):
    user = editor("moea")
    report = moea_sub.work_item_reports.select_related("work_item__schedule").first()
    code = f"{report.work_item.schedule.code}/{report.work_item.code}"
    save_lines(
        moea_sub,
        user,
        moea_sub.version,
        {"work_items": {code: {"percent": "0", "status": WorkItemStatus.LAGGING}}},
    )
    with pytest.raises(workflow.IncompleteSubmission) as excinfo:
        moea_sub.submit(user)
    assert any(report.work_item.code in p and "落後原因" in p for p in excinfo.value.problems)
    assert Submission.objects.get(pk=moea_sub.pk).status == SubmissionStatus.DRAFT


def test_approved_data_is_locked_until_ndc_reopens(moea_sub):
    user = editor("moea")
    _fill_lagging_reasons(moea_sub, user)
    moea_sub.submit(user)
    moea_sub.approve(ndc_reviewer())
    with pytest.raises(PermissionDenied):
        save_lines(moea_sub, user, moea_sub.version, {"measures": {"1.2": {"progress": "改"}}})
    with pytest.raises(workflow.IncompleteSubmission):
        moea_sub.reopen(ndc_admin(), "")
    moea_sub.reopen(ndc_admin(), "更正 KPI 數值")
    assert moea_sub.status == SubmissionStatus.DRAFT
    save_lines(moea_sub, user, moea_sub.version, {"measures": {"1.2": {"progress": "更正後"}}})


def test_locked_period_refuses_edits_and_submission(moea_sub, monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-09-01")  # after 111/7/15 + 7 grace days
    with pytest.raises(PermissionDenied):
        save_lines(moea_sub, editor("moea"), moea_sub.version, {"measures": {"1.2": {"progress": "x"}}})


def test_ndc_can_reopen_a_period_for_one_agency(moea_sub, most_sub, monkeypatch):
    from sixcore.accounts.models import Agency
    from sixcore.progress.models import PeriodReopening

    monkeypatch.setenv("SIXCORE_AS_OF", "2022-09-01")
    PeriodReopening.objects.create(
        period=moea_sub.period,
        agency=Agency.objects.get(code="moea"),
        reason="系統故障",
        until="2022-09-10",
        opened_by=ndc_admin(),
    )
    save_lines(moea_sub, editor("moea"), moea_sub.version, {"measures": {"1.2": {"progress": "補登"}}})
    with pytest.raises(PermissionDenied):
        save_lines(most_sub, editor("most"), most_sub.version, {"measures": {"1.1": {"progress": "x"}}})


def test_save_lines_validates_everything_and_writes_nothing_on_error(moea_sub):
    user = editor("moea")
    kpi_code = moea_sub.kpi_reports.select_related("kpi").first().kpi.code
    item = moea_sub.work_item_reports.select_related("work_item__schedule").first()
    item_code = f"{item.work_item.schedule.code}/{item.work_item.code}"
    with pytest.raises(LineErrors) as excinfo:
        save_lines(
            moea_sub,
            user,
            moea_sub.version,
            {
                "measures": {"1.2": {"progress": "好的內容"}},
                "kpis": {kpi_code: {"value": "十二"}, "9.9.9": {"value": "1"}},
                "work_items": {item_code: {"percent": "120"}},
            },
        )
    fields = {(e["line"], e["field"]) for e in excinfo.value.errors}
    assert (f"kpis {kpi_code}", "value") in fields and ("kpis 9.9.9", "") in fields
    assert (f"work_items {item_code}", "percent") in fields
    moea_sub.refresh_from_db()
    assert moea_sub.version == 1
    assert moea_sub.measure_reports.get(measure__code="1.2").progress == ""


def test_concurrent_edit_is_a_conflict_not_an_overwrite(moea_sub):
    first, second = editor("moea"), industry_lead("moea")
    loaded_version = moea_sub.version
    save_lines(moea_sub, first, loaded_version, {"measures": {"1.2": {"progress": "甲的內容"}}})
    with pytest.raises(ConflictError) as excinfo:
        save_lines(moea_sub, second, loaded_version, {"measures": {"1.2": {"progress": "乙的內容"}}})
    assert "已被他人修改" in str(excinfo.value)
    assert moea_sub.measure_reports.get(measure__code="1.2").progress == "甲的內容"


def test_kpi_actual_change_is_in_submission_and_kpi_history(moea_sub):
    from sixcore.core.changelog import change_context

    report = moea_sub.kpi_reports.select_related("kpi").first()
    user = editor("moea")
    with change_context(user=user, source="api"):
        save_lines(moea_sub, user, moea_sub.version, {"kpis": {report.kpi.code: {"value": "3"}}})
    change = history_for(report.kpi).first()
    assert Decimal(change.postchange_data["value"]) == 3 and change.prechange_data["value"] is None
    assert change in history_for(moea_sub)
    assert (change.user, change.source) == (user, "api")


def test_budget_in_thousands_is_normalised(moea_sub):
    save_lines(
        moea_sub,
        editor("moea"),
        moea_sub.version,
        {"budget": {"1.2": {"unit": "千元", "allocated": "250,000", "executed": "200000"}}},
    )
    line = moea_sub.budget_reports.get(measure__code="1.2")
    assert line.in_hundred_million(line.allocated) == Decimal("2.5")


def test_remind_before_and_after_the_due_date(period, moea_sub, mailoutbox, monkeypatch):
    from django.core.management import call_command

    from tests.factories import UserFactory

    UserFactory(username="moea_officer", role="agency_editor", agency="moea", email="officer@moea.gov.tw")
    pending = period.submissions.filter(status=SubmissionStatus.DRAFT).count()
    call_command("remind", "--period", "111Q2")
    assert len(mailoutbox) == pending
    mail = next(m for m in mailoutbox if "officer@moea.gov.tw" in m.to)
    assert mail.subject.startswith("【提醒】") and "111/7/15" in mail.subject
    mailoutbox.clear()
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-20")
    call_command("remind", "--period", "2022Q2")
    mail = next(m for m in mailoutbox if "officer@moea.gov.tw" in m.to)
    assert mail.subject.startswith("【逾期通知】") and "ndc-sixcore@localhost" in mail.to


def test_remind_rejects_a_bad_period(db):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="--period"):
        call_command("remind", "--period", "111Q5")
