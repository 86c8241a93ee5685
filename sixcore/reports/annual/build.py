"""Build the :class:`~.structure.AnnualReport` of a year from its evaluations (a fixed number of queries).

Who sees what is decided by the caller: ``evaluations`` is a queryset already scoped by the annual
policy (NDC: every unit; everybody else: published ones), and ``published_only`` only says so on the
cover. Nothing is re-scored here: the scores and grades are those the stages saved.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone

from sixcore.annual import summary
from sixcore.annual.choices import ScoreStage, ScoringRule, Stage
from sixcore.annual.models import AnnualEvaluation, GradeThreshold, IndicatorScore
from sixcore.annual.rules import score_text
from sixcore.core.roc import format_roc_date
from sixcore.plan.models import Program

from .structure import AnnualReport, Distribution, IndicatorRow, StageComment, UnitPage

DEFAULT_GRADES = [("優等", Decimal(90)), ("甲等", Decimal(80)), ("乙等", Decimal(70)), ("丙等", Decimal(0))]
STAGE_LABELS = {
    ScoreStage.SELF: "自評",
    ScoreStage.INITIAL: "初核",
    ScoreStage.REVIEW: "複核",
}
# The report is a government document in zh-TW whatever the site's language (as the quarterly one).
STATUS_LABELS = {
    Stage.SELF: "自評中",
    Stage.INITIAL: "初核中",
    Stage.REVIEW: "複核中",
    Stage.REVIEWED: "已複核（待核定）",
    Stage.APPROVED: "已核定",
    Stage.PUBLISHED: "已公告",
}
FIGURE_FORMATS = {
    ScoringRule.KPI_ACHIEVEMENT: "績效指標平均達成率 {}%",
    ScoringRule.SCHEDULE_LAG: "重點工作項目平均落後 {} 百分點",
    ScoringRule.BUDGET_EXECUTION: "預算執行率 {}%",
}


def grades_of(year: int) -> list[tuple[str, Decimal]]:
    """The year's grades, highest first (the issue's defaults when NDC has set none)."""
    rows = list(GradeThreshold.objects.filter(year=year).order_by("-min_score"))
    return [(g.label, g.min_score) for g in rows] or DEFAULT_GRADES


def figure_text(score: IndicatorScore | None) -> str:
    if score is None or score.prefilled_value is None:
        return ""
    text = FIGURE_FORMATS.get(score.indicator.rule, "{}").format(score_text(score.prefilled_value))
    return f"{text}（{score.prefill_source}）" if score.prefill_source else text


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


def _day(moment) -> str:
    return format_roc_date(timezone.localtime(moment).date()) if moment else ""


def _comments(evaluation: AnnualEvaluation, scores: list[IndicatorScore]) -> list[StageComment]:
    found = []
    for stage, text, who, when in (
        ("自評", evaluation.self_summary, evaluation.self_submitted_by, evaluation.self_submitted_at),
        ("初核", evaluation.initial_opinion, evaluation.initial_by, evaluation.initial_at),
        ("複核", evaluation.review_opinion, evaluation.reviewed_by, evaluation.reviewed_at),
    ):
        if text.strip():
            found.append(StageComment(stage, _person(who), _day(when), text.strip()))
    for score in scores:
        if score.comment.strip():
            found.append(
                StageComment(
                    f"{STAGE_LABELS.get(score.stage, score.stage)}（指標 {score.indicator.code}）",
                    "",
                    "",
                    score.comment.strip(),
                )
            )
    if evaluation.is_returned and evaluation.return_comment.strip():
        found.append(
            StageComment(
                "退回",
                _person(evaluation.returned_by),
                _day(evaluation.returned_at),
                evaluation.return_comment,
            )
        )
    if evaluation.reopen_reason.strip():
        found.append(
            StageComment(
                "重新開啟",
                _person(evaluation.reopened_by),
                _day(evaluation.reopened_at),
                evaluation.reopen_reason.strip(),
            )
        )
    return found


def unit_page(evaluation: AnnualEvaluation, scores: list[IndicatorScore]) -> UnitPage:
    by_indicator: dict[int, dict[str, IndicatorScore]] = defaultdict(dict)
    indicators = {}
    for score in scores:
        by_indicator[score.indicator_id][score.stage] = score
        indicators[score.indicator_id] = score.indicator
    rows = []
    for indicator in sorted(indicators.values(), key=lambda i: (i.order, i.code)):
        stages = by_indicator[indicator.pk]
        own = stages.get(ScoreStage.SELF)
        rows.append(
            IndicatorRow(
                code=indicator.code,
                name=indicator.name,
                weight=indicator.weight,
                figure=figure_text(own),
                self_score=own.score if own else None,
                first_score=stages[ScoreStage.INITIAL].score if ScoreStage.INITIAL in stages else None,
                review_score=stages[ScoreStage.REVIEW].score if ScoreStage.REVIEW in stages else None,
                argued_score=own.argued_score if own else None,
                argued_reason=own.argued_reason if own else "",
                narrative="\n".join(t for t in ((own.evidence if own else ""),) if t),
            )
        )
    decided = evaluation.stage in (Stage.APPROVED, Stage.PUBLISHED)
    return UnitPage(
        industry_code=evaluation.industry.code,
        industry=evaluation.industry.name,
        agency=evaluation.agency.name,
        status=STATUS_LABELS.get(evaluation.stage, evaluation.stage),
        score=evaluation.final_score if decided else None,
        grade=evaluation.grade if decided else "",
        indicators=rows,
        comments=_comments(evaluation, scores),
        improvements=[line.strip() for line in evaluation.improvement_items.splitlines() if line.strip()],
    )


def distributions(units: list[UnitPage], grades: list[str]) -> list[Distribution]:
    """Per industry, then the program (key ""): ``annual.summary.distribution``, as the pages count."""
    rows = [(u.industry_code, u.industry, u.grade, u.score) for u in units if u.grade]
    return [
        Distribution(g.key, g.label or "全方案", g.counts, g.units, g.mean_score)
        for g in summary.distribution(rows, grades)
    ]


def build_annual_report(year: int, evaluations: QuerySet, *, published_only: bool) -> AnnualReport:
    """The report of ``year`` over ``evaluations`` (already scoped by the caller's policy)."""
    chosen = list(
        evaluations.filter(year=year)
        .select_related(
            "industry",
            "agency",
            "self_submitted_by",
            "initial_by",
            "reviewed_by",
            "returned_by",
            "reopened_by",
        )
        .order_by("industry__code", "agency__order", "agency__code")
    )
    scores: dict[int, list[IndicatorScore]] = defaultdict(list)
    for score in IndicatorScore.objects.filter(evaluation__in=[e.pk for e in chosen]).select_related(
        "indicator"
    ):
        scores[score.evaluation_id].append(score)
    units = [unit_page(e, scores[e.pk]) for e in chosen]
    grades = grades_of(year)
    counted = distributions(units, [grade for grade, _floor in grades])
    program = Program.objects.order_by("revision").first()
    name = program.name if program else "六大核心戰略產業推動方案"
    return AnnualReport(
        year=year,
        title=f"{name} {year} 年度評核報告",
        program_name=name,
        generated_text=f"{format_roc_date(timezone.localdate())} {timezone.localtime():%H:%M}",
        scope_text="已公告之評核結果" if published_only else "全部填報單位（含未公告）",
        is_demo=any(e.is_demo for e in chosen),
        grades=grades,
        units=units,
        by_industry=counted[:-1],
        program=counted[-1],
    )
