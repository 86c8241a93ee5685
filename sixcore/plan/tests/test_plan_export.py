"""``sixcore plan export``: the contract shape, deterministic output."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from sixcore.plan.export import export_program


def test_top_level_shape(exported):
    assert {"program", "budget", "industries", "measures", "work_items", "kpis"} <= set(exported)
    assert exported["program"] | {} == exported["program"]
    assert {k: exported["program"][k] for k in ("name", "revision", "start_year", "end_year")} == {
        "name": "六大核心戰略產業推動方案",
        "revision": 0,
        "start_year": 110,
        "end_year": 113,
    }


def test_budget_rows(exported):
    assert {"industry": "1", "year": 110, "amount": 93.45, "line": 2206} in exported["budget"]
    assert len(exported["budget"]) == 24
    assert round(sum(b["amount"] for b in exported["budget"]), 2) == 1131.86


def test_industry_rows(exported):
    first = exported["industries"][0]
    assert first["code"] == "1" and first["name"] == "資訊及數位產業"
    assert first["lead_agencies"] == ["經濟部"]
    assert first["vision"] == "推動臺灣成為貢獻全球繁榮與安全的數位基地。"


def test_measure_rows(exported):
    measures = {m["code"]: m for m in exported["measures"]}
    assert len(measures) == 45
    assert measures["1.1"]["schedule_code"] == "1-1" and measures["1.1"]["agencies"] == ["科技部"]
    assert measures["6.8"]["schedule_code"] is None
    assert measures["1.3"]["code_as_written"] == "1-3"


def test_work_item_rows(exported):
    item = next(w for w in exported["work_items"] if w["schedule"] == "1-1" and w["code"] == "1.1.1")
    assert item["measure"] == "1.1"
    assert item["start"] == "2020-12" and item["end"] == "2021-04"
    assert item["task"] == "開發次奈米半導體元件與晶片關鍵技術探索"
    assert item["approach"] == "關鍵元件與電路技術之理論探索"
    assert item["agencies"] == ["科技部(工程司)"]
    assert set(item) >= {"measure", "code", "task", "approach", "title", "start", "end", "agencies"}


def test_kpi_rows(exported):
    kpi = next(k for k in exported["kpis"] if k["code"] == "1.2.4")
    assert kpi["measure"] == "1.2" and kpi["agencies"] == ["經濟部", "科技部"]
    assert kpi["full_term"]["text"] == "113 年推動 2~3 家國際級領導廠商在臺前瞻研究布局"
    assert kpi["full_term"]["target"]["kind"] == "cumulative"
    assert (kpi["full_term"]["target"]["min"], kpi["full_term"]["target"]["max"]) == (2, 3)
    assert sorted(kpi["annual"]) == ["110", "111", "112", "113"]
    assert kpi["annual"]["113"]["text"] == "累計推動 2~3 家國際級領導廠商在臺前瞻研究布局"
    assert len(exported["kpis"]) == 140


def test_merged_cells_name_their_carrier(exported):
    kpi = next(k for k in exported["kpis"] if k["code"] == "6.2.3")
    assert kpi["annual"]["111"]["merged"] is True and kpi["annual"]["111"]["merged_with"] == "6.2.1"


def test_export_is_deterministic_and_bounded(program, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        first = json.dumps(export_program(program), ensure_ascii=False)
    assert json.dumps(export_program(program), ensure_ascii=False) == first


def test_command_prints_json(program, capsys):
    call_command("plan", "export", "--format", "json")
    data = json.loads(capsys.readouterr().out)
    assert data["program"]["revision"] == 0 and len(data["kpis"]) == 140


def test_unknown_revision_is_a_clear_error(program):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="revision 7 does not exist"):
        call_command("plan", "export", "--revision", "7")
