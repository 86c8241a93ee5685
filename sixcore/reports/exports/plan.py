"""The plan dataset: every table of one plan revision, read through ``plan.export.export_program``."""

from __future__ import annotations

from sixcore.plan.export import export_program

from .tables import Table, table_of


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
        table_of(
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
        table_of(
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
        table_of(
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
        table_of(
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
        table_of(
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
        table_of(
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
        table_of(
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
        table_of(
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
        table_of(
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
        table_of(
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
        table_of(
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
        table_of(
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
        table_of(
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
        table_of(
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
