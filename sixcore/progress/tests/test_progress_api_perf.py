"""Reads of the cycle API in queries that do not grow with the rows, still within the caller's scope, and
the work-item lines' fast path equal to DRF's generic serialization."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers
from rest_framework.test import APIClient

from sixcore.progress.api.serializers import WorkItemLineSerializer
from sixcore.progress.models import Submission, WorkItemReport
from tests.factories import editor, ndc_reviewer, open_period

LIST = "/api/progress/submissions/?period=111Q2"


@pytest.fixture
def period(program, monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-05")
    return open_period("111Q2")


def queries(client: APIClient, url: str) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json()


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.mark.parametrize("user", [ndc_reviewer, lambda: editor("moea")])
def test_list_queries_do_not_grow_with_the_page(period, user):
    client = signed_in(user())
    one, _ = queries(client, f"{LIST}&limit=1")
    many, data = queries(client, f"{LIST}&limit=1000")
    assert data["count"] > 1 and len(data["results"]) == data["count"]
    assert one == many


def test_agency_list_is_its_own_submissions_only(period):
    listed = signed_in(editor("moea")).get(f"{LIST}&limit=1000").json()["results"]
    assert listed and {s["agency"] for s in listed} == {"moea"}


def test_detail_queries_do_not_grow_with_the_lines(period):
    client = signed_in(ndc_reviewer())
    by_lines = sorted(Submission.objects.filter(period=period), key=lambda s: s.work_item_reports.count())
    fewest, most = by_lines[0], by_lines[-1]
    assert most.work_item_reports.count() > fewest.work_item_reports.count() + 5
    counts = {queries(client, f"/api/progress/submissions/{s.pk}/")[0] for s in (fewest, most)}
    assert len(counts) == 1 and counts.pop() <= 12


def test_work_item_lines_are_the_generic_serialization(period):
    lines = list(
        WorkItemReport.objects.filter(submission__period=period).select_related("work_item__schedule")[:40]
    )
    # Values of every kind: empty, and set (a percent with decimals, a completion date, a status).
    WorkItemReport.objects.filter(pk=lines[0].pk).update(
        percent=Decimal("37.5"), status="lagging", lag_reason="缺料", completed_on=datetime.date(2022, 6, 30)
    )
    lines[0].refresh_from_db()
    serializer = WorkItemLineSerializer()
    for line in lines:
        fast = serializer.to_representation(line)
        assert list(fast.items()) == list(
            serializers.ModelSerializer.to_representation(serializer, line).items()
        )
