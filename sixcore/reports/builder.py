"""The quarterly report as one plain data structure (no document-format code here).

``build_quarterly_report(period, user=None, published_only=False)`` reads the period's evaluation
(the stored one, ``evaluation.read.evaluation_for`` — nothing is re-evaluated here) plus the narratives
(``IndustryReport``, else the measures' ``MeasureReport`` of the industry's consolidated/approved
submissions), the annual target texts of the year, the submissions' completeness and the
follow-up items (追蹤事項) open at the quarter's end. ``docx.py``, ``pdf.py`` and ``xlsx.py`` render the
resulting :class:`QuarterlyReport`; they share its figures, so the three formats agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from sixcore.accounts.policy import is_ndc
from sixcore.core.roc import format_roc_date
from sixcore.evaluation.read import evaluation_for
from sixcore.evaluation.rules import LIGHT_LABELS, RISK_LABELS, Light
from sixcore.evaluation.service import Evaluation, resolve_period, scoped_submissions
from sixcore.plan import models as plan
from sixcore.plan.typeset import typeset
from sixcore.progress.choices import SubmissionStatus, WorkItemStatus
from sixcore.progress.models import IndustryReport, MeasureReport, ReportingPeriod, Submission
from sixcore.progress.services import program_in_force

DEMO_MARK = "示範資料"
BUDGET_LINE = Decimal("0.90")
LIGHTS = (Light.GREEN, Light.YELLOW, Light.RED, Light.WHITE)
# The site's own labels of the statuses (the report says what the screens say: 進度正常, not 依進度).
STATUS_LABELS = {status.value: status.label for status in SubmissionStatus}
WORK_ITEM_STATUS_LABELS = {status.value: status.label for status in WorkItemStatus}
NARRATIVE_FIELDS = (
    ("progress", "辦理情形"),
    ("highlights", "重要執行亮點"),
    ("next_quarter", "下一季重點工作"),
)


def light_label(light: Light | str) -> str:
    return LIGHT_LABELS[Light(light)]


def percent_text(ratio: Decimal | None) -> str:
    """A fraction as printed: 0.8501 → ``85.01%``; None → ``—``."""
    if ratio is None:
        return "—"
    return f"{(ratio * 100).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}%"


def number_text(value: Decimal | None, places: int = 2) -> str:
    if value is None:
        return "—"
    quantum = Decimal(1).scaleb(-places)
    text = f"{value.quantize(quantum, rounding=ROUND_HALF_UP):,}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- the structure --------------------------------------------------------------------------------


@dataclass
class KpiRow:
    code: str
    measure: str
    full_term: str
    year_target: str
    unit: str
    expected: Decimal | None
    actual: Decimal | None
    achievement: Decimal | None  # fraction
    light: str
    light_label: str
    reason: str
    agencies: str


@dataclass
class KpiSection:
    """A KPI table: one per industry, two for 國防 (its sub-areas)."""

    title: str
    rows: list[KpiRow]


@dataclass
class WorkItemRow:
    schedule: str
    code: str
    title: str
    measures: str
    agencies: str
    planned: Decimal | None
    reported: Decimal | None
    lag: Decimal | None
    status: str
    light: str
    light_label: str
    lag_reason: str
    remedy: str


@dataclass
class BudgetRow:
    key: str
    label: str
    allocated: Decimal | None
    executed: Decimal | None
    annual_budget: Decimal | None
    execution_rate: Decimal | None
    achievement_rate: Decimal | None
    light: str
    light_label: str
    below_line: bool


@dataclass
class NarrativeEntry:
    label: str  # "" for the industry's consolidated text; else "1.1 措施名稱（機關）"
    text: str


@dataclass
class Narrative:
    field: str
    title: str
    entries: list[NarrativeEntry]


@dataclass
class Chapter:
    code: str
    name: str
    counts: dict[str, int]
    narratives: list[Narrative]
    consolidated: bool  # True when the industry lead's IndustryReport is used
    kpi_sections: list[KpiSection]
    lagging: list[WorkItemRow]
    budget: list[BudgetRow]

    @property
    def title(self) -> str:
        return f"{self.code}. {self.name}"


@dataclass
class LightRow:
    key: str
    label: str
    counts: dict[str, int]
    items: int
    weighted_achievement: Decimal | None


@dataclass
class RiskRow:
    measure: str
    name: str
    industry: str
    tier: str
    tier_label: str
    signals: str
    red: int


@dataclass
class SubmissionRow:
    industry: str
    agency: str
    status: str
    status_label: str
    submitted: str
    late: bool


@dataclass
class FlagRow:
    label: str
    kind: str
    ref: str
    industry: str
    measure: str
    message: str


@dataclass
class FollowUpRow:
    """A follow-up item (追蹤事項) open at the quarter's end, with its latest 辦理情形 by then."""

    number: str
    source: str
    text: str
    owner: str
    due: str
    state: str  # 列管中, or 逾期 when past its due date at the quarter's end
    latest: str
    latest_period: str


@dataclass
class QuarterlyReport:
    program_name: str
    revision: int
    revision_title: str
    period: str  # 111Q2
    period_label: str  # 111 年第 2 季
    generated_at: datetime
    is_demo: bool
    published_only: bool
    light_summary: list[LightRow]
    budget_summary: list[BudgetRow]
    budget_total: BudgetRow | None
    risks: list[RiskRow]
    completeness_total: int
    completeness_visible: int
    completeness_by_status: dict[str, int]
    submissions: list[SubmissionRow]
    chapters: list[Chapter]
    work_items: list[WorkItemRow]
    flags: list[FlagRow]
    follow_ups: list[FollowUpRow] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"{self.program_name} {self.period_label}執行情形報告"

    @property
    def generated_text(self) -> str:
        local = (
            timezone.localtime(self.generated_at)
            if timezone.is_aware(self.generated_at)
            else self.generated_at
        )
        return f"{format_roc_date(local.date())} {local:%H:%M}"

    @property
    def revision_text(self) -> str:
        return (
            f"第 {self.revision} 版（{self.revision_title}）"
            if self.revision_title
            else f"第 {self.revision} 版"
        )

    @property
    def scope_text(self) -> str:
        return "已核定（公開）資料" if self.published_only else "全部填報資料（含未核定）"

    def contents(self) -> list[tuple[int, str]]:
        """(level, heading) of the document's outline, for a table of contents."""
        items = [(1, "壹、摘要"), (1, "貳、各產業執行情形")] + [(2, c.title) for c in self.chapters]
        items += [(1, "附錄一、工作項目辦理狀態"), (1, "附錄二、資料品質檢核")]
        items.append((1, FOLLOW_UPS_HEADING))
        return items


# --- building -------------------------------------------------------------------------------------


def report_is_public(period: ReportingPeriod) -> bool:
    """Every submission of the period is approved (and there is at least one)."""
    subs = Submission.objects.filter(period=period)
    return subs.exists() and not subs.exclude(status=SubmissionStatus.APPROVED).exists()


def _budget_row(b, label: str) -> BudgetRow:
    return BudgetRow(
        key=b.key,
        label=label,
        allocated=b.allocated,
        executed=b.executed,
        annual_budget=b.annual_budget,
        execution_rate=b.execution_rate,
        achievement_rate=b.achievement_rate,
        light=str(b.light),
        light_label=light_label(b.light),
        below_line=b.execution_rate is not None and b.execution_rate < BUDGET_LINE,
    )


def _sum(values) -> Decimal | None:
    present = [v for v in values if v is not None]
    return sum(present, Decimal(0)) if present else None


def _work_item_row(w, agency_names: dict[str, str]) -> WorkItemRow:
    return WorkItemRow(
        schedule=w.schedule,
        code=w.code,
        title=typeset(w.title),  # as the pages show it (α-site), never the conversion's LaTeX
        measures="、".join(w.measures),
        agencies="、".join(agency_names.get(a, a) for a in w.agencies),
        planned=w.planned,
        reported=w.reported,
        lag=w.lag,
        status=str(WORK_ITEM_STATUS_LABELS.get(w.status, w.status or "—")),
        light=str(w.light),
        light_label=light_label(w.light),
        lag_reason=w.lag_reason,
        remedy=w.remedy,
    )


def build_quarterly_report(
    period: ReportingPeriod | str,
    user=None,
    *,
    published_only: bool = False,
    evaluation: Evaluation | None = None,
    now: datetime | None = None,
) -> QuarterlyReport:
    """Collect everything the report shows for ``period`` within the caller's scope."""
    period = resolve_period(period)
    if evaluation is None:
        evaluation = evaluation_for(period, user, published_only=published_only)
    published = published_only or (user is not None and not is_ndc(user))
    program = program_in_force(period)
    names = evaluation.agencies
    measures = evaluation.measures

    # Annual target texts of this year and sub-areas, one query each.
    year_targets = {
        (a["kpi__measure__code"], a["kpi__code"]): typeset(a["cell__text"])
        for a in plan.AnnualTarget.objects.filter(
            kpi__measure__industry__program=program, year=evaluation.roc_year
        ).values("kpi__measure__code", "kpi__code", "cell__text")
    }
    sub_area_of_measure: dict[str, tuple[int, str]] = {
        m["code"]: (m["strategy__sub_area__order"], m["strategy__sub_area__name"])
        for m in plan.Measure.objects.filter(
            industry__program=program, strategy__sub_area__isnull=False
        ).values("code", "strategy__sub_area__order", "strategy__sub_area__name")
    }

    # Submissions within scope (completeness, narratives).
    submissions = scoped_submissions(user, published_only=published).filter(period=period)
    submission_rows = [
        SubmissionRow(
            industry=s.industry.code,
            agency=s.agency.name,
            status=s.status,
            status_label=str(STATUS_LABELS.get(s.status, s.status)),
            submitted=format_roc_date(timezone.localtime(s.submitted_at).date()) if s.submitted_at else "—",
            late=s.submitted_late
            or (s.submitted_at is None and period.due_date < _today() and s.status == SubmissionStatus.DRAFT),
        )
        for s in submissions.select_related("industry", "agency", "period").order_by(
            "industry__code", "agency__order", "agency__code"
        )
    ]
    narrative_statuses = (
        [SubmissionStatus.APPROVED]
        if published
        else [SubmissionStatus.CONSOLIDATED, SubmissionStatus.APPROVED]
    )
    measure_reports: dict[str, list[MeasureReport]] = {}
    for mr in (
        MeasureReport.objects.filter(submission__in=submissions, submission__status__in=narrative_statuses)
        .select_related("measure", "submission__agency", "submission__industry")
        .order_by("measure__order", "submission__agency__order")
    ):
        measure_reports.setdefault(mr.submission.industry.code, []).append(mr)
    unpublished_industries = set(
        Submission.objects.filter(period=period)
        .exclude(status=SubmissionStatus.APPROVED)
        .values_list("industry__code", flat=True)
    )
    industry_reports = {
        r.industry.code: r
        for r in IndustryReport.objects.filter(period=period).select_related("industry")
        if not published or r.industry.code not in unpublished_industries
    }

    chapters = []
    rollups = {r.key: r for r in evaluation.rollups.get("industry", [])}
    for code, name in evaluation.industries.items():
        scoped = evaluation.scoped(industry=code)
        narratives, consolidated = _narratives(
            industry_reports.get(code), measure_reports.get(code, []), measures
        )
        sections: dict[tuple[int, str], list[KpiRow]] = {}
        for k in scoped["kpis"]:
            where = sub_area_of_measure.get(k.measure, (0, ""))
            sections.setdefault(where, []).append(
                KpiRow(
                    code=k.kpi,
                    measure=k.measure,
                    full_term=typeset(k.text),
                    year_target=year_targets.get((k.measure, k.key), ""),
                    unit=k.unit,
                    expected=k.expected,
                    actual=k.actual if not isinstance(k.actual, bool) else Decimal(int(k.actual)),
                    achievement=k.achievement,
                    light=str(k.light),
                    light_label=light_label(k.light),
                    reason=k.reason,
                    agencies="、".join(names.get(a, a) for a in k.agencies),
                )
            )
        roll = rollups.get(code)
        chapters.append(
            Chapter(
                code=code,
                name=name,
                counts=dict(roll.counts) if roll else {str(light): 0 for light in LIGHTS},
                narratives=narratives,
                consolidated=consolidated,
                kpi_sections=[
                    KpiSection(title=f"{title}關鍵績效指標" if title else "關鍵績效指標", rows=rows)
                    for (_, title), rows in sorted(sections.items())
                ],
                lagging=[
                    _work_item_row(w, names)
                    for w in scoped["work_items"]
                    if (w.lag is not None and w.lag > 0) or w.status == "lagging"
                ],
                budget=[_budget_row(b, measures.get(b.key, {}).get("name", "")) for b in scoped["budget"]],
            )
        )

    industry_budget = [
        _budget_row(b, evaluation.industries.get(b.key, "")) for b in evaluation.budget_by_industry
    ]
    total = None
    if industry_budget:
        allocated = _sum(b.allocated for b in industry_budget)
        executed = _sum(b.executed for b in industry_budget)
        rate = (
            (executed / allocated).quantize(Decimal("0.0001")) if allocated and executed is not None else None
        )
        annual = _sum(b.annual_budget for b in industry_budget)
        total = BudgetRow(
            key="",
            label="合計",
            allocated=allocated,
            executed=executed,
            annual_budget=annual,
            execution_rate=rate,
            achievement_rate=(executed / annual).quantize(Decimal("0.0001")) if annual and executed else None,
            light="",
            light_label="",
            below_line=rate is not None and rate < BUDGET_LINE,
        )

    return QuarterlyReport(
        program_name=program.name,
        revision=program.revision,
        revision_title=program.title,
        period=evaluation.period,
        period_label=period.label,
        generated_at=now or timezone.now(),
        is_demo=evaluation.is_demo or any(s.is_demo for s in submissions.only("is_demo")[:1]),
        published_only=published,
        light_summary=[
            LightRow(r.key, r.label, dict(r.counts), r.items, r.weighted_achievement)
            for r in evaluation.rollups.get("industry", [])
        ],
        budget_summary=industry_budget,
        budget_total=total,
        risks=[
            RiskRow(
                measure=r.measure,
                name=r.name,
                industry=r.industry,
                tier=str(r.tier),
                tier_label=RISK_LABELS[r.tier],
                signals="；".join(f"{s['ref']}：{s['label']}" for s in r.signals) or "—",
                red=r.red,
            )
            for r in evaluation.risks
        ],
        completeness_total=evaluation.completeness.total,
        completeness_visible=evaluation.completeness.visible,
        completeness_by_status={
            str(STATUS_LABELS.get(s, s)): n for s, n in evaluation.completeness.by_status.items()
        },
        submissions=submission_rows,
        chapters=chapters,
        work_items=[_work_item_row(w, names) for w in evaluation.work_items],
        flags=[FlagRow(f.label, f.kind, f.ref, f.industry, f.measure, f.message) for f in evaluation.flags],
        follow_ups=_follow_ups(period, user, published),
    )


def _today() -> date:
    from sixcore.progress.clock import today

    return today()


def _narratives(industry_report, measure_reports, measures) -> tuple[list[Narrative], bool]:
    if industry_report is not None and any(getattr(industry_report, f) for f, _ in NARRATIVE_FIELDS):
        return [
            Narrative(
                f,
                title,
                [NarrativeEntry("", getattr(industry_report, f))] if getattr(industry_report, f) else [],
            )
            for f, title in NARRATIVE_FIELDS
        ], True
    result = []
    for f, title in NARRATIVE_FIELDS:
        entries = []
        for mr in measure_reports:
            text = getattr(mr, f)
            if text:
                name = measures.get(mr.measure.code, {}).get("name", mr.measure.name)
                entries.append(
                    NarrativeEntry(f"{mr.measure.code} {name}（{mr.submission.agency.name}）", text)
                )
        result.append(Narrative(f, title, entries))
    return result, False


FOLLOW_UPS_HEADING = "附錄三、追蹤事項辦理情形"


def _follow_ups(period: ReportingPeriod, user, published: bool) -> list[FollowUpRow]:
    """The follow-up items (field-verification recommendations, coordination decisions) open at the
    quarter's end, in the reader's scope, each with its latest 辦理情形 by then. The published report
    reads published items, and only answers given in approved reports."""
    from sixcore.followups.services import latest_responses, open_follow_ups

    scope_user = user if user is not None else (AnonymousUser() if published else None)
    items = list(open_follow_ups(period.end, scope_user))
    latest = latest_responses(items, period.end)
    rows = []
    for f in items:
        response = latest.get(f.pk)
        if (
            response is not None
            and published
            and not (response.submission_id and response.submission.status == SubmissionStatus.APPROVED)
        ):
            response = None
        rows.append(
            FollowUpRow(
                number=f"#{f.pk}",
                source=str(f.get_source_display()),
                text=f.text,
                owner=f.owner.name,
                due=format_roc_date(f.due_date),
                state="逾期" if f.due_date < period.end else "列管中",
                latest=response.text if response is not None else "—",
                latest_period=response.period.label if response is not None and response.period else "",
            )
        )
    return rows
