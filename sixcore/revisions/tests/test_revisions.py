"""Plan revisions (滾動檢討修正): drafting a full snapshot, editing it, approval, the diff, the upload,
target history, and who may do what (issue #7)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from sixcore.accounts.choices import Role
from sixcore.core.models import ObjectChange
from sixcore.evaluation.service import evaluate_period
from sixcore.plan import models as plan
from sixcore.plan.datafiles import DATA_DIR, DataError
from sixcore.plan.export import export_program
from sixcore.progress.models import ReportingPeriod
from sixcore.progress.services import program_in_force
from sixcore.revisions import services
from sixcore.revisions.choices import RevisionStatus
from sixcore.revisions.diff import ADDED, REMOVED, diff_exports
from sixcore.revisions.history import target_chart, target_history
from sixcore.revisions.models import InvalidTransition, PlanRevision
from tests.factories import editor, make_user, ndc_admin, ndc_reviewer

pytestmark = pytest.mark.django_db

NEW_112 = "累計協助廠商提出申請 20 項半導體前/後段設備申請驗證測試"


def dump(program: plan.Program) -> str:
    return json.dumps(export_program(program), ensure_ascii=False, indent=2)


def fingerprint(program: plan.Program) -> tuple:
    """The revisable content of a snapshot, cheaper to read than a whole export."""
    return (
        list(
            plan.AnnualTarget.objects.filter(kpi__measure__industry__program=program)
            .order_by("pk")
            .values_list("kpi__code", "year", "cell__text", "target", "merged")
        ),
        list(
            plan.KPI.objects.filter(measure__industry__program=program)
            .order_by("pk")
            .values_list("code", "full_term_text")
        ),
        list(
            plan.KPIAgency.objects.filter(kpi__measure__industry__program=program)
            .order_by("pk")
            .values_list("kpi_id", "agency_id")
        ),
        list(
            plan.WorkItem.objects.filter(schedule__industry__program=program)
            .order_by("pk")
            .values_list("code", "start", "end")
        ),
        list(program.budget_lines.order_by("pk").values_list("industry_id", "year", "amount")),
    )


def target_fields(changes) -> set[tuple[str, str]]:
    """(object, field) of each change, a quantified target's parts folded into ``….target``."""
    return {
        (c.object, c.field.split(".target.")[0] + ".target" if ".target." in c.field else c.field)
        for c in changes
    }


def draft(user=None, effective_from="112Q1", reason="112 年滾動檢討") -> PlanRevision:
    return services.draft_revision(
        user or ndc_reviewer(),
        plan.Program.objects.get(revision=0),
        reason=reason,
        effective_from=effective_from,
    )


def kpi_result(period: str):
    evaluation = evaluate_period(period)
    (result,) = [k for k in evaluation.kpis if k.measure == "1.2" and k.key == "1.2.2"]
    return evaluation.revision, (result.expected, result.year_end_target, result.text)


# --- drafting: a full copy ---------------------------------------------------------------------------


def test_a_draft_is_a_full_copy_with_the_same_natural_keys(program, exported):
    revision = draft()
    assert revision.number == 1 and revision.status == RevisionStatus.PROPOSED
    assert revision.program.revision == 1 and revision.program.effective_from == "112Q1"
    before, after = exported, export_program(revision.program)
    assert diff_exports(before, after) == []
    for key in ("kpis", "work_items", "budget", "measures", "tasks"):
        assert len(after[key]) == len(before[key]) > 0
    actions = ObjectChange.objects.filter(action="revision.propose")
    assert actions.count() == 1 and actions.get().message == "112 年滾動檢討"


@pytest.mark.parametrize(
    # The messages are shown in zh-Hant, the interface language.
    ("quarter", "message"),
    [("112Q5", "季別"), ("109Q4", "110–113"), ("soon", "季別")],
)
def test_a_draft_needs_a_quarter_within_the_program(program, quarter, message):
    with pytest.raises(services.RevisionError, match=message):
        draft(effective_from=quarter)
    assert not PlanRevision.objects.exists() and plan.Program.objects.count() == 1


def test_a_draft_needs_a_reason(program):
    with pytest.raises(services.RevisionError):
        draft(reason="  ")


# --- evaluation uses the revision in force -----------------------------------------------------------


def test_a_changed_112_target_leaves_110_111_alone_and_changes_112_onward(program):
    before = {p: kpi_result(p) for p in ("110Q4", "111Q4", "112Q2", "112Q4", "113Q4")}
    revision = draft()
    services.edit_kpi(revision, ndc_reviewer(), "1.2", "1.2.2", annual={112: NEW_112})
    # A draft changes nothing until it is approved.
    assert {p: kpi_result(p) for p in before} == before
    assert program_in_force(ReportingPeriod.by_code("113Q4")).revision == 0
    revision.approve(ndc_admin(), "院核定")
    after = {p: kpi_result(p) for p in before}
    for period in ("110Q4", "111Q4"):
        assert after[period] == before[period]
        assert after[period][0] == 0  # the evaluation states the revision it used
    for period in ("112Q2", "112Q4", "113Q4"):
        assert after[period][0] == 1
    assert after["112Q4"][1][1] == Decimal(20) and before["112Q4"][1][1] == Decimal(15)
    assert after["113Q4"][1][1] == before["113Q4"][1][1]  # the 113 target did not change


def test_program_in_force_ignores_drafts_and_rejected_revisions(program):
    period = ReportingPeriod.by_code("113Q4")
    first = draft()
    assert program_in_force(period).revision == 0
    first.reject(ndc_admin(), "不予修正")
    assert program_in_force(period).revision == 0
    second = draft()
    second.approve(ndc_admin())
    assert program_in_force(period).revision == second.number == 2
    assert program_in_force(ReportingPeriod.by_code("111Q4")).revision == 0


# --- revision 0 and rejected revisions stay as they were ---------------------------------------------


def test_export_of_revision_0_is_byte_identical_after_a_revision(program, capsys):
    call_command("plan", "export", "--revision", "0")
    before = capsys.readouterr().out
    revision = draft()
    user = ndc_reviewer()
    services.edit_kpi(
        revision, user, "1.2", "1.2.2", annual={112: NEW_112}, full_term="113 年完成驗證實測 12 項"
    )
    services.edit_budget(revision, user, "1", 112, Decimal("99.5"))
    services.edit_work_item(revision, user, "1-1", "1.1.1", start=date(2021, 1, 1), end=date(2024, 12, 1))
    services.retire_kpi(revision, user, "1.1", "1.1.1")
    revision.approve(ndc_admin())
    call_command("plan", "export", "--revision", "0")
    assert capsys.readouterr().out == before
    call_command("plan", "export", "--revision", "1")
    assert NEW_112 in capsys.readouterr().out


def test_a_rejected_revision_changes_nothing(program):
    period = ReportingPeriod.by_code("112Q4")
    before, evaluation = fingerprint(program), kpi_result("112Q4")
    revision = draft()
    services.edit_kpi(revision, ndc_reviewer(), "1.2", "1.2.2", annual={112: NEW_112})
    revision.reject(ndc_admin(), "理由不足")
    assert revision.status == RevisionStatus.REJECTED and revision.decided_by.username == "ndc"
    assert fingerprint(program) == before
    assert kpi_result("112Q4") == evaluation
    assert program_in_force(period).revision == 0
    with pytest.raises(InvalidTransition):
        services.edit_kpi(revision, ndc_reviewer(), "1.2", "1.2.2", annual={112: "x"})
    with pytest.raises(InvalidTransition):
        revision.approve(ndc_admin())
    assert ObjectChange.objects.filter(action="revision.reject", message="理由不足").count() == 1


# --- the diff ----------------------------------------------------------------------------------------


def test_the_diff_lists_exactly_the_changed_cells(program, exported):
    revision = draft()
    user = ndc_reviewer()
    services.edit_kpi(revision, user, "1.2", "1.2.2", annual={112: NEW_112})
    services.edit_budget(revision, user, "2", 111, Decimal("12.34"))
    services.edit_work_item(revision, user, "1-1", "1.1.1", start=date(2021, 2, 1), end=date(2022, 6, 1))
    changes = diff_exports(exported, export_program(revision.program))
    assert target_fields(changes) == {
        ("KPI 1.2 / 1.2.2", "annual.112.text"),
        ("KPI 1.2 / 1.2.2", "annual.112.target"),
        ("budget 2 / 111", "amount"),
        ("work item 1-1 / 1.1.1", "period"),
        ("work item 1-1 / 1.1.1", "start"),
        ("work item 1-1 / 1.1.1", "end"),
    }
    text = next(c for c in changes if c.field == "annual.112.text")
    assert text.new == NEW_112 and "15 項" in text.old
    item = next(c for c in changes if c.field == "start")
    assert (item.old, item.new) == ("2020-12", "2021-02")


def test_the_diff_names_added_and_retired_kpis():
    old = {"kpis": [{"measure": "1.1", "code": "1.1.1", "x": 1}, {"measure": "1.1", "code": "1.1.2", "x": 2}]}
    new = {"kpis": [{"measure": "1.1", "code": "1.1.2", "x": 3}, {"measure": "1.1", "code": "1.1.9", "x": 4}]}
    changes = diff_exports(old, new)
    assert [(c.object, c.kind, c.field, c.old, c.new) for c in changes] == [
        ("KPI 1.1 / 1.1.2", "changed", "x", 2, 3),
        ("KPI 1.1 / 1.1.9", ADDED, "", None, {"measure": "1.1", "code": "1.1.9", "x": 4}),
        ("KPI 1.1 / 1.1.1", REMOVED, "", {"measure": "1.1", "code": "1.1.1", "x": 1}, None),
    ]


def test_add_and_retire_kpi_in_a_draft(program, exported):
    revision = draft()
    user = ndc_reviewer()
    services.add_kpi(
        revision,
        user,
        "1.1",
        "1.1.3",
        full_term="113 年完成 3 項",
        annual={112: "完成 1 項", 113: "累計 3 項"},
    )
    services.retire_kpi(revision, user, "1.1", "1.1.1")
    changes = diff_exports(exported, export_program(revision.program))
    assert {(c.object, c.kind) for c in changes} == {("KPI 1.1 / 1.1.3", ADDED), ("KPI 1.1 / 1.1.1", REMOVED)}
    assert plan.KPI.objects.filter(measure__industry__program=program, code="1.1.1").exists()
    with pytest.raises(services.RevisionError):
        services.retire_kpi(revision, user, "1.1", "1.1.1")


def test_editing_a_merged_cell_splits_it_off_for_that_kpi_only(program, exported):
    merged = (
        plan.AnnualTarget.objects.filter(kpi__measure__industry__program=program, merged=True)
        .select_related("kpi__measure", "cell")
        .order_by("kpi__measure__code", "kpi__order")
        .first()
    )
    revision = draft()
    services.edit_kpi(
        revision, ndc_reviewer(), merged.kpi.measure.code, merged.kpi.code, annual={merged.year: "完成 7 項"}
    )
    changes = diff_exports(exported, export_program(revision.program))
    changed_kpis = {c.object for c in changes if c.field.endswith(".text")}
    assert changed_kpis == {f"KPI {merged.kpi.measure.code} / {merged.kpi.code.split('#')[0]}"}


# --- upload of a changed data file -------------------------------------------------------------------


def changed_kpis_1(
    old: str = "累計協助廠商提出申請 15 項半導體前/後段設備申請驗證測試", new: str = NEW_112
) -> bytes:
    text = (DATA_DIR / "kpis_1.yaml").read_text(encoding="utf-8")
    assert text.count(old) == 1
    return text.replace(old, new).encode()


def test_upload_of_a_changed_kpi_file_changes_that_cell(program, exported):
    revision = draft()
    result = services.upload_data_file(revision, ndc_reviewer(), "kpis_1.yaml", changed_kpis_1())
    assert result.changes["annual target"] == 1 and result.changes["target cell"] == 1
    changes = diff_exports(exported, export_program(revision.program))
    assert target_fields(changes) == {
        ("KPI 1.2 / 1.2.2", "annual.112.text"),
        ("KPI 1.2 / 1.2.2", "annual.112.target"),
    }
    assert ObjectChange.objects.filter(action="revision.upload").count() == 1


def test_upload_of_unchanged_files_changes_nothing_and_changed_dates_only_those(program, exported):
    revision = draft()
    for name in ("kpis_4.yaml", "schedules_2.yaml", "program.yaml"):
        result = services.upload_data_file(revision, ndc_reviewer(), name, (DATA_DIR / name).read_bytes())
        assert not result.changes, (name, result.changes)
    text = (DATA_DIR / "schedules_1.yaml").read_text(encoding="utf-8")
    old = 'period: "109/12~110/4"'
    services.upload_data_file(
        revision, ndc_reviewer(), "schedules_1.yaml", text.replace(old, 'period: "110/1~110/6"', 1).encode()
    )
    changes = diff_exports(exported, export_program(revision.program))
    assert {(c.object, c.field) for c in changes} == {
        ("work item 1-1 / 1.1.1", "period"),
        ("work item 1-1 / 1.1.1", "start"),
        ("work item 1-1 / 1.1.1", "end"),
    }


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("kpis_1.yaml", changed_kpis_1(new='"x'), "kpis_1.yaml:"),  # broken YAML
        (
            "kpis_1.yaml",
            changed_kpis_1(old='full_term: "113 年完成 4 項材料導入測試驗證"', new="full_term: 4"),
            "kpis_1.yaml:4",
        ),
        ("kpis_9.yaml", b"industry: 9", "kpis_9.yaml"),
    ],
)
def test_upload_of_a_bad_file_writes_nothing(program, name, content, expected):
    revision = draft()
    before = fingerprint(revision.program)
    with pytest.raises(DataError) as error:
        services.upload_data_file(revision, ndc_reviewer(), name, content)
    assert str(error.value.problems[0]).startswith(expected)
    assert all(p.line or name == "kpis_9.yaml" for p in error.value.problems)
    assert fingerprint(revision.program) == before
    assert not ObjectChange.objects.filter(action="revision.upload").exists()


def test_upload_referring_to_a_measure_missing_from_the_draft_writes_nothing(program):
    revision = draft()
    services.edit_kpi(revision, ndc_reviewer(), "1.2", "1.2.2", annual={112: NEW_112})
    plan.Measure.objects.filter(industry__program=revision.program, code="1.8").delete()
    before = fingerprint(revision.program)
    with pytest.raises(DataError, match="1.8"):
        services.upload_data_file(revision, ndc_reviewer(), "kpis_1.yaml", changed_kpis_1(new="累計 99 項"))
    assert fingerprint(revision.program) == before


# --- target history ----------------------------------------------------------------------------------


def test_target_history_shows_the_step_of_an_approved_revision_only(program):
    assert [s.revision for s in target_history("1.2", "1.2.2")] == [0]
    revision = draft()
    services.edit_kpi(revision, ndc_reviewer(), "1.2", "1.2.2", annual={112: NEW_112})
    assert [s.revision for s in target_history("1.2", "1.2.2")] == [0]
    revision.approve(ndc_admin())
    steps = target_history("1.2", "1.2.2")
    assert [(s.effective_from, s.revision) for s in steps] == [("110Q1", 0), ("112Q1", 1)]
    assert steps[1].annual[112]["text"] == NEW_112 and steps[0].annual[112]["target"]["value"] == 15
    # KPIs the revision did not touch have no step.
    assert [s.revision for s in target_history("1.1", "1.1.2")] == [0]
    chart = target_chart(steps, 110, 113)
    values = dict(zip(chart["quarters"], chart["values"], strict=True))
    assert values["111Q4"] == 9 and values["112Q1"] == 20
    assert values["113Q4"] == target_chart(steps[:1], 110, 113)["values"][-1]
    assert chart["marks"] == [{"quarter": "112Q1", "revision": 1}]


# --- permissions -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "agency"),
    [(Role.AGENCY_EDITOR, "moea"), (Role.INDUSTRY_LEAD, "moea"), (Role.AGENCY_VIEWER, "moea")],
)
def test_only_ndc_drafts_and_edits(program, role, agency):
    user = make_user(role, agency)
    with pytest.raises(PermissionDenied):
        draft(user)
    revision = draft()
    with pytest.raises(PermissionDenied):
        services.edit_kpi(revision, user, "1.2", "1.2.2", annual={112: NEW_112})
    with pytest.raises(PermissionDenied):
        services.upload_data_file(revision, user, "kpis_1.yaml", changed_kpis_1())


@pytest.mark.parametrize("user", [ndc_reviewer, lambda: editor("moea")])
def test_only_ndc_admin_decides(program, user):
    revision = draft()
    for step in (revision.approve, revision.reject):
        with pytest.raises(PermissionDenied):
            step(user())
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.PROPOSED


def test_a_draft_based_on_a_superseded_revision_cannot_be_approved(program):
    first, second = draft(), draft()
    first.approve(ndc_admin())
    with pytest.raises(InvalidTransition):
        second.approve(ndc_admin())


# --- pages -------------------------------------------------------------------------------------------


def test_pages_drafts_are_ndc_only_and_approved_revisions_public(program, client):
    revision = draft()
    services.edit_kpi(revision, ndc_reviewer(), "1.2", "1.2.2", annual={112: NEW_112})
    hidden = ["/revisions/1/", "/revisions/0/diff/1/", "/?revision=1", "/measures/1.2/kpis/1.2.2/?revision=1"]
    for who in (None, editor("moea")):
        if who:
            client.force_login(who)
        for url in hidden:
            assert client.get(url).status_code == 404, url
        assert "112 年滾動檢討" not in client.get("/revisions/").content.decode()
        # The default plan page is the latest approved revision: revision 0 still.
        assert NEW_112 not in client.get("/measures/1.2/kpis/1.2.2/").content.decode()
    client.force_login(ndc_reviewer())
    for url in hidden:
        assert client.get(url).status_code == 200, url
    assert NEW_112 in client.get("/measures/1.2/kpis/1.2.2/?revision=1").content.decode()
    assert NEW_112 not in client.get("/measures/1.2/kpis/1.2.2/").content.decode()
    page = client.get("/revisions/1/").content.decode()
    assert "annual.112.text" in page and NEW_112 in page and 'id="approve-button"' not in page
    revision.approve(ndc_admin())
    client.logout()
    assert NEW_112 in client.get("/measures/1.2/kpis/1.2.2/").content.decode()
    assert client.get("/revisions/1/").status_code == 200
    page = client.get("/revisions/0/diff/1/").content.decode()
    assert "112 年滾動檢討" in page and NEW_112 in page
    page = client.get("/revisions/kpi/1.2/1.2.2/").content.decode()
    assert 'id="target-history"' in page and "112Q1" in page and NEW_112 in page


def test_web_drafting_editing_and_approval(program, client):
    client.force_login(editor("moea"))
    form = {"base": 0, "title": "", "effective_from": "112Q1", "reason": "調整"}
    assert client.post("/revisions/", form).status_code == 403
    client.force_login(ndc_reviewer())
    response = client.post("/revisions/", form)
    assert response.status_code == 302 and response["Location"] == "/revisions/1/"
    page = client.get("/revisions/1/kpi/1.2/1.2.2/")
    assert page.status_code == 200
    fields = {
        "full_term": "113 年完成驗證實測 9 項",
        "agencies": "經濟部、科技部",
        "y110": "a",
        "y111": "b",
        "y112": NEW_112,
        "y113": "d",
    }
    initial = page.context["form"].initial
    fields.update({k: initial[k] for k in ("y110", "y111", "y113", "full_term", "agencies")})
    assert client.post("/revisions/1/kpi/1.2/1.2.2/", fields).status_code == 302
    client.post(
        "/revisions/1/work-item/", {"schedule": "1-1", "code": "1.1.1", "start": "110/1", "end": "111/12"}
    )
    client.post("/revisions/1/budget/", {"industry": "1", "year": 112, "amount": "88.8"})
    bad = changed_kpis_1(new='"x')
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        "/revisions/1/upload/", {"file": SimpleUploadedFile("kpis_1.yaml", bad)}, follow=True
    )
    assert "kpis_1.yaml:" in response.content.decode()
    changes = diff_exports(export_program(program), export_program(PlanRevision.objects.get().program))
    assert {c.object for c in changes} == {"KPI 1.2 / 1.2.2", "work item 1-1 / 1.1.1", "budget 1 / 112"}
    client.post("/revisions/1/approve/", {"comment": "ok"})
    assert PlanRevision.objects.get().status == RevisionStatus.PROPOSED  # a reviewer cannot approve
    client.force_login(ndc_admin())
    client.post("/revisions/1/approve/", {"comment": "核定"})
    assert PlanRevision.objects.get().status == RevisionStatus.APPROVED
    assert (
        client.post("/revisions/1/budget/", {"industry": "1", "year": 112, "amount": "1"}).status_code == 302
    )
    assert plan.BudgetLine.objects.get(program__revision=1, industry__code="1", year=112).amount == Decimal(
        "88.8"
    )
