"""``sixcore evaluate``: the JSON document of the issue, text output, --published-only, errors."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from sixcore.evaluation import store
from sixcore.progress.choices import SubmissionStatus
from sixcore.progress.models import KPIReport, Submission
from tests.factories import open_period


def evaluate(*args: str) -> str:
    out = StringIO()
    call_command("evaluate", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def q2(program):
    period = open_period("111Q2")
    moea = Submission.objects.get(period=period, industry__code="1", agency__code="moea")
    KPIReport.objects.filter(submission=moea, kpi__code="1.2.2").update(value="6.5")
    store.rebuild([period])  # the line was written beside the write path that refreshes the store
    return period


def test_json_shape(q2):
    doc = json.loads(evaluate("--period", "111Q2", "--format", "json"))
    assert doc["period"] == "111Q2" and doc["revision"] == 0
    assert {"kpis", "work_items", "budget", "rollups"} <= set(doc)
    kpi = next(k for k in doc["kpis"] if k["kpi"] == "1.2.2")
    assert {"kpi", "measure", "expected", "actual", "achievement", "light"} <= set(kpi)
    assert kpi == {
        **kpi,
        "measure": "1.2",
        "expected": 6.5,
        "actual": 6.5,
        "achievement": 1,
        "light": "green",
    }
    assert {k["light"] for k in doc["kpis"]} <= {"green", "yellow", "red", "white"}
    assert set(doc["rollups"]) == {"industry", "strategy", "measure", "agency"}
    assert doc["work_items"] and {"planned", "reported", "lag", "light"} <= set(doc["work_items"][0])


def test_published_only(q2):
    doc = json.loads(evaluate("--period", "111Q2", "--published-only"))
    assert next(k for k in doc["kpis"] if k["kpi"] == "1.2.2")["actual"] is None  # the report is a draft
    Submission.objects.filter(period=q2, agency__code="moea").update(status=SubmissionStatus.APPROVED)
    store.rebuild([q2])
    doc = json.loads(evaluate("--period", "111Q2", "--published-only"))
    assert next(k for k in doc["kpis"] if k["kpi"] == "1.2.2")["light"] == "green"


def test_text(q2):
    text = evaluate("--period", "111Q2", "--format", "text")
    assert text.startswith("111Q2 (revision 0)") and "1.2.2" in text and "綠燈" in text


def test_errors(program):
    with pytest.raises(CommandError):
        evaluate("--period", "11")
    with pytest.raises(CommandError):
        evaluate("--period", "999Q4")
