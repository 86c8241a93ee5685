"""Open-data exports: the program, the submissions and the evaluation as tables.

A dataset is a list of :class:`Table` (name, description, columns with descriptions, rows). It is
written as CSV (UTF-8 with BOM, one file per table plus ``data_dictionary.csv``, in a zip), as XLSX
(one sheet per table plus a 資料說明 sheet) or as JSON (``{"dictionary": …, "tables": {name: [row…]}}``).
CSV and XLSX cells are neutralised against formula injection (``evaluation.export.neutralise``).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sixcore.evaluation.export import BOM, neutralise
from sixcore.evaluation.read import evaluation_for
from sixcore.evaluation.service import scoped_submissions
from sixcore.plan.export import export_program
from sixcore.progress.models import (
    BudgetReport,
    IndustryReport,
    KPIReport,
    MeasureReport,
    ReportingPeriod,
    WorkItemReport,
)

DATASETS = ("plan", "submissions", "evaluation")
FORMATS = ("csv", "ods", "xlsx", "json")


@dataclass
class Table:
    name: str
    description: str
    columns: list[tuple[str, str]]  # (name, description)
    rows: list[list[Any]]

    @property
    def header(self) -> list[str]:
        return [c for c, _ in self.columns]


def _flat(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _table(name: str, description: str, columns: list[tuple[str, str]], records: list[dict]) -> Table:
    keys = [c for c, _ in columns]
    return Table(name, description, columns, [[_flat(r.get(k)) for k in keys] for r in records])


# --- datasets -------------------------------------------------------------------------------------


def plan_tables(program) -> list[Table]:
    """Every table of one plan revision (``plan.export.export_program``)."""
    data = export_program(program)
    sub_areas = [{**s, "industry": i["code"]} for i in data["industries"] for s in i["sub_areas"]]
    annual = [
        {"measure": k["measure"], "kpi": k["code"], "year": int(year), **target}
        for k in data["kpis"]
        for year, target in sorted(k["annual"].items())
    ]
    kpis = [
        {
            **k,
            "full_term_text": k["full_term"]["text"],
            "full_term_target": k["full_term"]["target"],
            "full_term_source": k["full_term"]["source"],
        }
        for k in data["kpis"]
    ]
    return [
        _table(
            "program",
            "方案（本版本）",
            [
                ("name", "方案名稱"),
                ("revision", "版本（0 = 核定本）"),
                ("title", "版本名稱"),
                ("revision_date", "版本日期（西元）"),
                ("effective_from", "生效季（民國，如 112Q1）"),
                ("start_year", "起始年（民國）"),
                ("end_year", "結束年（民國）"),
                ("source", "來源文件"),
                ("total_budget_text", "方案所載總經費"),
            ],
            [data["program"]],
        ),
        _table(
            "agencies",
            "機關",
            [
                ("code", "機關代碼"),
                ("name", "機關名稱"),
                ("full_name", "全銜"),
                ("parent", "上級機關代碼"),
                ("kind", "類別"),
                ("recognized", "已辨識"),
            ],
            data["agencies"],
        ),
        _table(
            "budget",
            "表 3 各產業年度經費（億元）",
            [
                ("industry", "產業代碼"),
                ("year", "年度（民國）"),
                ("amount", "經費（億元）"),
                ("line", "原文行號"),
            ],
            data["budget"],
        ),
        _table(
            "budget_stated_totals",
            "方案所載經費合計（億元）",
            [
                ("kind", "種類"),
                ("industry", "產業代碼"),
                ("year", "年度（民國）"),
                ("amount", "金額（億元）"),
                ("line", "原文行號"),
            ],
            data["budget_stated_totals"],
        ),
        _table(
            "security_budget_ratios",
            "表 2 國安相關預算比率",
            [
                ("year", "年度"),
                ("tier", "級距"),
                ("text", "原文"),
                ("percent", "百分比"),
                ("basis", "基礎"),
                ("line", "原文行號"),
            ],
            data["security_budget_ratios"],
        ),
        _table(
            "industries",
            "六大核心戰略產業",
            [
                ("code", "產業代碼"),
                ("name", "產業名稱"),
                ("vision", "願景"),
                ("lead_agencies", "主責機關"),
                ("kpi_table_heading", "預期效益表標題"),
                ("line", "原文行號"),
            ],
            data["industries"],
        ),
        _table(
            "sub_areas",
            "產業分項（國防及戰略產業：航空與船艦、太空）",
            [
                ("industry", "產業代碼"),
                ("code", "分項代碼"),
                ("name", "分項名稱"),
                ("vision", "願景"),
                ("lead_agencies", "主責機關"),
                ("line", "原文行號"),
            ],
            sub_areas,
        ),
        _table(
            "strategies",
            "推動策略",
            [
                ("code", "策略代碼"),
                ("industry", "產業代碼"),
                ("seq", "序號"),
                ("label", "標號"),
                ("name", "策略名稱"),
                ("sub_area", "分項代碼"),
                ("line", "原文行號"),
            ],
            data["strategies"],
        ),
        _table(
            "measures",
            "具體措施",
            [
                ("code", "措施代碼"),
                ("industry", "產業代碼"),
                ("strategy", "策略代碼"),
                ("sub_area", "分項代碼"),
                ("name", "措施名稱"),
                ("agencies", "主辦機關"),
                ("schedule_code", "辦理重點及期程表"),
                ("line", "原文行號"),
            ],
            data["measures"],
        ),
        _table(
            "schedules",
            "辦理重點及期程表",
            [
                ("code", "表號"),
                ("industry", "產業代碼"),
                ("title", "標題"),
                ("heading_agencies", "標題所列機關"),
                ("measures", "對應措施"),
                ("line", "原文行號"),
            ],
            data["schedules"],
        ),
        _table(
            "tasks",
            "期程表之工作重點",
            [
                ("schedule", "表號"),
                ("seq", "序號"),
                ("title", "工作重點"),
                ("targets", "目標"),
                ("line", "原文行號"),
            ],
            data["tasks"],
        ),
        _table(
            "work_items",
            "工作項目（辦理重點）",
            [
                ("schedule", "表號"),
                ("code", "工作項目編號"),
                ("measure", "措施代碼"),
                ("task", "工作重點"),
                ("approach", "推動作法"),
                ("title", "工作項目"),
                ("period", "期程（原文）"),
                ("start", "起（西元年月）"),
                ("end", "迄（西元年月）"),
                ("lead_agencies", "主辦機關"),
                ("co_agencies", "協辦機關"),
                ("line", "原文行號"),
            ],
            data["work_items"],
        ),
        _table(
            "kpis",
            "關鍵績效指標（全期目標）",
            [
                ("code", "指標編號"),
                ("measure", "措施代碼"),
                ("industry", "產業代碼"),
                ("full_term_text", "全期目標（原文）"),
                ("full_term_target", "全期目標（量化，JSON）"),
                ("full_term_source", "量化來源"),
                ("agencies", "負責機關"),
                ("line", "原文行號"),
            ],
            kpis,
        ),
        _table(
            "annual_targets",
            "關鍵績效指標年度目標",
            [
                ("measure", "措施代碼"),
                ("kpi", "指標編號"),
                ("year", "年度（民國）"),
                ("text", "年度目標（原文）"),
                ("target", "年度目標（量化，JSON）"),
                ("source", "量化來源"),
                ("merged", "與其他指標共用儲存格"),
                ("merged_with", "共用儲存格之指標"),
            ],
            annual,
        ),
    ]


def _by_submission(model) -> list[str]:
    """Submission first, then the model's plan order: a total order, so that two identical databases
    (a restored backup, PostgreSQL and SQLite) export byte-identical tables."""
    return ["submission", *model._meta.ordering, "pk"]


def submission_tables(
    user=None, *, published_only: bool = True, period: ReportingPeriod | None = None
) -> list[Table]:
    """The quarterly submissions and their lines within scope (published only for the public)."""
    subs = scoped_submissions(user, published_only=published_only)
    if period is not None:
        subs = subs.filter(period=period)
    subs = subs.select_related("period", "industry", "agency").order_by(
        "period__roc_year", "period__quarter", "industry__code", "agency__order"
    )
    submissions = [
        {
            "id": s.pk,
            "period": s.period.code,
            "industry": s.industry.code,
            "agency": s.agency.code,
            "agency_name": s.agency.name,
            "status": s.status,
            "is_demo": s.is_demo,
            "submitted_at": s.submitted_at,
            "approved_at": s.approved_at,
        }
        for s in subs
    ]
    ids = [s["id"] for s in submissions]
    common = [("submission", "填報單 id（submissions.id）")]
    measure_reports = (
        MeasureReport.objects.filter(submission_id__in=ids)
        .order_by(*_by_submission(MeasureReport))
        .values("submission", "measure__code", "progress", "highlights", "next_quarter")
    )
    kpi_reports = (
        KPIReport.objects.filter(submission_id__in=ids)
        .order_by(*_by_submission(KPIReport))
        .values("submission", "kpi__measure__code", "kpi__code", "value", "done", "evidence", "note")
    )
    item_reports = (
        WorkItemReport.objects.filter(submission_id__in=ids)
        .order_by(*_by_submission(WorkItemReport))
        .values(
            "submission",
            "work_item__schedule__code",
            "work_item__code",
            "percent",
            "status",
            "lag_reason",
            "remedy",
            "completed_on",
        )
    )
    budget_reports = (
        BudgetReport.objects.filter(submission_id__in=ids)
        .order_by(*_by_submission(BudgetReport))
        .values("submission", "measure__code", "unit", "allocated", "executed", "annual_budget")
    )
    periods = {s["period"] for s in submissions}
    published_industries = {(s["period"], s["industry"]) for s in submissions}
    industry_reports = [
        {
            "period": r.period.code,
            "industry": r.industry.code,
            "progress": r.progress,
            "highlights": r.highlights,
            "next_quarter": r.next_quarter,
            "is_demo": r.is_demo,
        }
        for r in IndustryReport.objects.select_related("period", "industry")
        if r.period.code in periods and (r.period.code, r.industry.code) in published_industries
    ]
    return [
        _table(
            "submissions",
            "季填報單（期別 × 產業 × 機關）",
            [
                ("id", "填報單 id"),
                ("period", "期別（民國，如 111Q2）"),
                ("industry", "產業代碼"),
                ("agency", "機關代碼"),
                ("agency_name", "機關名稱"),
                ("status", "狀態（draft/submitted/consolidated/approved）"),
                ("is_demo", "示範資料"),
                ("submitted_at", "送出時間"),
                ("approved_at", "核定時間"),
            ],
            submissions,
        ),
        _table(
            "measure_reports",
            "措施執行情形",
            [
                *common,
                ("measure__code", "措施代碼"),
                ("progress", "辦理情形"),
                ("highlights", "重要執行亮點"),
                ("next_quarter", "下一季重點工作"),
            ],
            list(measure_reports),
        ),
        _table(
            "kpi_reports",
            "關鍵績效指標實績",
            [
                *common,
                ("kpi__measure__code", "措施代碼"),
                ("kpi__code", "指標編號"),
                ("value", "實際值"),
                ("done", "里程碑已完成"),
                ("evidence", "佐證"),
                ("note", "備註"),
            ],
            list(kpi_reports),
        ),
        _table(
            "work_item_reports",
            "工作項目進度",
            [
                *common,
                ("work_item__schedule__code", "表號"),
                ("work_item__code", "工作項目編號"),
                ("percent", "累計進度（%）"),
                ("status", "狀態"),
                ("lag_reason", "落後原因"),
                ("remedy", "因應對策"),
                ("completed_on", "完成日期"),
            ],
            list(item_reports),
        ),
        _table(
            "budget_reports",
            "預算執行填報",
            [
                *common,
                ("measure__code", "措施代碼"),
                ("unit", "單位（億元/千元）"),
                ("allocated", "累計分配數"),
                ("executed", "累計執行數"),
                ("annual_budget", "年度預算"),
            ],
            list(budget_reports),
        ),
        _table(
            "industry_reports",
            "產業彙整執行情形（產業主責機關）",
            [
                ("period", "期別"),
                ("industry", "產業代碼"),
                ("progress", "辦理情形"),
                ("highlights", "重要執行亮點"),
                ("next_quarter", "下一季重點工作"),
                ("is_demo", "示範資料"),
            ],
            industry_reports,
        ),
    ]


def evaluation_tables(period, user=None, *, published_only: bool = True) -> list[Table]:
    """One period's evaluation (the stored one, ``evaluation.read``) as tables."""
    e = evaluation_for(period, user, published_only=published_only)
    ratio = "（比率，0.9 = 90%）"
    return [
        _table(
            "kpis",
            f"{e.period} 關鍵績效指標評估",
            [
                ("kpi", "指標編號"),
                ("measure", "措施代碼"),
                ("industry", "產業代碼"),
                ("text", "全期目標"),
                ("kind", "類型"),
                ("unit", "單位"),
                ("expected", "本季預期值"),
                ("actual", "實際值"),
                ("achievement", "達成率" + ratio),
                ("light", "燈號（green/yellow/red/white）"),
                ("reason", "判定說明"),
                ("forecast", "年底預測值"),
                ("year_end_target", "年底目標值"),
                ("reported_by", "填報機關代碼"),
            ],
            [vars(k) for k in e.kpis],
        ),
        _table(
            "work_items",
            f"{e.period} 工作項目進度評估",
            [
                ("schedule", "表號"),
                ("code", "工作項目編號"),
                ("title", "工作項目"),
                ("industry", "產業代碼"),
                ("measures", "措施代碼"),
                ("agencies", "機關代碼"),
                ("planned", "預定進度（%）"),
                ("reported", "實際進度（%）"),
                ("lag", "落後（百分點）"),
                ("light", "燈號"),
                ("status", "狀態"),
                ("lag_reason", "落後原因"),
                ("remedy", "因應對策"),
                ("completed_on", "完成日期"),
            ],
            [vars(w) for w in e.work_items],
        ),
        _table(
            "budget",
            f"{e.period} 措施預算執行（億元）",
            [
                ("key", "措施代碼"),
                ("industry", "產業代碼"),
                ("allocated", "累計分配數"),
                ("executed", "累計執行數"),
                ("annual_budget", "年度預算"),
                ("execution_rate", "執行率" + ratio),
                ("achievement_rate", "達成率" + ratio),
                ("light", "燈號"),
            ],
            [vars(b) for b in e.budget],
        ),
        _table(
            "budget_by_industry",
            f"{e.period} 產業預算執行（億元）",
            [
                ("key", "產業代碼"),
                ("allocated", "累計分配數"),
                ("executed", "累計執行數"),
                ("annual_budget", "年度預算"),
                ("execution_rate", "執行率" + ratio),
                ("achievement_rate", "達成率" + ratio),
                ("light", "燈號"),
            ],
            [vars(b) for b in e.budget_by_industry],
        ),
        _table(
            "rollups",
            f"{e.period} 燈號統計",
            [
                ("kind", "彙總層級"),
                ("key", "代碼"),
                ("label", "名稱"),
                ("green", "綠燈"),
                ("yellow", "黃燈"),
                ("red", "紅燈"),
                ("white", "白燈"),
                ("items", "項數"),
                ("weighted_achievement", "加權達成率" + ratio),
            ],
            [{"kind": kind, **vars(r), **r.counts} for kind, rows in e.rollups.items() for r in rows],
        ),
        _table(
            "risks",
            f"{e.period} 措施風險等級",
            [
                ("measure", "措施代碼"),
                ("name", "措施名稱"),
                ("industry", "產業代碼"),
                ("tier", "風險等級（high/medium/low）"),
                ("signals", "預警訊號"),
                ("red", "紅燈項數"),
            ],
            [
                {**vars(r), "signals": "；".join(f"{s['ref']}：{s['label']}" for s in r.signals)}
                for r in e.risks
            ],
        ),
        _table(
            "flags",
            f"{e.period} 資料品質檢核",
            [
                ("code", "檢核代碼"),
                ("label", "檢核"),
                ("kind", "類別"),
                ("ref", "項目"),
                ("industry", "產業代碼"),
                ("measure", "措施代碼"),
                ("message", "說明"),
            ],
            [vars(f) for f in e.flags],
        ),
    ]


# --- writers --------------------------------------------------------------------------------------


def dictionary(tables: list[Table]) -> Table:
    return Table(
        "data_dictionary",
        "資料說明",
        [
            ("table", "資料表"),
            ("table_description", "資料表說明"),
            ("column", "欄位"),
            ("description", "欄位說明"),
        ],
        [[t.name, t.description, c, d] for t in tables for c, d in t.columns],
    )


def _csv_cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return neutralise(value)


def table_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.header)
    for row in table.rows:
        writer.writerow([_csv_cell(v) for v in row])
    return (BOM + buffer.getvalue()).encode("utf-8")


def to_csv_zip(tables: list[Table], prefix: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for table in [*tables, dictionary(tables)]:
            archive.writestr(f"{prefix}/{table.name}.csv", table_csv(table))
    return buffer.getvalue()


def to_xlsx(tables: list[Table]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook(write_only=False)
    wb.remove(wb.active)
    for table in [dictionary(tables), *tables]:
        ws = wb.create_sheet(table.name[:31])
        ws.append(table.header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            ws.append([neutralise(v) for v in row])
        ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def to_ods(tables: list[Table]) -> bytes:
    """The same sheets as ``to_xlsx`` as an OpenDocument spreadsheet (the government's standard)."""
    from sixcore.core.opendocument import write_sheets

    return write_sheets(
        (table.name, table.header, ([neutralise(v) for v in row] for row in table.rows))
        for table in [dictionary(tables), *tables]
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def to_json(tables: list[Table]) -> bytes:
    payload = {
        "dictionary": {t.name: {"description": t.description, "columns": dict(t.columns)} for t in tables},
        "tables": {t.name: [dict(zip(t.header, row, strict=True)) for row in t.rows] for t in tables},
    }
    return json.dumps(payload, ensure_ascii=False, indent=1, default=_json_default).encode("utf-8")


CONTENT_TYPES = {
    "csv": "application/zip",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json; charset=utf-8",
}


def render_dataset(tables: list[Table], fmt: str, prefix: str) -> tuple[bytes, str, str]:
    """(content, content type, file name) of a dataset in ``fmt``."""
    if fmt == "csv":
        return to_csv_zip(tables, prefix), CONTENT_TYPES[fmt], f"{prefix}-csv.zip"
    if fmt == "ods":
        return to_ods(tables), CONTENT_TYPES[fmt], f"{prefix}.ods"
    if fmt == "xlsx":
        return to_xlsx(tables), CONTENT_TYPES[fmt], f"{prefix}.xlsx"
    if fmt == "json":
        return to_json(tables), CONTENT_TYPES[fmt], f"{prefix}.json"
    raise ValueError(f"unknown format {fmt!r}")
