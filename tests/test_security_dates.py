"""Dates from outside are checked for range before any arithmetic (issue #18): a fuzzing run found
``GET /api/supplies/status/?as_of=0008-10-03`` answering 500 (OverflowError in the look-back window).
Query parameters, form fields, uploaded cells and command options: a date outside core/dates.py's range
is refused naming what was wrong, and random dates never give a 5xx."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from sixcore.core.dates import MAX_DATE, MIN_DATE
from tests.factories import editor, ndc_admin, ndc_reviewer, open_period

FAR = ["0008-10-03", "0001-01-01", "1911-12-31", "2101-01-01", "9999-12-31"]


@pytest.fixture
def seeded(db, monkeypatch):
    from sixcore.supplies.registry import ensure_seeded

    monkeypatch.setenv("SIXCORE_AS_OF", "2024-06-30")
    ensure_seeded()


@pytest.fixture
def api(seeded):
    client = APIClient()
    client.force_authenticate(ndc_admin())
    return client


def _item_and_reporter():
    from sixcore.supplies.choices import ReporterKind
    from sixcore.supplies.models import Assignment, Reporter, SupplyItem

    item = SupplyItem.objects.order_by("order").first()
    reporter, _ = Reporter.objects.get_or_create(
        code="dates-co", defaults={"name": "日期公司（測試）", "kind": ReporterKind.COMPANY}
    )
    Assignment.objects.get_or_create(item=item, reporter=reporter)
    return item, reporter


@pytest.mark.parametrize("value", FAR)
def test_status_as_of_out_of_range_is_a_400_naming_it(api, value):
    response = api.get("/api/supplies/status/", {"as_of": value})
    assert response.status_code == 400 and list(response.json()) == ["as_of"]


@pytest.mark.parametrize("name", ["date_from", "date_to"])
def test_observation_filters_out_of_range_are_a_400_naming_them(api, name):
    response = api.get("/api/supplies/observations/", {name: "0008-10-03"})
    assert response.status_code == 400 and list(response.json()) == [name]


def test_an_observation_dated_year_8_is_refused(api):
    item, reporter = _item_and_reporter()
    body = {"item": item.code, "reporter": reporter.code, "date": "0008-10-03", "stock": "1"}
    response = api.post("/api/supplies/observations/", body, format="json")
    assert response.status_code == 400 and "date" in response.json()


def test_a_minimum_from_year_9999_is_refused(api):
    item, _ = _item_and_reporter()
    body = {"item": item.code, "effective_from": "9999-01-01", "value": "5"}
    response = api.post("/api/supplies/minimums/", body, format="json")
    assert response.status_code == 400 and "effective_from" in response.json()


@pytest.mark.parametrize("param", ["as_of", "start"])
def test_supply_pages_answer_400_for_a_date_out_of_range(client, seeded, param):
    item, _ = _item_and_reporter()
    response = client.get(reverse("supplies:item", args=[item.code]), {param: "0008-10-03"})
    assert response.status_code == 400
    assert client.get(reverse("supplies:dashboard"), {"as_of": "0008-10-03"}).status_code == 400


def test_web_forms_refuse_dates_out_of_range(db):
    from sixcore.coordination.forms import MeetingForm
    from sixcore.progress.forms import ReopenPeriodForm
    from sixcore.revisions.forms import WorkItemForm

    meeting = MeetingForm({"date": "0008-10-03", "title": "t"})
    assert not meeting.is_valid() and "date" in meeting.errors
    reopen = ReopenPeriodForm({"until": "2101-01-01", "reason": "r"})
    assert not reopen.is_valid() and "until" in reopen.errors
    work_item = WorkItemForm({"schedule": "1-1", "code": "1.1.1", "start": "190/1"})
    assert not work_item.is_valid() and "start" in work_item.errors


@pytest.mark.parametrize("cell", ["0008-10-03", "190/01/01", date(9999, 1, 1)])
def test_uploaded_observation_dates_out_of_range_are_cell_errors(cell):
    from sixcore.supplies.importer import parse_date

    with pytest.raises(ValueError, match="1912-01-01"):
        parse_date(cell)


def test_a_report_line_completion_date_out_of_range_is_a_line_error(db, monkeypatch):
    from sixcore.progress.models import Submission
    from sixcore.progress.services import LineErrors, save_lines

    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-05")
    period = open_period("111Q2")
    submission = Submission.objects.get(period=period, industry__code="1", agency__code="moea")
    line = submission.work_item_reports.select_related("work_item__schedule").first()
    key = f"{line.work_item.schedule.code}/{line.work_item.code}"
    with pytest.raises(LineErrors) as caught:
        save_lines(
            submission,
            editor("moea"),
            submission.version,
            {"work_items": {key: {"completed_on": "0008-10-03"}}},
        )
    assert "1912-01-01" in str(caught.value.errors)


def test_command_as_of_out_of_range_is_a_command_error(seeded):
    with pytest.raises(CommandError, match="--as-of"):
        call_command("supplies", "status", "--as-of", "0008-10-03")


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(day=st.dates(), name=st.sampled_from(["as_of", "date_from", "date_to", "post"]))
def test_random_dates_never_give_a_server_error(api, day, name):
    """Any date a client can send on these parameters: 2xx or 4xx, never 5xx."""
    if name == "as_of":
        response = api.get("/api/supplies/status/", {"as_of": day.isoformat()})
    elif name == "post":
        item, reporter = _item_and_reporter()
        body = {"item": item.code, "reporter": reporter.code, "date": day.isoformat(), "stock": "1"}
        response = api.post("/api/supplies/observations/", body, format="json")
    else:
        response = api.get("/api/supplies/observations/", {name: day.isoformat()})
    assert response.status_code < 500
    if not MIN_DATE <= day <= MAX_DATE:
        assert response.status_code == 400


def test_a_reviewer_reads_statuses_in_range(api):
    """The range leaves the program's dates alone."""
    reviewer = APIClient()
    reviewer.force_authenticate(ndc_reviewer())
    assert reviewer.get("/api/supplies/status/", {"as_of": "2024-06-30"}).status_code == 200
