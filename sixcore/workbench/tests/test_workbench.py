"""The 待辦事項 home (issue #17 item 2): each role sees its work, scoped by the permission policies
(an agency never sees another agency's drafts), in a number of queries that does not grow with the
number of submissions. Statuses are set directly: these tests are about what the page lists, not about
the workflow's rules (sixcore/progress/tests/test_progress_workflow.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sixcore.accounts.models import Agency
from sixcore.coordination import services as coordination
from sixcore.progress.choices import SubmissionStatus
from sixcore.progress.models import Submission
from tests.factories import editor, industry_lead, ndc_admin, ndc_reviewer, open_period

pytestmark = pytest.mark.django_db
OPEN_DAY = "2022-07-05"  # 111Q2 open, due 111/7/15
GRACE_DAY = "2022-07-18"  # past the due date, in the grace days


@pytest.fixture
def period(monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", OPEN_DAY)
    return open_period("111Q2")


def _sub(period, industry: str, agency: str) -> Submission:
    return Submission.objects.get(period=period, industry__code=industry, agency__code=agency)


def _set(submission: Submission, status: str, **fields) -> None:
    Submission.objects.filter(pk=submission.pk).update(status=status, **fields)


def _page(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("workbench:home"))
    assert response.status_code == 200
    return response.content.decode()


def _section(html: str, section_id: str) -> str:
    return html.split(f'id="{section_id}"', 1)[1].split("</section>", 1)[0]


def _link(submission: Submission) -> str:
    return reverse("progress:submission", args=[submission.pk])


def test_login_lands_on_the_to_do_home(client, period):
    assert settings.LOGIN_REDIRECT_URL == "workbench:home"
    user = editor("moea")
    user.set_password("a-long-test-password")
    user.save()
    response = client.post(reverse("login"), {"username": user.username, "password": "a-long-test-password"})
    assert response.status_code == 302 and response["Location"] == reverse("workbench:home")


def test_the_public_is_asked_to_log_in(client, period):
    response = client.get(reverse("workbench:home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_officer_sees_drafts_to_fill_returned_with_comment_and_never_another_agencys(client, period):
    mine, returned = _sub(period, "1", "moea"), _sub(period, "4", "moea")
    other = _sub(period, "1", "most")
    _set(returned, SubmissionStatus.DRAFT, returned_at=timezone.now(), return_comment="請補充佐證資料")
    html = _page(client, editor("moea"))
    assert "待辦事項" in html
    to_fill = _section(html, "to-fill")
    assert _link(mine) in to_fill and "111/7/15" in to_fill  # due date in the ROC calendar
    assert _link(returned) not in to_fill
    assert _link(returned) in _section(html, "returned") and "請補充佐證資料" in _section(html, "returned")
    assert _link(other) not in html  # 科技部's draft
    assert 'id="to-review"' not in html and 'id="to-consolidate"' not in html


def test_officer_sees_overdue_drafts_past_the_due_date(client, period, monkeypatch):
    mine = _sub(period, "1", "moea")
    monkeypatch.setenv("SIXCORE_AS_OF", GRACE_DAY)
    html = _page(client, editor("moea"))
    assert _link(mine) in _section(html, "overdue") and _link(mine) not in _section(html, "to-fill")


def test_industry_lead_sees_its_industries_submissions_to_consolidate(client, period):
    submitted = _sub(period, "3", "moea")  # 臺灣精準健康產業, led by 科技部
    elsewhere = _sub(period, "1", "mohw")  # industry 1 is led by 經濟部
    _set(submitted, SubmissionStatus.SUBMITTED, submitted_at=timezone.now())
    _set(elsewhere, SubmissionStatus.SUBMITTED, submitted_at=timezone.now())
    html = _page(client, industry_lead("most"))
    section = _section(html, "to-consolidate")
    assert _link(submitted) in section and _link(elsewhere) not in section
    assert _link(_sub(period, "3", "most")) in _section(html, "to-fill")  # its own agency's draft
    assert _link(_sub(period, "3", "moea")) not in _section(html, "to-fill")


def test_ndc_sees_reports_to_review_late_agencies_issues_and_decisions(client, period, monkeypatch):
    submitted, consolidated = _sub(period, "1", "moea"), _sub(period, "3", "most")
    _set(submitted, SubmissionStatus.SUBMITTED, submitted_at=timezone.now())
    _set(consolidated, SubmissionStatus.CONSOLIDATED, submitted_at=timezone.now())
    admin = ndc_admin()
    moea = Agency.objects.get(code="moea")
    issue = coordination.raise_issue(admin, title="跨部會議題甲", description="說明", raising_agency=moea)
    meeting = coordination.record_meeting(admin, date=date(2022, 7, 1), title="專案會議")
    due = coordination.add_decision(
        admin, meeting, text="請經濟部提報", owner=moea, deadline=date(2022, 7, 10)
    )
    later = coordination.add_decision(admin, meeting, text="明年再議", owner=moea, deadline=date(2023, 1, 1))
    monkeypatch.setenv("SIXCORE_AS_OF", GRACE_DAY)
    html = _page(client, ndc_reviewer())
    review = _section(html, "to-review")
    assert _link(submitted) in review and _link(consolidated) in review
    late = _section(html, "late")
    assert "經濟部" not in late or "資訊及數位產業" not in late.split("經濟部", 1)[1].split("</li>", 1)[0]
    assert "交通部" in late  # agencies with drafts past 111/7/15
    assert reverse("coordination:issue", args=[issue.pk]) in _section(html, "issues")
    follow_ups = _section(html, "follow-ups")
    assert reverse("followups:detail", args=[due.follow_up.pk]) in follow_ups
    assert reverse("followups:detail", args=[later.follow_up.pk]) not in follow_ups


def test_ndc_sees_the_red_lights_of_the_latest_period_due(client, period, monkeypatch):
    from sixcore.evaluation import read

    seen = {}
    real = read.evaluation_for

    def evaluate(the_period, user=None, **kwargs):
        seen["period"] = the_period.code
        evaluation = real(the_period, user, **kwargs)
        evaluation.kpis[0].light = "red"
        evaluation.kpis[0].reason = "達成率 50%"
        return evaluation

    monkeypatch.setattr(read, "evaluation_for", evaluate)
    monkeypatch.setenv("SIXCORE_AS_OF", GRACE_DAY)
    html = _page(client, ndc_reviewer())
    assert seen["period"] == "111Q2"
    red = _section(html, "red-lights")
    assert "111 年第 2 季紅燈項目" in red and "達成率 50%" in red
    assert reverse("evaluation:attention") in red


def test_query_count_does_not_grow_with_the_submissions(
    client, period, monkeypatch, django_assert_max_num_queries
):
    def counts() -> dict[str, int]:
        found = {}
        for name, user in (
            ("officer", editor("moea")),
            ("lead", industry_lead("moea")),
            ("ndc", ndc_admin()),
        ):
            client.force_login(user)
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(reverse("workbench:home")).status_code == 200
            found[name] = len(ctx.captured_queries)
        return found

    for s in period.submissions.filter(industry__code="2")[:3]:
        _set(s, SubmissionStatus.SUBMITTED, submitted_at=timezone.now())
    monkeypatch.setenv("SIXCORE_AS_OF", GRACE_DAY)
    before = counts()
    # Three more periods of drafts (past due, so listed as overdue and late) and more to review.
    for code in ("110Q4", "111Q1", "111Q3"):
        more = open_period(code)
        for s in more.submissions.filter(industry__code__in=["1", "2"])[:6]:
            _set(s, SubmissionStatus.SUBMITTED, submitted_at=timezone.now() - timedelta(days=1))
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-10-05")
    for name, user in (("officer", editor("moea")), ("lead", industry_lead("moea")), ("ndc", ndc_admin())):
        client.force_login(user)
        with django_assert_max_num_queries(before[name]):
            assert client.get(reverse("workbench:home")).status_code == 200


def _visit(title: str, day: date, status: str, findings: list[str]):
    from sixcore.fieldwork.models import FieldVerification, VerifiedItem

    visit = FieldVerification.objects.create(
        title=title, date=day, place="新竹", reviewers="王專門委員", status=status, created_by=ndc_admin()
    )
    for n, text in enumerate(findings):
        VerifiedItem.objects.create(
            verification=visit, kind="measure", code=f"1.{n + 2}", label="措施", findings=text
        )
    return visit


def test_ndc_sees_field_verifications_to_prepare_complete_and_publish(client, period, monkeypatch):
    """As of 111/7/18: a visit past its date with items lacking findings, one coming up within two weeks,
    one completed and not published; a visit far off, a published and a cancelled one are not work."""
    monkeypatch.setenv("SIXCORE_AS_OF", GRACE_DAY)
    past = _visit("查證甲", date(2022, 7, 12), "planned", ["已查證", "", ""])
    recorded = _visit("查證乙", date(2022, 7, 15), "planned", ["已查證"])
    soon = _visit("查證丙", date(2022, 7, 25), "planned", [""])
    done = _visit("查證丁", date(2022, 6, 30), "completed", ["已查證"])
    quiet = [
        _visit("查證戊", date(2022, 9, 1), "planned", [""]),
        _visit("查證己", date(2022, 5, 1), "published", ["已查證"]),
        _visit("查證庚", date(2022, 7, 1), "cancelled", [""]),
    ]
    section = _section(_page(client, ndc_reviewer()), "field-verifications")
    assert "（4）" in section

    def item(visit) -> str:
        link = reverse("fieldwork:detail", args=[visit.pk])
        assert link in section, visit.title
        return section.split(link, 1)[1].split("</li>", 1)[0]

    assert "111/7/12" in item(past) and "2 項尚未登錄查證結果" in item(past)
    assert "查證結果已登錄，待辦理完成" in item(recorded)
    assert "即將查證" in item(soon)
    assert "已完成，尚未公開" in item(done)
    for visit in quiet:
        assert reverse("fieldwork:detail", args=[visit.pk]) not in section, visit.title
    # Agencies have no such section (NDC's work).
    assert 'id="field-verifications"' not in _page(client, editor("moea"))
