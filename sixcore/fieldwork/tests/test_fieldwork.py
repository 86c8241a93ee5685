"""Field verification (實地查證, issue #20): candidates and their reasons, planning, findings, evidence
checks, recommendations becoming follow-up items answered in the next quarterly report, the steps by
role and state, stale versions, and who reads what."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from sixcore.accounts.models import Agency
from sixcore.core.models import ObjectChange
from sixcore.evaluation import store
from sixcore.fieldwork import selection, services, workflow
from sixcore.fieldwork.choices import ItemKind, Reason, VerificationStatus
from sixcore.fieldwork.demo import _png
from sixcore.fieldwork.models import Evidence, FieldVerification, Recommendation
from sixcore.fieldwork.policy import fieldwork_policy
from sixcore.followups import services as followups
from sixcore.followups.choices import FollowUpSource, FollowUpStatus
from sixcore.progress import workflow as cycle
from sixcore.progress.clock import as_of
from sixcore.progress.models import KPIReport, ReportingPeriod, Submission, WorkItemReport
from tests.factories import editor, ndc_admin, ndc_reviewer, open_period, viewer

pytestmark = pytest.mark.django_db

AS_OF = date(2022, 7, 5)  # 111Q1's reports due (04/15), 111Q2's not yet (07/15)


def set_kpi(period, agency: str, value, kpi="1.2.2", industry="1") -> None:
    """Beside the write path (a past quarter's figure): ``make_world`` rebuilds the store after."""
    submission = Submission.objects.get(period=period, industry__code=industry, agency__code=agency)
    KPIReport.objects.filter(
        submission=submission, kpi__code=kpi, kpi__measure__code=kpi.rsplit(".", 1)[0]
    ).update(value=value)


@pytest.fixture
def world(program, monkeypatch):
    return make_world(monkeypatch)


def make_world(monkeypatch) -> dict:
    """111Q1 and 111Q2 with 1.2.2 red twice (measure 1.2 high risk) and one work item 0 % done."""
    monkeypatch.setenv("SIXCORE_AS_OF", AS_OF.isoformat())
    q1, q2 = open_period("111Q1"), open_period("111Q2")
    set_kpi(q1, "moea", "1")
    set_kpi(q2, "moea", "1")
    evaluation = selection.service.evaluate_period(q2)  # the lines written above, not yet stored
    running = next(w for w in evaluation.work_items if w.planned and w.planned >= 50 and w.agencies)
    WorkItemReport.objects.filter(
        submission__period=q2,
        submission__agency__code=running.agencies[0],
        work_item__schedule__code=running.schedule,
        work_item__code=running.code,
    ).update(percent=Decimal("0"))
    store.rebuild([q1, q2])  # written beside the write path (which refreshes the store): what is read
    return {"q1": q1, "q2": q2, "work_item": running}


def by_key(found):
    return {c.key: c for c in found}


# --- selection by exception --------------------------------------------------------------------------


def test_candidates_name_their_reasons(world):
    found = by_key(selection.candidates(world["q2"], ndc_admin()))
    kpi = found["kpi:1.2/1.2.2"]
    assert kpi.reason_codes == {Reason.RED_KPI}
    assert "red" in kpi.reason_text or "紅燈" in kpi.reason_text
    assert {"moea", "most"} <= set(kpi.agencies) and kpi.industry == "1"
    measure = found["measure:1.2"]
    assert measure.reason_codes == {Reason.HIGH_RISK} and "1.2.2" in measure.reason_text
    w = world["work_item"]
    item = found[f"work_item:{w.schedule}/{w.code}"]
    assert item.reason_codes == {Reason.LAGGING}
    assert f"{w.planned.normalize():f}" in item.reason_text  # the planned percent is stated


def test_the_lag_threshold_is_data_and_a_filter_can_override_it(world):
    from sixcore.fieldwork.models import SelectionSettings

    w = world["work_item"]
    key = f"work_item:{w.schedule}/{w.code}"
    assert SelectionSettings.get().lag_threshold == 20
    strict = selection.Criteria(Decimal("100"), 2, 4)
    assert key not in by_key(selection.candidates(world["q2"], ndc_admin(), strict))
    row = SelectionSettings.get()
    row.lag_threshold = Decimal("99.99")
    row.save()
    assert key in by_key(selection.candidates(world["q2"], ndc_admin()))  # lag 100 > 99.99
    row.lag_threshold = Decimal("100")
    row.save()
    assert key not in by_key(selection.candidates(world["q2"], ndc_admin()))  # "more than": 100 is not


def test_filters_by_industry_agency_and_reason(world):
    found = selection.candidates(world["q2"], ndc_admin())
    assert {c.kind for c in selection.filtered(found, reason=Reason.RED_KPI)} == {ItemKind.KPI}
    assert all(c.industry == "1" for c in selection.filtered(found, industry="1"))
    assert all("moea" in c.agencies for c in selection.filtered(found, agency="moea"))
    assert selection.filtered(found, industry="no-such") == []


def _submission(period, agency):
    return Submission.objects.filter(period=period, agency__code=agency).order_by("industry__code").first()


def test_repeatedly_late_or_returned_reporting_units(world, monkeypatch):
    q1, q2 = world["q1"], world["q2"]
    WorkItemReport.objects.filter(percent=0).update(percent=None)  # no lag to explain: reports submit
    reviewer = ndc_reviewer()
    on_time, late, returned = ("most", "motc", "mohw")
    for period in (q1, q2):
        s = _submission(period, on_time)
        with as_of(period.due_date - timedelta(days=5)):
            cycle.submit(s, editor(on_time))
        s = _submission(period, late)
        with as_of(period.due_date + timedelta(days=3)):  # in the grace period: accepted, but late
            cycle.submit(s, editor(late))
    s = _submission(q2, returned)
    for day in (1, 2):
        with as_of(q2.due_date - timedelta(days=10 - day)):
            cycle.submit(s, editor(returned))
            cycle.return_for_revision(s, reviewer, "請補充")
    monkeypatch.setenv("SIXCORE_AS_OF", (q2.due_date + timedelta(days=20)).isoformat())
    found = by_key(selection.candidates(q2, ndc_admin()))

    def unit(agency):
        s = _submission(q2, agency)
        return found.get(f"unit:{s.industry.code}/{agency}")

    assert unit(on_time) is None
    assert unit(late).reason_codes == {Reason.LATE}
    assert "2" in unit(late).reason_text and q1.label in unit(late).reason_text
    # Returned twice and resubmitted on time once: returned, and late only for 111Q1 and the draft now.
    assert Reason.RETURNED in unit(returned).reason_codes
    strict = selection.Criteria(Decimal("20"), 3, 4)
    assert f"unit:{_submission(q2, late).industry.code}/{late}" not in by_key(
        selection.candidates(q2, ndc_admin(), strict)
    )


# --- planning, recording, steps ----------------------------------------------------------------------


def plan(world, user=None, picks=("kpi:1.2/1.2.2", "measure:1.2"), **overrides):
    found = by_key(selection.candidates(world["q2"], ndc_admin()))
    fields = {
        "title": "111年第1次實地查證",
        "date": date(2022, 7, 20),
        "place": "新竹科學園區",
        "reviewers": "王專門委員",
        "agencies": [],
        "period": world["q2"],
        "picked": [found[k] for k in picks],
    }
    fields.update(overrides)
    return services.plan_verification(user or ndc_reviewer(), **fields)


def test_planning_keeps_the_reasons_and_defaults_the_agencies(world):
    v = plan(world)
    assert v.status == VerificationStatus.PLANNED and v.basis_period == world["q2"]
    assert set(v.agencies.values_list("code", flat=True)) >= {"moea", "most"}
    kpi_item = v.items.get(kind=ItemKind.KPI)
    assert kpi_item.kpi.code == "1.2.2" and kpi_item.industry.code == "1"
    assert kpi_item.reason_list and kpi_item.findings == ""
    assert ObjectChange.objects.filter(action="create", object_repr=v.title).exists()


def test_only_ndc_plans_and_bad_input_names_the_field(world):
    with pytest.raises(PermissionDenied):
        plan(world, user=editor("moea"))
    with pytest.raises(services.FieldErrors) as refused:
        plan(world, title=" ", place="", date=None, picks=())
    assert set(refused.value.errors) == {"title", "place", "date", "items", "agencies"}
    assert "查證日期" in str(refused.value) or "verification date" in str(refused.value)
    assert not FieldVerification.objects.exists()


def test_picks_are_added_to_a_planned_visit_once(world):
    v = plan(world, picks=("kpi:1.2/1.2.2",), agencies=[Agency.objects.get(code="motc")])
    found = by_key(selection.candidates(world["q2"], ndc_admin()))
    services.add_items(ndc_admin(), v, v.version, world["q2"], [found["measure:1.2"]])
    assert set(v.items.values_list("code", flat=True)) == {"1.2/1.2.2", "1.2"}
    assert {"motc", "moea"} <= set(v.agencies.values_list("code", flat=True))  # the pick's agencies join
    with pytest.raises(services.FieldErrors) as refused:
        services.add_items(
            ndc_admin(), v, v.version, world["q2"], [found["kpi:1.2/1.2.2"], found["measure:1.2"]]
        )
    assert "items" in refused.value.errors and v.items.count() == 2
    lagging = found[f"work_item:{world['work_item'].schedule}/{world['work_item'].code}"]
    with pytest.raises(services.StaleVersion):
        services.add_items(ndc_admin(), v, 1, world["q2"], [lagging])
    with pytest.raises(PermissionDenied):
        services.add_items(editor("moea"), v, v.version, world["q2"], [lagging])
    assert v.items.count() == 2


def test_findings_are_version_checked_and_audited(world):
    v = plan(world)
    item = v.items.first()
    services.record_findings(ndc_admin(), item, item.version, "現地查核：進度落後")
    with pytest.raises(services.StaleVersion):
        services.record_findings(ndc_admin(), item, 1, "較舊的版本")
    item.refresh_from_db()
    assert item.findings == "現地查核：進度落後" and item.version == 2
    with pytest.raises(services.FieldErrors) as refused:
        services.record_findings(ndc_admin(), item, item.version, "  ")
    assert "findings" in refused.value.errors
    with pytest.raises(PermissionDenied):
        services.record_findings(editor("moea"), item, item.version, "機關自行填寫")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return Path(tmp_path)


def test_evidence_goes_through_the_cycles_upload_checks(world, media, settings):
    v = plan(world)
    item = v.items.first()
    photo = services.add_evidence(
        ndc_admin(), item, SimpleUploadedFile("現場.png", _png((1, 2, 3)), "image/png")
    )
    assert photo.size > 0 and (media / photo.file.name).exists() and photo.file.name.endswith(photo.sha256)
    refused = [
        SimpleUploadedFile("report.pdf", b"<html><script>alert(1)</script>", "application/pdf"),
        SimpleUploadedFile("tool.exe", b"MZ\x90\x00", "application/octet-stream"),
        SimpleUploadedFile("book.xlsm", b"PK\x03\x04", "application/vnd.ms-excel"),
    ]
    for upload in refused:
        with pytest.raises(services.FieldErrors) as error:
            services.add_evidence(ndc_admin(), item, upload)
        assert "file" in error.value.errors
    settings.ATTACHMENT_MAX_BYTES = 100
    with pytest.raises(services.FieldErrors):
        services.add_evidence(ndc_admin(), item, SimpleUploadedFile("big.png", _png((9, 9, 9)) + b"\0" * 200))
    assert Evidence.objects.count() == 1
    assert len([p for p in media.rglob("*") if p.is_file()]) == 1


def recommend(v, owner="moea", due=date(2022, 12, 31)):
    item = v.items.order_by("order").first()
    return services.add_recommendation(
        ndc_admin(), item, text="請研提改善措施", owner=Agency.objects.get(code=owner), due_date=due
    )


def complete(v):
    for item in v.items.all():
        services.record_findings(ndc_admin(), item, item.version, f"{item.code} 查證結果")
    v.refresh_from_db()
    return workflow.complete(v, ndc_reviewer(), v.version)


def test_a_recommendation_becomes_a_follow_up_item_when_the_visit_is_completed(world):
    v = plan(world)
    with pytest.raises(services.FieldErrors) as refused:
        recommend(v, due=date(2022, 7, 1))  # before the visit
    assert "due_date" in refused.value.errors
    r = recommend(v)
    assert r.follow_up is None
    v.refresh_from_db()
    with pytest.raises(services.FieldErrors) as refused:
        workflow.complete(v, ndc_reviewer(), v.version)  # findings missing
    assert "findings" in refused.value.errors
    assert Recommendation.objects.get().follow_up is None
    complete(v)
    r.refresh_from_db()
    fu = r.follow_up
    assert (fu.source, fu.owner.code, fu.due_date, fu.status) == (
        FollowUpSource.FIELD_VERIFICATION,
        "moea",
        date(2022, 12, 31),
        FollowUpStatus.TRACKED,
    )
    assert fu.industry.code == "1" and fu.text == r.text and not fu.published
    assert fu.origin == r or getattr(fu, "field_recommendation", None) == r
    assert ObjectChange.objects.filter(action="fieldwork.complete").count() == 1


def test_steps_by_role_and_state(world):
    v = plan(world)
    recommend(v)
    with pytest.raises(PermissionDenied):
        workflow.publish(v, editor("moea"))
    with pytest.raises(services.InvalidTransition):
        workflow.publish(v, ndc_admin())  # planned: complete first
    complete(v)
    with pytest.raises(services.InvalidTransition):
        workflow.cancel(v, ndc_admin(), comment="不辦了")  # completed
    with pytest.raises(services.InvalidTransition):
        recommend(v)  # locked once completed
    with pytest.raises(services.StaleVersion):
        workflow.publish(v, ndc_admin(), version=1)
    workflow.publish(v, ndc_admin(), v.version)
    assert Recommendation.objects.get().follow_up.published
    with pytest.raises(services.FieldErrors):
        workflow.reopen(v, ndc_admin(), comment=" ")
    workflow.reopen(v, ndc_admin(), comment="補正查證結果")
    assert v.status == VerificationStatus.PLANNED and v.published_at is None
    complete(v)  # completing again tracks nothing twice
    assert Recommendation.objects.get().follow_up is not None
    from sixcore.followups.models import FollowUp

    assert FollowUp.objects.count() == 1


def test_a_planned_visit_may_be_cancelled_with_a_reason(world):
    v = plan(world)
    with pytest.raises(services.FieldErrors):
        workflow.cancel(v, ndc_admin(), comment="")
    workflow.cancel(v, ndc_admin(), comment="颱風停班")
    assert v.status == VerificationStatus.CANCELLED
    assert ObjectChange.objects.filter(action="fieldwork.cancel", message="颱風停班").exists()


def test_the_follow_up_is_answered_in_the_next_quarterly_report_and_closed(world, monkeypatch):
    v = plan(world)
    r = recommend(v, owner="moea")
    with as_of(date(2022, 7, 22)):
        complete(v)
    r.refresh_from_db()
    q3 = open_period("111Q3")
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-10-05")
    report = followups.carrying_submission(r.follow_up, q3)
    assert report.agency.code == "moea" and report.industry.code == "1"
    assert r.follow_up.pk in {i.follow_up.pk for i in followups.report_items(report)}
    followups.save_responses(editor("moea"), report, {r.follow_up.pk: "已完成設備驗證場域規劃"})
    r.follow_up.close(ndc_admin(), "已改善", period=q3)
    r.follow_up.refresh_from_db()
    assert r.follow_up.status == FollowUpStatus.CLOSED
    assert r.follow_up.responses.get().text == "已完成設備驗證場域規劃"


# --- who reads what ----------------------------------------------------------------------------------


def test_scope(world):
    v = plan(world)
    other = plan(world, picks=("measure:1.2",), agencies=[Agency.objects.get(code="motc")])
    visible = lambda user: set(  # noqa: E731
        fieldwork_policy.verifications(user, FieldVerification.objects.all()).values_list("pk", flat=True)
    )
    assert visible(ndc_reviewer()) == {v.pk, other.pk}
    assert v.pk in visible(viewer("moea")) and other.pk not in visible(viewer("moea"))
    assert visible(editor("motc")) == {other.pk}
    from django.contrib.auth.models import AnonymousUser

    assert visible(AnonymousUser()) == set()
    recommend(v)
    complete(v)
    workflow.publish(v, ndc_admin())
    assert visible(AnonymousUser()) == {v.pk}
    assert fieldwork_policy.is_party(viewer("moea"), v) and not fieldwork_policy.is_party(AnonymousUser(), v)
    assert ReportingPeriod.objects.filter(pk=v.basis_period_id).exists()
