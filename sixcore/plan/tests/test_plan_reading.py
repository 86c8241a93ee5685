"""#19: how the data reads the document — row rules, per-KPI parts of shared cells, unit changes,
footnotes, inferred values, typeset display — in the data files, the export and the audit."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sixcore.plan.audit import CHECKS, INFO, WARNING, audit_program
from sixcore.plan.datafiles import DataError, read_plan_files
from sixcore.plan.notes import inferred_values
from sixcore.plan.reading import read_row
from sixcore.plan.targets import parse_target
from sixcore.plan.typeset import strip_marker, typeset

# The session's program fixture (``exported``) needs the test database set up first.
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def plan_data():
    return read_plan_files()


@pytest.fixture(scope="module")
def kpis(exported):
    by_code: dict[str, list[dict]] = {}
    for kpi in exported["kpis"]:
        by_code.setdefault(kpi["code"], []).append(kpi)
    return by_code


def _kinds(kpi, years=("110", "111", "112", "113")):
    return [(kpi["annual"][y]["target"] or {}).get("kind") for y in years]


def _values(kpi, years=("110", "111", "112", "113")):
    return [(kpi["annual"][y]["target"] or {}).get("value") for y in years]


# --- the KPIs the issue names -------------------------------------------------------------------


def test_1_7_3_rises_to_a_stated_total_so_it_is_cumulative(kpis):
    (kpi,) = kpis["1.7.3"]
    assert _kinds(kpi) == ["cumulative"] * 4
    assert _values(kpi) == [5, 12, 24, 38]
    assert kpi["annual"]["110"]["target"]["basis"] == "row: the annual figures rise and a cell says 累計"


def test_4_5_2_rises_to_the_full_term_figure(kpis):
    (kpi,) = kpis["4.5.2"]
    assert _kinds(kpi) == ["cumulative"] * 4 and _values(kpi) == [2, 4, 7, 10]


def test_5_1_2_whole_project_is_cumulative(kpis):
    (kpi,) = kpis["5.1.2"]
    target = kpi["annual"]["111"]["target"]
    assert (target["kind"], target["value"], target["unit"]) == ("cumulative", 17.7, "公頃")
    assert target["basis"] == "keyword 全案"


def test_4_8_2_and_4_10_x_count_the_same_items_and_say_it_is_uncertain(kpis):
    (kpi,) = kpis["4.8.2"]
    assert _kinds(kpi, ("112", "113")) == ["cumulative", "cumulative"]
    assert kpi["annual"]["111"]["target"]["unit_mismatch"] == {"full_term": "件", "annual": "項"}
    for code in ("4.10.1", "4.10.2"):
        (kpi,) = kpis[code]
        assert _kinds(kpi) == ["cumulative"] * 4
        assert all(kpi["annual"][y]["target"]["uncertain"] for y in ("110", "113"))


def test_a_per_year_full_term_keeps_annual_cells_per_year(kpis):
    (kpi,) = kpis["2.1.14"]  # 每年培育高階資安技術研發人才 200 人次
    assert _kinds(kpi) == ["per_period"] * 4
    assert kpi["annual"]["110"]["target"]["basis"] == "row: the full-term target is per year"


def test_the_same_figure_each_year_adds_up_to_the_stated_total(kpis):
    (kpi,) = kpis["1.7.2"]  # 13, 13, 13, then 累計 52
    assert _kinds(kpi) == ["per_period", "per_period", "per_period", "cumulative"]


def test_levels_in_the_plan(kpis):
    (kpi,) = kpis["5.1.1"]
    assert kpi["full_term"]["target"]["kind"] == "level"
    assert kpi["full_term"]["display"] == "光電轉換效率 ≥ 24%"
    assert kpi["full_term"]["text"] == "光電轉換效率 $\\geq 24\\%$"  # verbatim kept
    (kpi,) = kpis["6.3.7"]
    assert kpi["full_term"]["target"]["kind"] == "level"


def test_6_2_2_natural_gas_days_not_oil(kpis):
    first, second = kpis["6.2.2"]
    assert _kinds(first) == ["level"] * 4
    assert _values(first) == [7, 8, 8, 8]
    assert all(first["annual"][y]["target"]["unit"] == "天" for y in ("110", "113"))
    assert first["annual"]["110"]["part"] == "天然氣安全存量符合(90天、30天、7天)"
    # The second 6.2.2 (under 6.2) holds one month of raw-material stock.
    assert _kinds(second) == ["level"] * 4 and _values(second) == [1] * 4
    assert second["annual"]["110"]["merged_with"] == "6.2.1"


def test_6_5_4_takes_only_the_logistics_centres_of_the_shared_cell(kpis):
    (kpi,) = kpis["6.5.4"]
    assert [kpi["annual"][y]["target"] for y in ("110", "111", "112")] == [None, None, None]
    assert all(kpi["annual"][y]["reading_note"] for y in ("110", "111", "112"))
    assert kpi["annual"]["113"]["target"]["value"] == 2
    assert kpi["annual"]["113"]["part"] == "建置冷鏈物流中心 2 處"
    # The shared text stays shared.
    (carrier,) = kpis["6.5.3"]
    assert kpi["annual"]["113"]["text"] == carrier["annual"]["113"]["text"]
    assert _values(carrier) == [1, 3, 6, 6] and _kinds(carrier) == ["per_period"] * 4


def test_6_5_1_and_6_5_2_split_the_agricultural_cell(kpis):
    (centres,) = kpis["6.5.1"]
    (upgrades,) = kpis["6.5.2"]
    assert _values(centres) == [None, 1, None, 1]
    assert _values(upgrades) == [1, 3, 4, 4]
    assert sum(_values(upgrades)) == upgrades["full_term"]["target"]["value"]


def test_6_7_3_takes_no_part_of_the_sand_and_gravel_cell(kpis):
    (kpi,) = kpis["6.7.3"]
    assert [kpi["annual"][y]["target"] for y in ("110", "111", "112", "113")] == [None] * 4
    assert [kpi["annual"][y]["source"] for y in ("110", "113")] == ["none", "none"]
    assert "穩定供應市場所需" in kpi["annual"]["110"]["reading_note"]


def test_2_3_1_annual_units_differ_from_the_full_term(kpis):
    (kpi,) = kpis["2.3.1"]
    for year in ("110", "111", "112", "113"):
        assert kpi["annual"][year]["target"]["unit_mismatch"] == {"full_term": "案", "annual": "家"}


# --- the row rules on their own -----------------------------------------------------------------


def _row(full_text, cells):
    kpi = {
        "full_term": {"text": full_text, "target": parse_target(full_text, "full_term").to_dict()},
        "annual": {},
    }
    for year, text in zip(("110", "111", "112", "113"), cells, strict=False):
        target = parse_target(text, "annual")
        kpi["annual"][year] = {"text": text, "target": target and target.to_dict(), "source": "parsed"}
    read_row(kpi)
    return kpi


@given(st.lists(st.integers(1, 50), min_size=2, max_size=4))
def test_figures_that_add_up_to_the_total_are_per_year(figures):
    kpi = _row(f"完成 {sum(figures)} 件", [f"完成 {n} 件" for n in figures])
    kinds = {cell["target"]["kind"] for cell in kpi["annual"].values()}
    assert kinds == {"per_period"}
    assert not any(cell["target"].get("uncertain") for cell in kpi["annual"].values())


@given(st.lists(st.integers(1, 50), min_size=2, max_size=4, unique=True))
def test_figures_that_rise_to_the_total_are_cumulative(figures):
    figures = sorted(figures)
    kpi = _row(f"完成 {figures[-1]} 件", [f"完成 {n} 件" for n in figures])
    assert {cell["target"]["kind"] for cell in kpi["annual"].values()} == {"cumulative"}


@given(st.lists(st.integers(1, 50), min_size=2, max_size=4), st.integers(1, 500))
def test_a_row_is_never_left_unexplained(figures, total):
    """Every open cell of a row ends up decided by the row or marked uncertain with the reason."""
    kpi = _row(f"完成 {total} 件", [f"完成 {n} 件" for n in figures])
    for cell in kpi["annual"].values():
        target = cell["target"]
        assert target["basis"].startswith("row:") or target.get("uncertain")


def test_a_cell_in_another_unit_is_marked_not_compared():
    kpi = _row("開發解決方案 5 案", ["扶植新創團隊 28 家", "扶植新創團隊 31 家"])
    assert kpi["annual"]["110"]["target"]["unit_mismatch"] == {"full_term": "案", "annual": "家"}


def test_a_cell_with_the_full_term_unit_is_read_on_it():
    kpi = _row("每年提供3件諮詢、辦理1場說明會", ["辦理說明會1場，每年提供3件諮詢", "提供3件諮詢"])
    assert kpi["annual"]["110"]["target"]["unit"] == "場"  # 場 is a unit of the full term too
    kpi = _row("提供 6 件諮詢", ["辦理說明會1場，提供3件諮詢", "說明會 2 場，提供 3 件諮詢"])
    assert [kpi["annual"][y]["target"]["unit"] for y in ("110", "111")] == ["件", "件"]
    assert kpi["annual"]["110"]["target"]["kind"] == "per_period"  # 3 + 3 = 6


# --- parts in the data file ---------------------------------------------------------------------


def _write_plan(tmp_path, edit):
    from sixcore.plan.datafiles import DATA_DIR

    for path in DATA_DIR.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    target = tmp_path / "kpis_6.yaml"
    target.write_text(edit(target.read_text(encoding="utf-8")), encoding="utf-8")
    return tmp_path


def test_a_part_must_be_in_the_cell(tmp_path):
    data_dir = _write_plan(
        tmp_path, lambda s: s.replace("part: 建置冷鏈物流中心 2 處", "part: 建置冷鏈物流中心 3 處")
    )
    with pytest.raises(DataError) as error:
        read_plan_files(data_dir)
    assert "is not in the cell text" in str(error.value)


def test_a_part_needs_a_reason(tmp_path):
    data_dir = _write_plan(
        tmp_path,
        lambda s: s.replace(
            '{part: 建置冷鏈物流中心 2 處, reason: "the last clause of the shared 漁產品 cell is 6.5.4\'s 冷鏈物流中心"}',
            "{part: 建置冷鏈物流中心 2 處}",
        ),
    )
    with pytest.raises(DataError) as error:
        read_plan_files(data_dir)
    assert "a part needs a reason" in str(error.value)


# --- footnotes ----------------------------------------------------------------------------------


def test_footnotes_are_data(exported):
    notes = {note["number"]: note for note in exported["footnotes"]}
    assert set(notes) == set(range(1, 11))
    assert notes[10]["attaches_to"] == {"kind": "kpi", "code": "5.3.2", "cell": "full_term"}
    assert notes[10]["text"].startswith("將依國發基金與參與銀行實際出資額 10 倍計算融資保證額度")
    assert notes[8]["attaches_to"] == {"kind": "task", "schedule": "5-3", "seq": 2, "cell": "target"}
    assert notes[1]["attaches_to"] is None  # body text


def test_footnote_markers_are_not_in_the_display(kpis, exported):
    (kpi,) = kpis["5.3.2"]
    assert kpi["full_term"]["text"].endswith("1,000 億元 10")  # verbatim
    assert kpi["full_term"]["display"] == "迄 114 年提供總保證額度達 1,000 億元"
    assert kpi["full_term"]["target"]["value"] == 1000
    (task,) = [t for t in exported["tasks"] if t["schedule"] == "5-3" and t["seq"] == 2]
    assert task["targets_display"] == ["迄 114 年提供融資保證額度達 1,000 億元"]


def test_a_footnote_marker_must_end_its_cell(tmp_path):
    def edit(text):
        return text.replace('attaches_to: "kpi:5.3.2:full_term"', 'attaches_to: "kpi:5.3.1:full_term"')

    from sixcore.plan.datafiles import DATA_DIR

    for path in DATA_DIR.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    program = tmp_path / "program.yaml"
    program.write_text(edit(program.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(DataError) as error:
        read_plan_files(tmp_path)
    assert "does not end with its marker" in str(error.value)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("光電轉換效率 $\\geq 24\\%$", "光電轉換效率 ≥ 24%"),
        ("材料能隙 $\\geq 1.6\\text{eV}$ ，複合電 $J_0 \\leq 5\\text{fA}/\\text{cm}^2$",
         "材料能隙 ≥ 1.6 eV ，複合電 J₀ ≤ 5 fA/cm²"),
        ("建置半導體材料特性 $\\alpha$ -site 驗證技術能量", "建置半導體材料特性 α-site 驗證技術能量"),
        ("協助業者終端廠 $\\beta$ -site 驗證", "協助業者終端廠 β-site 驗證"),
        ("鈍化品質 $iVoc > 725mV$", "鈍化品質 iVoc > 725 mV"),
        ("完成 5 件，成本 $ 不變", "完成 5 件，成本 $ 不變"),  # a lone $ is not math
        ("完成 5 件", "完成 5 件"),
    ],
)  # fmt: skip
def test_typeset(text, shown):
    assert typeset(text) == shown


def test_strip_marker():
    assert strip_marker("達 1,000 億元 10", "10") == "達 1,000 億元"
    assert strip_marker("達 1,000 億元", "10") == "達 1,000 億元"
    assert strip_marker("完成 110", "10") == "完成 110"  # not a marker: no space before it


def test_no_latex_reaches_a_display_text(exported):
    shown = [k["full_term"]["display"] for k in exported["kpis"]]
    shown += [cell["display"] for k in exported["kpis"] for cell in k["annual"].values()]
    shown += [w["title_display"] for w in exported["work_items"]]
    assert not [text for text in shown if "$" in text or "\\" in text]


# --- inferred values and codes ------------------------------------------------------------------


def test_inferred_agencies_of_4_9_task_2_are_marked_doubtful(exported):
    items = {(w["schedule"], w["code"]): w for w in exported["work_items"]}
    for code in ("2.2.1", "2.2.3"):
        inferred = items[("4-9", code)]["inferred"]
        assert "agencies" in inferred and "doubtful" in inferred["agencies"]
    assert items[("1-1", "1.1.1")]["inferred"] == {}  # printed on its own row


def test_inferred_values_from_notes():
    assert inferred_values("period and agency inherited from 1.1.1 (merged cells).", True) == {
        "agencies": "period and agency inherited from 1.1.1 (merged cells).",
        "period": "period and agency inherited from 1.1.1 (merged cells).",
    }
    assert inferred_values("Text split by the page break. Agency inherited from 2.1.1.", True) == {
        "agencies": "Agency inherited from 2.1.1."
    }
    assert inferred_values("", False) == {"code": "no code printed; made up following the table's numbering"}
    assert inferred_values("", True, {"agencies": "set by hand"}) == {"agencies": "set by hand"}


def test_repeated_printed_codes_are_kept_as_printed_in_both_tables(exported):
    codes = [(w["schedule"], w["code"]) for w in exported["work_items"]]
    assert codes.count(("6-8", "4.1.1")) == 2
    assert codes.count(("4-10", "2.1.1")) == 2
    assert ("6-8", "4.2.1") not in codes


# --- audit --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report(exported):
    return audit_program(exported)


def _find(report, name, ref=None):
    return [f for f in report.findings if f.check == name and (ref is None or ref in f.refs)]


def test_reading_checks_are_registered():
    for name in ("unit_change", "uncertain_reading", "shared_cell_part", "inferred_value",
                 "renumbered_code", "reading_coverage"):  # fmt: skip
        assert name in CHECKS


def test_audit_reports_unit_changes(report):
    (finding,) = _find(report, "unit_change", "2.3.1")
    assert finding.severity == WARNING and "not compared" in finding.message


def test_audit_reports_renumbered_codes(report):
    messages = [f.message for f in _find(report, "renumbered_code")]
    assert any("6-8: 4.1.1 printed a second time" in m for m in messages)
    assert any("4-10: 2.1.1 printed a second time" in m for m in messages)
    assert any("KPI 6.2.2 printed a second time" in m for m in messages)


def test_audit_reports_uncertain_and_inferred(report):
    assert _find(report, "uncertain_reading", "4.10.1")
    doubtful = [f for f in _find(report, "inferred_value") if "4-9/2.2.1" in f.refs]
    assert doubtful and doubtful[0].severity == WARNING
    assert all(f.severity == INFO for f in _find(report, "shared_cell_part"))


def test_reading_coverage_figures(report):
    reading = report.reading
    assert reading["target_cells"] == sum(reading["by_kind"].values())
    assert set(reading["by_kind"]) == {"cumulative", "per_period", "level", "milestone"}
    assert reading["uncertain"] == sum(
        len(f.message.split(":")[0].split(" ", 2)[2].split(", ")) for f in _find(report, "uncertain_reading")
    )
    assert reading["footnotes"] == 10


def test_unit_change_check_fires_on_a_constructed_case(exported):
    data = copy.deepcopy(exported)
    kpi = next(k for k in data["kpis"] if k["code"] == "1.1.1")
    kpi["annual"]["111"]["target"]["unit_mismatch"] = {"full_term": "件", "annual": "家"}
    assert _find(audit_program(data), "unit_change", "1.1.1")


def test_a_revision_copies_every_plan_model_including_footnotes():
    """A draft revision is a full copy: a plan model missing from the copy list would be lost."""
    from django.apps import apps

    from sixcore.revisions.copy import _PLAN

    copied = {model for model, _, _ in _PLAN}
    plan_models = set(apps.get_app_config("plan").get_models()) - {apps.get_model("plan", "Program")}
    assert plan_models - copied == set()


def test_models_offer_the_typeset_text_to_other_apps(program):
    """Excel, reports and mails read the plan through the models: they get the typeset text there."""
    from sixcore.plan.models import KPI, WorkItem

    kpi = KPI.objects.get(measure__industry__program=program, code="5.1.1")
    assert kpi.full_term_display == "光電轉換效率 ≥ 24%"
    assert kpi.annual_targets.get(year=111).cell.display.startswith(
        "新鈍化接觸薄膜材料開發：材料能隙 ≥ 1.6 eV"
    )
    item = WorkItem.objects.filter(schedule__industry__program=program, title__contains="$\\alpha$").first()
    assert "α-site" in item.title_display and "$" not in item.title_display


def test_levels_are_not_summed_by_the_audit(report):
    assert not [f for f in report.findings if f.check == "per_year_sum" and "6.2.2" in f.refs]
