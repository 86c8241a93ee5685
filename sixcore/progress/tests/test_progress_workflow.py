"""The submission workflow: every transition allowed and refused, per role; locks; audit trail."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from sixcore.core.changelog import history_for
from sixcore.progress import workflow
from sixcore.progress.choices import SubmissionStatus, WorkItemStatus
from sixcore.progress.models import CycleSettings, Submission
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


# --- the batched write path: same audit content, all or nothing, queries independent of the lines ----

EVERY_KIND = {
    "measures": {"1.2": {"progress": "本季完成審查 3 件", "highlights": "亮點"}},
    "budget": {"1.2": {"unit": "千元", "allocated": "250,000", "executed": "200000.5"}},
}


def _changes_for(submission) -> dict:
    kpi = submission.kpi_reports.select_related("kpi__measure").first()
    works = list(submission.work_item_reports.select_related("work_item__schedule")[:2])
    key = [f"{w.work_item.schedule.code}/{w.work_item.code}" for w in works]
    return {
        **EVERY_KIND,
        "kpis": {
            f"{kpi.kpi.measure.code}/{kpi.kpi.code}": {"value": "3", "done": "是", "evidence": "附件一"}
        },
        "work_items": {
            key[0]: {"percent": "100", "status": "done", "completed_on": "111/6/30"},
            key[1]: {"percent": 12.5, "status": "進度落後", "lag_reason": "原因", "remedy": "對策"},
        },
    }


def _former_save_lines(submission, changes) -> None:
    """What save_lines did before it was batched: ORM lines, one UPDATE and snapshot per line, then
    record_updates. Kept here as the reference for the change log's content."""
    from sixcore.core.changelog import record_updates, snapshot
    from sixcore.progress.values import LINE_FIELDS

    locked = Submission.objects.select_related("period", "agency").get(pk=submission.pk)
    lines = {
        "measures": {r.measure.code: r for r in locked.measure_reports.select_related("measure")},
        "kpis": {
            f"{r.kpi.measure.code}/{r.kpi.code}": r for r in locked.kpi_reports.select_related("kpi__measure")
        },
        "work_items": {
            f"{r.work_item.schedule.code}/{r.work_item.code}": r
            for r in locked.work_item_reports.select_related("work_item__schedule")
        },
        "budget": {r.measure.code: r for r in locked.budget_reports.select_related("measure")},
    }
    logged = []
    for kind, rows in changes.items():
        for code, values in rows.items():
            line = lines[kind][code]
            line.submission = locked
            parsed = {name: LINE_FIELDS[kind][name](value) for name, value in values.items()}
            changed = {name: value for name, value in parsed.items() if getattr(line, name) != value}
            if changed:
                before = snapshot(line)
                for name, value in changed.items():
                    setattr(line, name, value)
                type(line).objects.filter(pk=line.pk).update(**changed)
                logged.append((line, before))
    record_updates(logged)


def _log_since(pk: int) -> list[tuple]:
    from sixcore.core.models import ObjectChange

    return [
        (
            c.user_id,
            c.user_name,
            c.request_id,
            c.source,
            c.action,
            c.changed_object_type_id,
            c.changed_object_id,
            c.object_repr,
            c.related_objects,
            c.prechange_data,
            c.postchange_data,
            c.message,
            sorted(c.relations.values_list("content_type_id", "object_id")),
        )
        for c in ObjectChange.objects.filter(pk__gt=pk).order_by("pk")
    ]


def test_batched_save_writes_the_change_log_the_per_line_save_wrote(moea_sub):
    from django.db import transaction

    from sixcore.core.changelog import change_context
    from sixcore.core.models import ObjectChange

    user = editor("moea")
    changes = _changes_for(moea_sub)
    CycleSettings.get()  # created (and logged) on first use by the permission check
    start = ObjectChange.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with change_context(user=user, source="web") as context:
        with transaction.atomic():
            _former_save_lines(moea_sub, changes)
            expected = _log_since(start)
            transaction.set_rollback(True)
        save_lines(moea_sub, user, moea_sub.version, changes)
    written = _log_since(start)
    assert len(written) == 5 and written == expected  # one entry per changed line
    assert {row[2] for row in written} == {context.request_id}
    # Each entry names the line, its submission and its plan object, with every field before and after.
    kpi_entry = next(row for row in written if row[9].get("value") is None and "kpi" in row[9])
    assert (
        kpi_entry[10]["value"] == "3"
        and kpi_entry[10]["done"] is True
        and kpi_entry[7].startswith(str(moea_sub))
    )


def test_batched_save_without_a_context_uses_one_request_id_per_submission(moea_sub, period):
    from sixcore.core.models import ObjectChange
    from sixcore.progress.services import LineWrite, save_many

    user = editor("moea")
    other = Submission.objects.get(period=period, industry__code="2", agency__code="moea")
    other_code = other.measure_reports.select_related("measure").first().measure.code
    CycleSettings.get()
    start = ObjectChange.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    save_many(
        user,
        [
            LineWrite(moea_sub, moea_sub.version, EVERY_KIND),
            LineWrite(other, other.version, {"measures": {other_code: {"progress": "二"}}}),
        ],
    )
    changes = list(ObjectChange.objects.filter(pk__gt=start))
    by_submission = {}
    for change in changes:
        by_submission.setdefault(change.related_objects[0]["id"], set()).add(change.request_id)
        assert change.source == "system" and change.user is None
    assert len(by_submission) == 2 and all(len(ids) == 1 for ids in by_submission.values())
    assert len({next(iter(ids)) for ids in by_submission.values()}) == 2


def test_a_stale_submission_refuses_the_whole_batch(moea_sub, period):
    from sixcore.core.models import ObjectChange
    from sixcore.progress.services import LineWrite, save_many

    user = editor("moea")
    other = Submission.objects.get(period=period, industry__code="2", agency__code="moea")
    code = other.measure_reports.select_related("measure").first().measure.code
    save_lines(other, user, other.version, {"measures": {code: {"progress": "先存的"}}})
    before = (ObjectChange.objects.count(), moea_sub.version)
    with pytest.raises(ConflictError):
        save_many(
            user,
            [
                LineWrite(moea_sub, moea_sub.version, EVERY_KIND),
                LineWrite(other, other.version - 1, {"measures": {code: {"progress": "覆蓋"}}}),
            ],
        )
    moea_sub.refresh_from_db()
    assert (ObjectChange.objects.count(), moea_sub.version) == before
    assert moea_sub.measure_reports.get(measure__code="1.2").progress == ""
    assert other.measure_reports.get(measure__code=code).progress == "先存的"


def test_a_bad_value_anywhere_writes_nothing_in_the_batch(moea_sub):
    from sixcore.core.models import ObjectChange

    user = editor("moea")
    changes = _changes_for(moea_sub)
    changes["budget"]["1.2"]["executed"] = "很多"
    before = ObjectChange.objects.count()
    with pytest.raises(LineErrors) as excinfo:
        save_lines(moea_sub, user, moea_sub.version, changes)
    assert [(e["line"], e["field"]) for e in excinfo.value.errors] == [("budget 1.2", "executed")]
    assert ObjectChange.objects.count() == before
    assert moea_sub.measure_reports.get(measure__code="1.2").progress == ""


def test_save_queries_do_not_grow_with_the_number_of_lines(moea_sub):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = editor("moea")
    codes = list(moea_sub.measure_reports.values_list("measure__code", flat=True))
    assert len(codes) >= 3
    counts = []
    for text, chosen in (("暖身", codes[:1]), ("一", codes[:1]), ("全部", codes)):
        moea_sub.refresh_from_db()
        with CaptureQueriesContext(connection) as queries:
            save_lines(
                moea_sub, user, moea_sub.version, {"measures": {c: {"progress": text} for c in chosen}}
            )
        counts.append(len(queries))
    assert counts[1] == counts[2]  # the first save also fills per-process caches


# --- locks (issue #18): a transition locks its submission row only -----------------------------------


def _locked_tables(queries) -> list[str]:
    """The FOR UPDATE clauses of the captured statements ("FOR UPDATE" alone locks every joined row)."""
    import re

    return [
        re.search(r"FOR UPDATE(?: OF (.*))?$", q["sql"]).group(1) or "every joined table"
        for q in queries
        if "FOR UPDATE" in q["sql"]
    ]


@pytest.mark.django_db
def test_transitions_lock_only_the_submission_row(moea_sub):
    """On PostgreSQL (SQLite has no row locks): approvals of one period do not queue behind each other
    on the period's (or the agency's) row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    user = editor("moea")
    _fill_lagging_reasons(moea_sub, user)
    steps = [
        (workflow.submit, user, ""),
        (workflow.return_for_revision, ndc_reviewer(), "補充"),
        (workflow.submit, user, ""),
        (workflow.consolidate, industry_lead("moea"), ""),
        (workflow.approve, ndc_reviewer(), ""),
        (workflow.reopen, ndc_admin(), "更正"),
    ]
    for step, actor, text in steps:
        with CaptureQueriesContext(connection) as queries:
            step(moea_sub, actor, text)
        assert _locked_tables(queries.captured_queries) == ['"progress_submission"'], step.__name__


# --- completeness before 送出審查, as NDC configures it (issue 17) ---------------------------------


@pytest.mark.parametrize(
    ("setting", "missing"),
    [
        ("require_narratives", "具體措施 1.2 辦理情形"),
        ("require_kpi_actuals", "績效指標 1.2.1 實際值"),
        ("require_work_item_progress", "重點工作項目 1-2/1.1.1 完成百分比"),
    ],
)
def test_each_completeness_rule_is_enforced_on_submit_and_can_be_switched_off(moea_sub, setting, missing):
    user = editor("moea")
    _fill_lagging_reasons(moea_sub, user)
    CycleSettings.objects.filter(pk=1).update(**{setting: True})
    with pytest.raises(workflow.IncompleteSubmission) as excinfo:
        workflow.submit(moea_sub, user)
    assert any(problem.startswith(missing) for problem in excinfo.value.problems)
    assert all("|" not in problem for problem in excinfo.value.problems)  # no internal keys
    CycleSettings.objects.filter(pk=1).update(**{setting: False})
    assert workflow.submit(moea_sub, user).status == SubmissionStatus.SUBMITTED


def test_a_complete_report_submits_with_every_rule_on(moea_sub):
    user = editor("moea")
    CycleSettings.objects.filter(pk=1).update(
        require_narratives=True, require_kpi_actuals=True, require_work_item_progress=True
    )
    changes = {
        "measures": {
            code: {"progress": "辦理情形", "next_quarter": "下一季"}
            for code in moea_sub.measure_reports.values_list("measure__code", flat=True)
        },
        "kpis": {
            f"{r.kpi.measure.code}/{r.kpi.code}": {"value": "1", "done": "1"}
            for r in moea_sub.kpi_reports.select_related("kpi__measure")
        },
        "work_items": {
            f"{r.work_item.schedule.code}/{r.work_item.code}": {
                "percent": "100",
                "status": "on_track",
                "lag_reason": "原因",
                "remedy": "對策",
            }
            for r in moea_sub.work_item_reports.select_related("work_item__schedule")
        },
    }
    save_lines(moea_sub, user, moea_sub.version, changes)
    assert workflow.completeness_problems(moea_sub) == []
    assert workflow.submit(moea_sub, user).status == SubmissionStatus.SUBMITTED


def test_cycle_settings_require_completeness_by_default(db):
    CycleSettings.objects.all().delete()
    fresh = CycleSettings.get()
    assert fresh.require_narratives and fresh.require_kpi_actuals and fresh.require_work_item_progress


def test_negative_actuals_only_for_kpis_that_measure_a_change(moea_sub):
    from sixcore.progress.labels import negative_allowed

    assert negative_allowed(["帶動臺灣衛星地面設備相關產值增加至少 140 億"])
    assert not negative_allowed(["完成 2 項半導體材料導入測試驗證", "-"])
    user = editor("moea")
    report = moea_sub.kpi_reports.select_related("kpi__measure").first()
    key = f"{report.kpi.measure.code}/{report.kpi.code}"
    with pytest.raises(LineErrors) as excinfo:
        save_lines(moea_sub, user, moea_sub.version, {"kpis": {key: {"value": "-5"}}})
    assert excinfo.value.errors[0]["label"] == f"績效指標 {report.kpi.code} 實際值"
    report.kpi.full_term_text = "產值增加 10 億元"
    report.kpi.save()
    save_lines(moea_sub, user, moea_sub.version, {"kpis": {key: {"value": "-5"}}})
    assert moea_sub.kpi_reports.get(pk=report.pk).value == Decimal(-5)
