"""A write's answer (the submission with its lines, state and the caller's rights) costs a fixed number
of queries whatever the number of lines: the period's state and the rights read the settings once per
request (``periods.CycleReads``), and the submission the write refreshed is not read again."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from sixcore.progress.api.views import SubmissionViewSet
from sixcore.progress.models import Submission
from tests.factories import editor, ndc_reviewer, open_period

# Five prefetches of lines and attachments, then for an editor whether the agency reviews internally
# and whether the editor is a supervisor (the period's state is known from the check before the
# write); for NDC the settings and the reopenings (NDC's check reads neither).
ANSWER_QUERIES = {"save": 7, "approve": 7}


@pytest.fixture
def period(program, monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-05")
    return open_period("111Q2")


@pytest.fixture
def answers(monkeypatch):
    """The number of queries of each write's answer."""
    counted: list[int] = []
    original = SubmissionViewSet.written_response

    def counting(self, submission):
        with CaptureQueriesContext(connection) as ctx:
            response = original(self, submission)
        counted.append(len(ctx.captured_queries))
        return response

    monkeypatch.setattr(SubmissionViewSet, "written_response", counting)
    return counted


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def fewest_and_most_lines(period) -> tuple[Submission, Submission]:
    subs = sorted(
        Submission.objects.filter(period=period, agency__code="moea"),
        key=lambda s: s.work_item_reports.count(),
    )
    assert subs[-1].work_item_reports.count() > subs[0].work_item_reports.count()
    return subs[0], subs[-1]


def test_a_save_answers_in_fixed_queries(period, answers):
    client = signed_in(editor("moea"))
    for sub in fewest_and_most_lines(period):
        measure = sub.measure_reports.select_related("measure").first().measure.code
        response = client.patch(
            f"/api/progress/submissions/{sub.pk}/lines/",
            {"version": sub.version, "measures": {measure: {"progress": "進行中"}}},
            format="json",
        )
        assert response.status_code == 200, response.content
        assert response.json()["version"] == sub.version + 1
        assert response.json()["permissions"]["edit"] is True
    assert answers == [ANSWER_QUERIES["save"]] * 2


def test_an_approval_answers_in_fixed_queries(period, answers):
    client = signed_in(ndc_reviewer())
    for sub in fewest_and_most_lines(period):
        Submission.objects.filter(pk=sub.pk).update(status="submitted")
        response = client.post(f"/api/progress/submissions/{sub.pk}/approve/", {"comment": ""}, format="json")
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "approved"
        assert response.json()["period_state"] == "open"
    assert answers == [ANSWER_QUERIES["approve"]] * 2


def test_the_answer_equals_a_fresh_read(period):
    """The answer of a write is what a GET of the submission then shows (same state and rights)."""
    client = signed_in(editor("moea"))
    sub = fewest_and_most_lines(period)[1]
    measure = sub.measure_reports.select_related("measure").first().measure.code
    written = client.patch(
        f"/api/progress/submissions/{sub.pk}/lines/",
        {"version": sub.version, "measures": {measure: {"progress": "進行中"}}},
        format="json",
    ).json()
    assert written == client.get(f"/api/progress/submissions/{sub.pk}/").json()
