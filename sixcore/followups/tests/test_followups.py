"""Follow-up items (追蹤事項, issue #20): the life cycle across quarters — assigned, answered in the owner's
quarterly report, kept (繼續列管), answered again, closed (解除列管) — the answers locked with the report,
NDC's rulings audited, and who reads and writes what."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from sixcore.accounts.models import Agency
from sixcore.core.models import ObjectChange
from sixcore.followups import services
from sixcore.followups.choices import FollowUpSource, FollowUpStatus, RulingKind
from sixcore.followups.models import FollowUp, InvalidTransition, StaleVersion
from sixcore.followups.report import field_name
from sixcore.plan.models import Industry
from sixcore.progress import workflow
from sixcore.progress.clock import as_of
from sixcore.progress.models import CycleSettings, Submission
from tests.factories import editor, industry_lead, ndc_admin, ndc_reviewer, open_period, viewer

pytestmark = pytest.mark.django_db


def agency(code: str) -> Agency:
    return Agency.objects.get(code=code)


def report(period, industry: str = "1", agency_code: str = "moea") -> Submission:
    return Submission.objects.get(period=period, industry__code=industry, agency__code=agency_code)


@pytest.fixture
def item(program):
    """A field-verification recommendation to 經濟部 on industry 1, assigned in 111Q2, due 111/9/30."""
    with as_of(date(2022, 5, 10)):
        return services.create_follow_up(
            ndc_reviewer(),
            source=FollowUpSource.FIELD_VERIFICATION,
            text="請經濟部補強半導體設備驗證場域之進度管控",
            owner=agency("moea"),
            industry=Industry.objects.get(program=program, code="1"),
            due_date=date(2022, 9, 30),
        )


def _save_in_form(client, submission: Submission, item: FollowUp, text: str, **extra):
    return client.post(
        reverse("progress:submission", args=[submission.pk]),
        {"version": submission.version, field_name(item.pk): text, **extra},
    )


def test_life_cycle_across_quarters(item, client, monkeypatch):
    officer = editor("moea")
    client.force_login(officer)
    # 111Q2: the item is in 經濟部's report for industry 1, answered in the form, submitted with it.
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-05")
    q2 = open_period("111Q2")
    q2_report = report(q2)
    page = client.get(reverse("progress:submission", args=[q2_report.pk])).content.decode()
    assert "追蹤事項辦理情形" in page and item.text in page and f'name="{field_name(item.pk)}"' in page
    version = q2_report.version
    assert _save_in_form(client, q2_report, item, "已完成驗證場域規劃").status_code == 302
    q2_report.refresh_from_db()
    assert q2_report.version == version + 1  # the report's one version guards its answers too
    response = item.responses.get()
    assert (response.period, response.submission, response.text) == (q2, q2_report, "已完成驗證場域規劃")
    workflow.submit(q2_report, officer)
    # Locked with the report: neither the form nor the service writes it once submitted.
    with pytest.raises(PermissionDenied):
        services.save_responses(officer, q2_report, {item.pk: "改寫"})
    assert (
        client.get(reverse("progress:submission", args=[q2_report.pk]))
        .content.decode()
        .count(f'name="{field_name(item.pk)}"')
        == 0
    )
    # NDC keeps it (繼續列管) with a comment and a new due date.
    item.keep(ndc_reviewer(), "驗證場域尚未啟用", new_due_date=date(2022, 12, 31), period=q2)
    assert item.status == FollowUpStatus.TRACKED and item.due_date == date(2022, 12, 31)
    # 111Q3: the next report carries it again, empty; answered through the service (the Excel path).
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-10-05")
    q3 = open_period("111Q3")
    q3_report = report(q3)
    [carried] = services.report_items(q3_report)
    assert carried.follow_up == item and carried.response is None
    assert services.save_responses(officer, q3_report, {item.pk: "驗證場域已於 9 月啟用"}) == 1
    workflow.submit(q3_report, officer)
    # NDC closes it (解除列管); 111Q4's report no longer carries it.
    item.close(ndc_admin(), "已完成", period=q3)
    assert item.status == FollowUpStatus.CLOSED and item.closed_by.username == "ndc"
    monkeypatch.setenv("SIXCORE_AS_OF", "2023-01-05")
    assert services.report_items(report(open_period("111Q4"))) == []
    # The history: one answer per quarter, the rulings in order, every step in the change log.
    assert [(r.period.code, r.text) for r in item.responses.all()] == [
        ("111Q2", "已完成驗證場域規劃"),
        ("111Q3", "驗證場域已於 9 月啟用"),
    ]
    assert [(r.kind, r.comment) for r in item.rulings.all()] == [
        (RulingKind.KEEP, "驗證場域尚未啟用"),
        (RulingKind.CLOSE, "已完成"),
    ]
    actions = ObjectChange.objects.filter(action__startswith="followup.").values_list("action", flat=True)
    assert sorted(actions) == ["followup.close", "followup.keep"]
    assert ObjectChange.objects.filter(changed_object_type__model="followupresponse").count() == 2
    # The detail page shows both quarters and both rulings.
    client.force_login(ndc_reviewer())
    page = client.get(reverse("followups:detail", args=[item.pk])).content.decode()
    assert "111 年第 2 季" in page and "111 年第 3 季" in page and "驗證場域尚未啟用" in page


def test_an_item_without_industry_is_answered_in_the_first_report(program, monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-05")
    period = open_period("111Q2")
    reports = list(Submission.objects.filter(period=period, agency__code="moea").order_by("industry__code"))
    # An item of the agency's second industry, due first: it must not decide where the general one goes.
    second = services.create_follow_up(
        ndc_reviewer(),
        source=FollowUpSource.FIELD_VERIFICATION,
        text="第二個產業之建議事項",
        owner=agency("moea"),
        industry=reports[1].industry,
        due_date=date(2022, 8, 31),
        opened_on=date(2022, 4, 1),
    )
    general = services.create_follow_up(
        ndc_reviewer(),
        source=FollowUpSource.COORDINATION,
        text="請經濟部彙整跨產業人才需求",
        owner=agency("moea-idb"),  # a sub-unit: its ministry reports
        due_date=date(2022, 12, 31),
        opened_on=date(2022, 4, 1),
    )
    assert len(reports) > 1
    carrying = [s for s in reports if any(i.follow_up == general for i in services.report_items(s))]
    assert carrying == [reports[0]] == [services.carrying_submission(general, period)]
    carrying = [s for s in reports if any(i.follow_up == second for i in services.report_items(s))]
    assert carrying == [reports[1]] == [services.carrying_submission(second, period)]
    # Assigned after the quarter: not in that quarter's report.
    later = services.create_follow_up(
        ndc_reviewer(),
        source=FollowUpSource.COORDINATION,
        text="下季事項",
        owner=agency("moea"),
        due_date=date(2022, 12, 31),
        opened_on=date(2022, 7, 2),
    )
    assert later not in [i.follow_up for i in services.report_items(reports[0])]


def test_a_refused_save_keeps_what_was_typed_and_writes_nothing(item, client, monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-05")
    submission = report(open_period("111Q2"))
    client.force_login(editor("moea"))
    measure = submission.measure_reports.select_related("measure").first().measure.code
    too_long = "進" * (services.MAX_RESPONSE_CHARS + 1)
    response = _save_in_form(
        client, submission, item, too_long, **{f"measures|{measure}|progress": "本季辦理情形"}
    )
    page = response.content.decode()
    assert response.status_code == 200 and too_long in page and "本季辦理情形" in page
    assert f"追蹤事項 #{item.pk} 辦理情形" in page
    assert not item.responses.exists()
    assert not submission.measure_reports.filter(progress="本季辦理情形").exists()  # all or nothing


def test_completeness_asks_for_the_answer_before_submitting(item, monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-05")
    submission = report(open_period("111Q2"))
    CycleSettings.objects.filter(pk=1).update(require_narratives=True)
    problems = workflow.completeness_problems(submission)
    assert f"追蹤事項 #{item.pk} 辦理情形：送出審查前必須填寫。" in problems
    services.save_responses(editor("moea"), submission, {item.pk: "辦理中"})
    assert not any(f"#{item.pk}" in p for p in workflow.completeness_problems(submission))


def test_rulings_are_ndc_s_checked_and_version_guarded(item):
    for user in (editor("moea"), industry_lead("moea"), viewer("moea")):
        for action in ("close", "keep", "publish"):
            with pytest.raises(PermissionDenied):
                getattr(item, action)(user, "x")
    with pytest.raises(StaleVersion):
        item.close(ndc_reviewer(), "x", expected_version=item.version + 1)
    item.close(ndc_reviewer(), "完成", expected_version=item.version)
    with pytest.raises(InvalidTransition):
        item.keep(ndc_reviewer(), "x")
    item.reopen(ndc_reviewer(), "需再追蹤")
    assert item.status == FollowUpStatus.TRACKED and item.closed_at is None
    with pytest.raises(PermissionDenied):
        services.create_follow_up(
            editor("moea"), source="coordination", text="x", owner=agency("moea"), due_date=date(2022, 1, 1)
        )


def test_agency_a_neither_reads_nor_answers_b_s_items(item, client, monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-05")
    period = open_period("111Q2")
    moea_report = report(period)
    motc = editor("motc")
    assert item not in services.visible(motc)
    client.force_login(motc)
    assert client.get(reverse("followups:detail", args=[item.pk])).status_code == 404
    assert item.text not in client.get(reverse("followups:index")).content.decode()
    # Not B's report, and not through A's own report either.
    with pytest.raises(PermissionDenied):
        services.save_responses(motc, moea_report, {item.pk: "代填"})
    motc_report = Submission.objects.filter(period=period, agency__code="motc").first()
    with pytest.raises(services.ResponseErrors):
        services.save_responses(motc, motc_report, {item.pk: "代填"})
    response = _save_in_form(client, motc_report, item, "代填")
    assert response.status_code == 200 and "此季報未列" in response.content.decode()
    assert not item.responses.exists()
    # A viewer of the owner reads it but does not answer; the public sees it once published.
    assert item in services.visible(viewer("moea"))
    with pytest.raises(PermissionDenied):
        services.save_responses(viewer("moea"), moea_report, {item.pk: "x"})
    client.logout()
    assert client.get(reverse("followups:detail", args=[item.pk])).status_code == 404
    item.publish(ndc_reviewer())
    page = client.get(reverse("followups:detail", args=[item.pk]))
    assert page.status_code == 200 and item.text in page.content.decode()
    assert 'id="response-list"' not in page.content.decode()  # the agencies' answers are not public


def test_due_and_overdue(item):
    assert list(services.due_follow_ups(as_of=date(2022, 8, 30))) == []
    assert list(services.due_follow_ups(as_of=date(2022, 9, 1))) == [item]
    assert list(services.overdue_follow_ups(as_of=date(2022, 9, 30))) == []
    assert list(services.overdue_follow_ups(as_of=date(2022, 10, 1))) == [item]
    assert list(services.overdue_follow_ups(editor("motc"), as_of=date(2022, 10, 1))) == []
    assert list(services.overdue_follow_ups(editor("moea"), as_of=date(2022, 10, 1))) == [item]


def test_list_filters_and_ndc_buttons(item, client):
    other = services.create_follow_up(
        ndc_reviewer(),
        source="coordination",
        text="交通部港埠檔期",
        owner=agency("motc"),
        due_date=date(2030, 1, 1),
    )
    client.force_login(ndc_reviewer())
    url = reverse("followups:index")
    page = client.get(url, {"agency": agency("motc").pk}).content.decode()
    assert other.text in page and item.text not in page
    page = client.get(url, {"source": "field_verification"}).content.decode()
    assert item.text in page and other.text not in page
    with as_of(date(2022, 10, 1)):
        page = client.get(url, {"overdue": "on"}).content.decode()
    assert item.text in page and other.text not in page
    # Keep needs a comment; the typed new due date stays in the form.
    detail = reverse("followups:detail", args=[item.pk])
    response = client.post(
        reverse("followups:keep", args=[item.pk]), {"version": item.version, "new_due_date": "2023-03-31"}
    )
    assert response.status_code == 400 and 'value="2023-03-31"' in response.content.decode()
    response = client.post(
        reverse("followups:keep", args=[item.pk]), {"version": item.version, "comment": "持續追蹤"}
    )
    assert response.status_code == 302 and response["Location"] == detail
    response = client.post(
        reverse("followups:close", args=[item.pk]), {"version": item.version, "comment": "x"}
    )
    assert response.status_code == 409  # the page was stale: nothing closed
    item.refresh_from_db()
    assert item.status == FollowUpStatus.TRACKED
    client.force_login(editor("moea"))
    response = client.post(reverse("followups:close", args=[item.pk]), {"version": item.version})
    assert response.status_code == 403


def test_reminders_name_each_owner_s_items(item, mailoutbox, monkeypatch):
    from django.core.management import call_command

    from tests.factories import UserFactory

    UserFactory(username="moea_officer", role="agency_editor", agency="moea", email="officer@moea.gov.tw")
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-10-03")  # the item was due 111/9/30
    open_period("111Q3")
    call_command("remind", "--period", "111Q3")
    [mail] = [m for m in mailoutbox if "追蹤事項" in m.subject]
    assert mail.subject == "【逾期通知】經濟部：1 項追蹤事項已逾期"
    assert "officer@moea.gov.tw" in mail.to and "ndc-sixcore@localhost" in mail.to
    assert f"#{item.pk} {item.text}" in mail.body and "111/9/30" in mail.body
    mailoutbox.clear()
    call_command("remind", "--period", "111Q3", "--no-follow-ups")
    assert not [m for m in mailoutbox if "追蹤事項" in m.subject]
    item.close(ndc_reviewer(), "完成")
    call_command("remind", "--period", "111Q3")
    assert not [m for m in mailoutbox if "追蹤事項" in m.subject]


def test_needs_attention_lists_items_due_or_overdue(item, client, monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-10-03")
    open_period("111Q3")
    client.force_login(ndc_reviewer())
    page = client.get("/dashboard/attention/", {"period": "111Q3", "kind": "follow_up"}).content.decode()
    row = page.split(f'href="{reverse("followups:detail", args=[item.pk])}"', 1)[1].split("</tr>", 1)[0]
    assert "逾期" in row and "經濟部" in row and "111/9/30" in row


def test_the_quarterly_report_lists_open_items_with_their_latest_answer(item, monkeypatch):
    from sixcore.reports.builder import build_quarterly_report

    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-05")
    q2 = open_period("111Q2")
    services.save_responses(editor("moea"), report(q2), {item.pk: "第 2 季辦理情形"})
    [row] = build_quarterly_report(q2, ndc_reviewer()).follow_ups
    assert (row.number, row.owner, row.due, row.latest, row.latest_period) == (
        f"#{item.pk}",
        "經濟部",
        "111/9/30",
        "第 2 季辦理情形",
        "111 年第 2 季",
    )
    assert row.source == "實地查證建議事項" and row.state == "列管中"
    # The public report: published items only, and answers of approved reports only.
    assert build_quarterly_report(q2, published_only=True).follow_ups == []
    item.publish(ndc_reviewer())
    [public] = build_quarterly_report(q2, published_only=True).follow_ups
    assert public.latest == "—"
    # Closed before the quarter ended: not in that quarter's report; still in the earlier one's.
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-12-20")
    item.close(ndc_reviewer(), "完成")
    assert build_quarterly_report(open_period("111Q4"), ndc_reviewer()).follow_ups == []
    assert len(build_quarterly_report(q2, ndc_reviewer()).follow_ups) == 1
