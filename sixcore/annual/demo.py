"""Demo year-end evaluations (示範資料) for ``sixcore demo``: year 111 completed (every unit scored
through 自評, 初核 and 複核, approved and published with a grade) and year 112 with 自評 open.

Deterministic (each unit's numbers come from a generator seeded by year and unit), generated through
the same services as real work (pre-fill, scoring, steps, under the demo's as-of clock), labelled
示範資料 in every text and by ``is_demo``. Created once: skipped when the year already has evaluations.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from sixcore.progress.clock import as_of

from . import prefill, services, setup
from .choices import ScoreStage, ScoringRule, Stage
from .models import AnnualCycle, AnnualEvaluation

DEMO = "（示範資料）"
COMPLETED, IN_PROGRESS = 111, 112
# 112's 自評 opens early in the demo, so that the demo's as-of date (112/10/11) falls inside it.
EARLY_OPEN = date(2023, 10, 2)
PLANNING = ["分工明確，期程規劃合理", "計畫目標與策略連結清楚", "跨部會分工尚待強化", "規劃內容具體可行"]
INITIAL = ["自評分數大致合理", "經費運用說明請補充佐證", "執行進度與季報一致", "KPI 達成情形說明詳實"]
REVIEW = ["同意初核意見", "進度落後項目請檢討原因", "經費執行率偏低，請研提改善措施", "績效良好，值得肯定"]
IMPROVEMENTS = [
    "落後之重點工作項目請於下年度第 1 季前提出趕工計畫",
    "預算執行率未達 90%，請檢討經費配置",
    "請強化跨機關協調，確保 KPI 如期達成",
    "請持續追蹤成果擴散效益",
]


def _rng(year: int, evaluation: AnnualEvaluation) -> random.Random:
    return random.Random(f"annual-{year}-{evaluation.industry.code}-{evaluation.agency.code}")  # noqa: S311 - demo data


def _lead_user(evaluation: AnnualEvaluation, users: dict):
    codes = sorted(evaluation.industry.lead_agencies.values_list("code", flat=True))
    return next((users[f"{code}_lead"] for code in codes if f"{code}_lead" in users), None)


def _editor(evaluation: AnnualEvaluation, users: dict):
    return users.get(f"{evaluation.agency.code}_editor")


def _self_scores(evaluation: AnnualEvaluation, rng: random.Random, argue: bool) -> tuple[dict, dict]:
    rows = {}
    for row in services.stage_scores(evaluation, ScoreStage.SELF):
        values = {
            "comment": f"{DEMO}{rng.choice(PLANNING)}",
            "evidence": f"{DEMO}成果報告第 {rng.randint(1, 40)} 頁",
        }
        if row.indicator.rule == ScoringRule.MANUAL or row.prefilled_score is None:
            values["score"] = rng.randint(72, 96)
        elif argue and row.prefilled_score < 90:
            values["argued_score"] = min(row.prefilled_score + rng.randint(3, 10), Decimal(100))
            values["argued_reason"] = f"{DEMO}第 4 季實績於年底後始完成統計，請酌予考量"
        rows[row.indicator.code] = values
    return rows, {"self_summary": f"{DEMO}本年度各項工作均依計畫推動，詳如各指標說明。"}


def _stage_scores(evaluation: AnnualEvaluation, stage: str, rng: random.Random, comments: list[str]) -> dict:
    rows = {}
    for row in services.stage_scores(evaluation, stage):
        base = row.score if row.score is not None else Decimal(80)
        value = min(max(base + rng.randint(-6, 3), row.indicator.min_score), row.indicator.max_score)
        rows[row.indicator.code] = {"score": value, "comment": f"{DEMO}{rng.choice(comments)}"}
    return rows


def _save(evaluation, user, stage, rows, texts=None):
    evaluation.refresh_from_db()
    services.save_scores(evaluation, user, stage, evaluation.version, rows, texts or {})


@transaction.atomic
def completed_year(users: dict, year: int = COMPLETED) -> int:
    """Every unit of ``year`` through every stage to 公告, on the default calendar; returns how many."""
    if AnnualEvaluation.objects.filter(year=year).exists():
        return 0
    cycle_dates = AnnualCycle.default_dates(year)
    with as_of(cycle_dates["self_opens"] + timedelta(days=2)):
        setup.ensure_year(year, is_demo=True)
        evaluations = setup.ensure_evaluations(year, is_demo=True)
        prefill.prefill_year(year)
    ndc, reviewer = users["ndc"], users["ndc_reviewer"]
    done = 0
    for index, evaluation in enumerate(evaluations):
        editor, lead = _editor(evaluation, users), _lead_user(evaluation, users)
        if editor is None or lead is None:
            continue
        rng = _rng(year, evaluation)
        with as_of(cycle_dates["self_opens"] + timedelta(days=20 + rng.randint(0, 40))):
            rows, texts = _self_scores(evaluation, rng, argue=index % 5 == 0)
            _save(evaluation, editor, ScoreStage.SELF, rows, texts)
            services.submit_self(evaluation, editor, f"{DEMO}自評完成")
        with as_of(cycle_dates["initial_due"] - timedelta(days=10 + rng.randint(0, 5))):
            _save(
                evaluation,
                lead,
                ScoreStage.INITIAL,
                _stage_scores(evaluation, ScoreStage.INITIAL, rng, INITIAL),
                {"initial_opinion": f"{DEMO}{rng.choice(INITIAL)}"},
            )
            if index % 7 == 3:  # a few are sent back once and come again
                services.return_to_previous(evaluation, lead, f"{DEMO}請補充佐證資料後再送初核")
                services.submit_self(evaluation, editor, f"{DEMO}已補充佐證資料")
            services.complete_initial(evaluation, lead, f"{DEMO}初核完成")
        with as_of(cycle_dates["review_due"] - timedelta(days=7)):
            _save(
                evaluation,
                reviewer,
                ScoreStage.REVIEW,
                _stage_scores(evaluation, ScoreStage.REVIEW, rng, REVIEW),
                {
                    "review_opinion": f"{DEMO}{rng.choice(REVIEW)}",
                    "improvement_items": f"{DEMO}{rng.choice(IMPROVEMENTS)}",
                },
            )
            services.complete_review(evaluation, reviewer, f"{DEMO}複核完成")
        with as_of(cycle_dates["approval_due"] - timedelta(days=3)):
            services.approve(evaluation, ndc, f"{DEMO}核定")
        with as_of(cycle_dates["approval_due"] + timedelta(days=5)):
            services.publish(evaluation, ndc, f"{DEMO}公告")
        done += 1
    return done


@transaction.atomic
def year_in_progress(users: dict, today: date, year: int = IN_PROGRESS) -> int:
    """``year``'s evaluations in 自評, opened early (the calendar says why), pre-filled from the last
    complete quarter; a few units have started scoring and one has submitted (初核 to do)."""
    if AnnualEvaluation.objects.filter(year=year).exists():
        return 0
    dates = AnnualCycle.default_dates(year)
    AnnualCycle.objects.get_or_create(
        year=year,
        defaults={
            **dates,
            "self_opens": min(EARLY_OPEN, today),
            "note": f"{DEMO}為展示自評作業，112 年度自評提前開放；正式作業於次年 1 月 10 日開放。",
            "is_demo": True,
        },
    )
    with as_of(today):
        setup.ensure_year(year, is_demo=True)
        evaluations = setup.ensure_evaluations(year, is_demo=True)
        prefill.prefill_year(year)
        started = 0
        for index, evaluation in enumerate(evaluations):
            editor = _editor(evaluation, users)
            if editor is None or index % 4:
                continue
            rng = _rng(year, evaluation)
            rows, texts = _self_scores(evaluation, rng, argue=index % 8 == 0)
            _save(evaluation, editor, ScoreStage.SELF, rows, texts)
            if index % 8 == 0:
                services.submit_self(evaluation, editor, f"{DEMO}自評完成")
            started += 1
    return len(evaluations)


def load_demo(users: dict, today: date) -> str:
    """Both demo years; returns the line ``sixcore demo`` prints."""
    published = completed_year(users)
    opened = year_in_progress(users, today)
    grades = AnnualEvaluation.objects.filter(year=COMPLETED, stage=Stage.PUBLISHED).exclude(grade="").count()
    return (
        f"year-end evaluation (示範資料): {COMPLETED} published with grades ({grades} units"
        f"{', created now' if published else ''}), {IN_PROGRESS} self-assessment open ({opened} units created)"
    )
