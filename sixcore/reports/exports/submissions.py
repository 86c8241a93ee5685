"""The submissions dataset: the quarterly submissions and their lines within the caller's scope
(published only for the public), in a total order so identical databases export identical bytes.
"""

from __future__ import annotations

from sixcore.evaluation.service import scoped_submissions
from sixcore.progress.models import (
    BudgetReport,
    IndustryReport,
    KPIReport,
    MeasureReport,
    ReportingPeriod,
    WorkItemReport,
)

from .tables import Table, table_of


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
        table_of(
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
        table_of(
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
        table_of(
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
        table_of(
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
        table_of(
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
        table_of(
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
