"""The conversion's LaTeX (``$\\geq 24\\%$``, ``$\\alpha$ -site``) is kept verbatim in the data but never
shown: the quarterly report and the agency workbook carry the typeset text (≥ 24%, α-site), as the
pages do (issue #19: "show the typeset form everywhere a person reads it")."""

from __future__ import annotations

import io
from dataclasses import asdict

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from sixcore.accounts.models import Agency
from sixcore.plan.models import KPI
from sixcore.progress import excel
from sixcore.progress.models import ReportingPeriod
from sixcore.reports.builder import build_quarterly_report
from tests.factories import editor, ndc_reviewer

PERIOD = "110Q2"


def strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in strings(v)]
    return []


@pytest.fixture
def demo(program, monkeypatch):
    monkeypatch.delenv("SIXCORE_AS_OF", raising=False)
    call_command("demo", "--password", "demo-password-123", "--until", PERIOD)
    # The data keeps the conversion's text: the check below would pass vacuously otherwise.
    assert (
        "$"
        in KPI.objects.get(
            measure__industry__program=program, measure__code="5.1", code="5.1.1"
        ).full_term_text
    )
    return program


def test_the_quarterly_report_shows_no_latex(demo):
    texts = strings(asdict(build_quarterly_report(PERIOD, ndc_reviewer())))
    assert any("≥ 24%" in t for t in texts)
    assert [t for t in texts if "$" in t or "\\geq" in t or "\\alpha" in t] == []


def test_the_workbook_shows_no_latex(demo):
    data = excel.build_workbook(
        ReportingPeriod.by_code(PERIOD),
        Agency.objects.get(code="moea"),
        editor("moea"),
    )
    cells = [
        c
        for ws in load_workbook(io.BytesIO(data), read_only=True).worksheets
        for row in ws.iter_rows(values_only=True)
        for c in row
        if isinstance(c, str)
    ]
    assert any("≥ 24%" in c for c in cells)
    assert [c for c in cells if "$\\" in c or "\\geq" in c or "\\alpha" in c] == []
