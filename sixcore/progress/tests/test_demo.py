"""``sixcore demo``: deterministic, labelled 示範資料, users for every agency, the as-of date set."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from sixcore.accounts.choices import Role
from sixcore.accounts.models import User
from sixcore.demo.management.commands.demo import AS_OF
from sixcore.progress.choices import PeriodState, SubmissionStatus
from sixcore.progress.models import CycleSettings, KPIReport, MeasureReport, ReportingPeriod, Submission


def _snapshot():
    return (
        sorted(
            (s.period.code, s.industry.code, s.agency.code, s.status)
            for s in Submission.objects.select_related("period", "industry", "agency")
        ),
        sorted(KPIReport.objects.exclude(value=None).values_list("kpi__code", "value")),
        sorted(
            Submission.objects.exclude(returned_at=None).values_list(
                "period__quarter", "industry__code", "agency__code", "return_comment"
            )
        ),
    )


def test_demo_is_deterministic_and_labelled(program, capsys, monkeypatch):
    monkeypatch.delenv("SIXCORE_AS_OF", raising=False)
    call_command("demo", "--password", "demo-password-123", "--until", "110Q2")
    out = capsys.readouterr().out
    assert "shown once" not in out  # the given password is not printed
    assert User.objects.get(username="ndc").role == "ndc_admin"
    assert User.objects.filter(username="moea_editor", agency__code="moea").exists()
    assert User.objects.filter(username="mohw_editor").exists()
    assert User.objects.get(username="ndc").check_password("demo-password-123")
    assert str(CycleSettings.get().as_of) == "2023-10-11"
    subs = Submission.objects.all()
    assert subs.count() > 40 and all(s.is_demo for s in subs)
    assert set(subs.values_list("period__roc_year", "period__quarter")) == {(110, 1), (110, 2)}
    # Earlier quarters are approved (a few agencies may be late); the last one is being reported.
    assert SubmissionStatus.APPROVED in set(subs.filter(period__quarter=1).values_list("status", flat=True))
    assert set(subs.filter(period__quarter=1).values_list("status", flat=True)) <= {
        SubmissionStatus.APPROVED,
        SubmissionStatus.DRAFT,
    }
    current = subs.filter(period__quarter=2)
    assert set(current.values_list("status", flat=True)) >= {
        SubmissionStatus.DRAFT,  # to fill
        SubmissionStatus.SUBMITTED,  # the industry lead's to consolidate
        SubmissionStatus.CONSOLIDATED,  # NDC's to review
    }
    assert current.filter(status=SubmissionStatus.DRAFT, returned_at=None).exists()
    returned = current.filter(status=SubmissionStatus.DRAFT).exclude(returned_at=None)
    assert returned.exists() and all("示範資料" in s.return_comment for s in returned)
    assert all(s.returned_by.username == "ndc_reviewer" for s in returned)
    assert all("示範資料" in m.progress for m in MeasureReport.objects.exclude(progress=""))
    first = _snapshot()
    # Same seed, same data: regenerate from scratch and compare.
    Submission.objects.all().delete()
    call_command("demo", "--password", "demo-password-123", "--until", "110Q2")
    assert _snapshot() == first
    # Coordination work for the to-do lists, created once: two open issues, one decision overdue.
    from sixcore.coordination.models import CoordinationIssue
    from sixcore.coordination.services import overdue_decisions

    assert CoordinationIssue.objects.filter(status="open").count() == 2
    assert [d.owner.code for d in overdue_decisions(as_of=AS_OF)] == ["moea"]
    assert all("示範資料" in i.title for i in CoordinationIssue.objects.all())


def test_every_industry_has_an_industry_lead_user(program):
    from sixcore.plan.models import Industry

    call_command("demo", "--password", "demo-password-123", "--until", "110Q1")
    leads = User.objects.filter(role=Role.INDUSTRY_LEAD, username__endswith="_lead")
    assert {u.username for u in leads} >= {"moea_lead", "most_lead"}
    for industry in Industry.objects.filter(program=program):
        assert leads.filter(agency__in=industry.lead_agencies.all()).exists(), industry.name
    assert all(u.username == f"{u.agency.code}_lead" for u in leads)


def test_every_demo_user_has_a_person_s_name_marked_as_demo(client, program):
    """History, 待辦 and the header show people's names, never account names like moea_editor."""
    import re

    from sixcore.accounts.models import Agency

    User.objects.create(  # named by an earlier demo
        username="mohw_editor",
        first_name="mohw_editor（示範資料）",
        role=Role.AGENCY_EDITOR,
        agency=Agency.objects.get(code="mohw"),
    )
    call_command("demo", "--password", "demo-password-123", "--until", "110Q1")
    users = list(User.objects.all())
    names = [u.get_full_name() for u in users]
    assert len(users) > 20 and len(set(names)) == len(users)  # one person each
    for user, name in zip(users, names, strict=True):
        assert re.fullmatch(r"[\u4e00-\u9fff]{3}（示範）", name), name  # 陳怡君（示範）
        assert user.username not in name
    client.force_login(User.objects.get(username="moea_editor"))
    page = client.get("/todo/").content.decode()
    who = re.search(r'<span class="who">(.*?)</span>', page).group(1)
    assert who == f"{User.objects.get(username='moea_editor').get_full_name()}（經濟部）"
    returned = Submission.objects.exclude(returned_at=None).select_related("agency").first()
    client.force_login(User.objects.get(username=f"{returned.agency.code}_editor"))
    page = client.get(f"/progress/submissions/{returned.pk}/").content.decode()
    assert f"，{returned.returned_by.get_full_name()}）" in page and "ndc_reviewer" not in page


def test_the_as_of_date_falls_in_the_reporting_window_of_the_last_quarter(db):
    """The default run (--until 112Q3): its reports are open for editors on the as-of date, so the
    drafts can be filled and the returned one fixed."""
    period = ReportingPeriod.by_code("112Q3")
    assert period.state_on(AS_OF, CycleSettings.get().grace_days) == PeriodState.OPEN
    assert AS_OF < period.due_date


def test_demo_prints_a_generated_password_once(program, capsys):
    call_command("demo", "--until", "110Q1")
    assert "shown once" in capsys.readouterr().out


def test_demo_needs_the_program(db):
    from sixcore.plan.models import Program

    Program.objects.all().delete()
    with pytest.raises(CommandError, match="plan load"):
        call_command("demo")
