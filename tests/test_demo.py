"""``sixcore demo``: deterministic, labelled 示範資料, users for every agency, the as-of date set."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from sixcore.accounts.models import User
from sixcore.progress.choices import SubmissionStatus
from sixcore.progress.models import CycleSettings, KPIReport, MeasureReport, Submission


def _snapshot():
    return sorted(
        (s.period.code, s.industry.code, s.agency.code, s.status)
        for s in Submission.objects.select_related("period", "industry", "agency")
    ), sorted(KPIReport.objects.exclude(value=None).values_list("kpi__code", "value"))


def test_demo_is_deterministic_and_labelled(program, capsys, monkeypatch):
    monkeypatch.delenv("SIXCORE_AS_OF", raising=False)
    call_command("demo", "--password", "demo-password-123", "--until", "110Q2")
    out = capsys.readouterr().out
    assert "shown once" not in out  # the given password is not printed
    assert User.objects.get(username="ndc").role == "ndc_admin"
    assert User.objects.filter(username="moea_editor", agency__code="moea").exists()
    assert User.objects.filter(username="mohw_editor").exists()
    assert User.objects.get(username="ndc").check_password("demo-password-123")
    assert str(CycleSettings.get().as_of) == "2023-08-01"
    subs = Submission.objects.all()
    assert subs.count() > 40 and all(s.is_demo for s in subs)
    assert set(subs.values_list("period__roc_year", "period__quarter")) == {(110, 1), (110, 2)}
    # The last generated quarter has every state; earlier ones are approved.
    assert set(subs.filter(period__quarter=1).values_list("status", flat=True)) == {SubmissionStatus.APPROVED}
    assert len(set(subs.filter(period__quarter=2).values_list("status", flat=True))) >= 3
    assert all("示範資料" in m.progress for m in MeasureReport.objects.all())
    first = _snapshot()
    # Same seed, same data: regenerate from scratch and compare.
    Submission.objects.all().delete()
    call_command("demo", "--password", "demo-password-123", "--until", "110Q2")
    assert _snapshot() == first


def test_demo_prints_a_generated_password_once(program, capsys):
    call_command("demo", "--until", "110Q1")
    assert "shown once" in capsys.readouterr().out


def test_demo_needs_the_program(db):
    from sixcore.plan.models import Program

    Program.objects.all().delete()
    with pytest.raises(CommandError, match="plan load"):
        call_command("demo")
