"""``sixcore plan audit``: it finds the document's real contradictions, and each check can fire."""

from __future__ import annotations

import copy
import json

import pytest
from django.core.management import call_command

from sixcore.plan.audit import CHECKS, ERROR, INFO, WARNING, audit_program


@pytest.fixture(scope="module")
def report(exported):
    return audit_program(exported)


def _find(report, check, ref=None, severity=None):
    return [
        f
        for f in report.findings
        if f.check == check
        and (ref is None or ref in f.refs)
        and (severity is None or f.severity == severity)
    ]


def test_full_term_disagreement_of_1_7_3(report):
    (finding,) = _find(report, "full_term_vs_final_annual", "1.7.3")
    assert finding.severity == WARNING and "35" in finding.message and "38" in finding.message
    assert finding.line == 2255


def test_industry_six_numbering(report):
    mismatched = {f.refs[0] for f in _find(report, "numbering_mismatch", severity=WARNING)}
    assert {"6.2", "6.3", "6.4", "6.5", "6.10"} <= mismatched
    assert "6.1" not in mismatched


def test_kpi_code_outside_its_measure(report):
    (finding,) = _find(report, "kpi_outside_measure")
    assert finding.refs == ["6.2.2", "6.1"]


def test_duplicate_kpi_code(report):
    assert _find(report, "duplicate_code", "6.2.2", WARNING)
    (summary,) = [f for f in _find(report, "duplicate_code", severity=INFO)]
    assert "140 KPI rows, 139 distinct KPI codes" in summary.message


def test_budget_is_consistent(report):
    assert _find(report, "budget_sums", severity=ERROR) == []
    assert "1131.86" in _find(report, "budget_sums", severity=INFO)[0].message


def test_strategies_without_schedule(report):
    assert {f.refs[0] for f in _find(report, "schedule_coverage", severity=WARNING)} == {"6.8", "6.9"}


def test_per_year_sum_of_3_4_1(report):
    (finding,) = _find(report, "per_year_sum", "3.4.1")
    assert "340" in finding.message and "300" in finding.message


def test_coverage_is_reported(report):
    summary = [f for f in _find(report, "unquantified_target") if not f.refs]
    assert len(summary) == 1 and "%" in summary[0].message
    assert 0.6 < report.quantified_share < 1


def test_every_finding_is_well_formed(report):
    for f in report.findings:
        assert f.check in CHECKS and f.severity in (ERROR, WARNING, INFO) and f.message
        assert isinstance(f.refs, list)


# Synthetic data: each check fires on the defect it is meant for.
def _kpi(code, full, annual, measure=None):
    def cell(target):
        return {"text": "", "target": target, "merged": False, "merged_with": None}

    return {
        "code": code,
        "measure": measure or code.rsplit(".", 1)[0],
        "line": 1,
        "agencies": [],
        "full_term": cell(full),
        "annual": {y: cell(t) for y, t in zip(("110", "111", "112", "113"), annual, strict=True)},
    }


def _t(kind, value, unit="件"):
    return {"kind": kind, "value": value, "min": value, "max": value, "unit": unit}


@pytest.fixture
def minimal(exported):
    data = copy.deepcopy(exported)
    data["kpis"] = []
    return data


def test_decreasing_cumulative_series(minimal):
    minimal["kpis"] = [
        _kpi(
            "9.1.1",
            _t("cumulative", 5),
            [_t("cumulative", 2), _t("cumulative", 4), _t("cumulative", 3), _t("cumulative", 5)],
        )
    ]
    (finding,) = _find(audit_program(minimal), "cumulative_decreasing")
    assert "112" in finding.message


def test_budget_sum_mismatch_is_an_error(minimal):
    minimal["budget"][0]["amount"] = 93.46
    errors = _find(audit_program(minimal), "budget_sums", severity=ERROR)
    assert {tuple(f.refs) for f in errors} == {("budget/1",), ("budget/110",), ("budget/total",)}


def test_per_year_full_term_target(minimal):
    minimal["kpis"] = [
        _kpi(
            "9.1.1",
            _t("per_period", 200, "人次"),
            [_t("per_period", 200, "人次")] * 3 + [_t("per_period", 150, "人次")],
        )
    ]
    (finding,) = _find(audit_program(minimal), "per_year_sum")
    assert "113" in finding.message


def test_consistent_kpi_has_no_target_findings(minimal):
    minimal["kpis"] = [_kpi("9.1.1", _t("cumulative", 4), [_t("per_period", 1)] * 3 + [_t("cumulative", 4)])]
    report = audit_program(minimal)
    assert not [
        f
        for f in report.findings
        if f.check in ("full_term_vs_final_annual", "per_year_sum", "cumulative_decreasing")
    ]


def test_unknown_agency(minimal):
    minimal["agencies"].append({"code": "x-u123456", "name": "某單位", "recognized": False})
    assert _find(audit_program(minimal), "unknown_agency", "x-u123456")


def test_work_item_outside_program(minimal):
    minimal["work_items"] = [
        dict(minimal["work_items"][0], start="2020-01", end="2025-06", period="109/1-114/6")
    ]
    assert len(_find(audit_program(minimal), "period_outside_program")) == 2


def test_command_json(program, capsys):
    call_command("plan", "audit", "--format", "json")
    data = json.loads(capsys.readouterr().out)
    assert data["counts"]["error"] == 0 and data["counts"]["warning"] > 0
    assert {"check", "severity", "refs", "message", "line"} == set(data["findings"][0])


def test_command_text_and_check_list(program, capsys):
    call_command("plan", "audit", "--format", "text")
    out = capsys.readouterr().out
    assert "[warning] full_term_vs_final_annual" in out and "findings:" in out
    call_command("plan", "audit", "--list-checks")
    assert set(CHECKS) == {line.split(":")[0] for line in capsys.readouterr().out.splitlines()}
