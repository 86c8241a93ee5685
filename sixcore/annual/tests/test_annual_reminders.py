"""Reminders of the year-end evaluation's deadlines (issue #20: "deadlines and reminders as in the
quarterly cycle"): whoever acts on a stage is mailed when its deadline is near or past."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from sixcore.annual import setup
from sixcore.annual.models import AnnualEvaluation
from sixcore.annual.tests.test_annual_workflow import INITIAL_DAY, YEAR, to_initial
from tests.factories import UserFactory, open_period

pytestmark = pytest.mark.django_db


def annual_mail(mailoutbox):
    return [m for m in mailoutbox if "年度評核" in m.subject]


@pytest.fixture
def officer():
    return UserFactory(
        username="moea_officer", role="agency_editor", agency="moea", email="officer@moea.gov.tw"
    )


def remind(*extra):
    open_period("111Q4")
    call_command("remind", "--period", "111Q4", "--no-follow-ups", *extra)


def test_nothing_before_the_self_assessment_opens(officer, mailoutbox, monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-12-20")  # 111's 自評 opens 112/1/10
    setup.ensure_evaluations(YEAR)
    remind()
    assert annual_mail(mailoutbox) == []


def test_the_agency_is_reminded_then_told_it_is_late(officer, mailoutbox, monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2023-02-01")
    setup.ensure_evaluations(YEAR)
    remind()
    assert annual_mail(mailoutbox) == []  # 自評 due 112/3/25: more than two weeks away
    monkeypatch.setenv("SIXCORE_AS_OF", "2023-03-20")
    remind()
    [mail] = [m for m in annual_mail(mailoutbox) if "officer@moea.gov.tw" in m.to]
    assert mail.subject.startswith("【提醒】經濟部") and "112/3/25" in mail.body
    assert "ndc-sixcore@localhost" not in mail.to
    mailoutbox.clear()
    monkeypatch.setenv("SIXCORE_AS_OF", "2023-03-30")
    remind()
    [mail] = [m for m in annual_mail(mailoutbox) if "officer@moea.gov.tw" in m.to]
    assert mail.subject.startswith("【逾期通知】經濟部") and "逾期" in mail.body
    assert "ndc-sixcore@localhost" in mail.to
    mailoutbox.clear()
    remind("--no-annual")
    assert annual_mail(mailoutbox) == []


def test_the_initial_review_goes_to_the_industry_lead(officer, mailoutbox, monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2023-02-01")
    setup.ensure_evaluations(YEAR)
    lead = UserFactory(username="moea_chief", role="industry_lead", agency="moea", email="lead@moea.gov.tw")
    evaluation = AnnualEvaluation.objects.get(year=YEAR, industry__code="1", agency__code="most")
    to_initial(evaluation)
    monkeypatch.setenv("SIXCORE_AS_OF", INITIAL_DAY)  # 初核 due 112/4/15, five days later
    remind()
    to_lead = [m for m in annual_mail(mailoutbox) if lead.email in m.to]
    assert to_lead and any("初核" in m.body and str(evaluation) in m.body for m in to_lead)
