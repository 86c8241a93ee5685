"""Web pages of the year-end evaluation (年度評核). Thin: who may do what is ``policy``, every write is
``services`` (scores, stages) or ``setup`` (indicators, grades); a view checks scope before anything.

- ``/annual/?year=111``: the evaluations the user may read, the grades' distribution per industry and
  for the program (published ones only, for everybody: a draft grade is not a result).
- ``/annual/<pk>/``: one evaluation: the pre-filled figures, each stage's scores and comments, the
  current stage's inputs (typed input kept on every refusal, conflicts shown field by field) and the
  steps the user may take.
- ``/annual/setup/<year>/``: NDC administrators maintain the year's indicators and grade thresholds.
"""

from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from sixcore.accounts.policy import is_ndc
from sixcore.core.changelog import history_context
from sixcore.core.dates import ROC_DATE_PATTERN, parse_typed_date
from sixcore.core.roc import format_roc_date
from sixcore.progress.clock import today
from sixcore.progress.forms import as_text

from . import services, summary
from .choices import SCORING_STAGE, ScoreStage, ScoringRule, Stage
from .exceptions import EvaluationConflict, InvalidTransition, Problems
from .forms import (
    FIELD_LABELS,
    STAGE_FIELDS,
    cell,
    error_name,
    from_post,
    originals_of,
    score_name,
    text_name,
)
from .models import AnnualCycle, AnnualEvaluation, GradeThreshold
from .policy import annual_policy

# Each step: the service, what the user reads once done, and the policy question for its button.
STEPS = {
    "submit_self": (services.submit_self, lambda: _("Self-assessment submitted to the initial review.")),
    "complete_initial": (services.complete_initial, lambda: _("Initial review completed; sent to NDC.")),
    "complete_review": (services.complete_review, lambda: _("NDC review completed; awaiting approval.")),
    "approve": (services.approve, lambda: _("Approved.")),
    "publish": (services.publish, lambda: _("Published: the grade is now public.")),
    "return": (services.return_to_previous, lambda: _("Returned to the previous stage with your comment.")),
    "reopen": (services.reopen, lambda: _("Reopened for correction; it is no longer public.")),
}
# The step that completes each scoring stage (the save bar's second button).
COMPLETES = {
    ScoreStage.SELF: "submit_self",
    ScoreStage.INITIAL: "complete_initial",
    ScoreStage.REVIEW: "complete_review",
}
# Labels of the stage texts where they are read, not typed.
READ_LABELS = {"improvement_items": gettext_lazy("Improvement items")}
ORDER = [Stage.SELF, Stage.INITIAL, Stage.REVIEW, Stage.REVIEWED, Stage.APPROVED, Stage.PUBLISHED]


def _years() -> list[int]:
    years = set(AnnualCycle.objects.values_list("year", flat=True))
    years |= set(AnnualEvaluation.objects.values_list("year", flat=True).distinct())
    return sorted(years, reverse=True)


def _year(request: HttpRequest, years: list[int]) -> int | None:
    raw = request.GET.get("year", "")
    if raw:
        if not raw.isdigit() or int(raw) not in years:
            raise Http404(_("No year-end evaluation of %(year)s.") % {"year": raw[:8]})
        return int(raw)
    # Default: the latest year with a published result for the public, the latest year for others.
    if not request.user.is_authenticated:
        published = AnnualEvaluation.objects.filter(stage=Stage.PUBLISHED).aggregate(y=Max("year"))["y"]
        return published or (years[0] if years else None)
    return years[0] if years else None


def distribution(evaluations: list[AnnualEvaluation], grades: list[str]) -> tuple[list, object]:
    """Grades counted per industry and for the program (``summary.distribution``, the one rule the
    report uses too) among the evaluations the user may read that have a grade."""
    rows = [(e.industry.code, e.industry.name, e.grade, e.final_score) for e in evaluations if e.grade]
    counted = summary.distribution(rows, grades)
    return counted[:-1], counted[-1]


@require_GET
def evaluation_list(request: HttpRequest) -> HttpResponse:
    """Every evaluation of a year the user may read: the public its published grades; agencies their
    own and (industry leads) their industries'; NDC all, with counts by stage."""
    years = _years()
    year = _year(request, years)
    evaluations = []
    if year is not None:
        evaluations = list(
            annual_policy.visible(request.user, AnnualEvaluation.objects.filter(year=year))
            .select_related("industry", "agency")
            .order_by("industry__code", "agency__order", "agency__code")
        )
    cycle = AnnualCycle.objects.filter(year=year).first() if year else None
    for e in evaluations:
        e.due = services.stage_deadline(e, cycle) if cycle and e.stage != Stage.PUBLISHED else None
        e.overdue = bool(e.due and today() > e.due)
    grades = (
        list(GradeThreshold.objects.filter(year=year).order_by("-min_score").values_list("label", flat=True))
        if year
        else []
    )
    rows, program = distribution(evaluations, grades)
    stage_counts = Counter(e.stage for e in evaluations)
    return render(
        request,
        "annual/list.html",
        {
            "year": year,
            "years": years,
            "cycle": cycle,
            "evaluations": evaluations,
            "grades": grades,
            "distribution": rows,
            "program_total": program,
            "stage_counts": [(label, stage_counts.get(value, 0)) for value, label in Stage.choices],
            "is_ndc": is_ndc(request.user),
            "can_setup": annual_policy.can_manage_indicators(request.user),
            "next_year": (max(years) + 1) if years else None,
            "published": sum(1 for e in evaluations if e.stage == Stage.PUBLISHED),
        },
    )


def _visible(request: HttpRequest, pk: int) -> AnnualEvaluation:
    queryset = annual_policy.visible(request.user, AnnualEvaluation.objects.filter(pk=pk))
    # Another agency's draft is "not found", not "forbidden": its existence is not disclosed.
    return get_object_or_404(queryset.select_related("industry", "agency", "returned_by", "reopened_by"))


def _scoring_stage(user, evaluation: AnnualEvaluation) -> str | None:
    """The score stage this user writes now (None: nothing to write)."""
    for stage in ScoreStage.values:
        if annual_policy.can_score(user, evaluation, stage):
            return stage
    return None


def _shows_stage(user, evaluation: AnnualEvaluation, stage: str) -> bool:
    """A stage's scores are read once it is done (or by who scores it, and NDC): an unfinished review
    is not shown to the agency under review."""
    done = ORDER.index(evaluation.stage) > ORDER.index(SCORING_STAGE[stage])
    return done or is_ndc(user) or annual_policy.may_score(user, evaluation, stage)


def _page(request, evaluation, *, post=None, errors=None, conflict=None) -> HttpResponse:
    user = request.user
    stage = _scoring_stage(user, evaluation)
    by_stage: dict[str, dict[str, object]] = {}
    for s in ScoreStage.values:
        by_stage[s] = {row.indicator.code: row for row in services.stage_scores(evaluation, s)}
    error_map = {error_name(e["field"]): e["message"] for e in (errors or [])}
    shown_stages = [s for s in ScoreStage.values if by_stage[s] and _shows_stage(user, evaluation, s)]
    rows = []
    cells = []
    saved_texts: dict[str, str] = {}
    for code, own in by_stage[ScoreStage.SELF].items():
        indicator = own.indicator
        row = {
            "indicator": indicator,
            "prefilled": own,
            "manual": indicator.rule == ScoringRule.MANUAL,
            # The stage being scored is in the inputs below, not also in the table of earlier stages.
            "stages": [(ScoreStage(s).label, by_stage[s].get(code), s) for s in shown_stages if s != stage],
            "cells": {},
        }
        current = by_stage[stage].get(code) if stage else None
        if current is not None:
            for name in STAGE_FIELDS[stage]:
                field_label = FIELD_LABELS[name]
                label = f"{indicator.name} {field_label}"
                c = cell(
                    score_name(code, name),
                    getattr(current, name),
                    label,
                    field_label,
                    post,
                    error_map,
                    bool(conflict),
                )
                row["cells"][name] = c
                cells.append(c)
                saved_texts[c.name] = c.value if post is None else as_text(getattr(current, name))
        rows.append(row)
    texts = []
    for name in services.STAGE_TEXTS.get(stage, ()) if stage else ():
        c = cell(
            text_name(name),
            getattr(evaluation, name),
            str(FIELD_LABELS[name]),
            FIELD_LABELS[name],
            post,
            error_map,
            bool(conflict),
        )
        texts.append(c)
        cells.append(c)
        saved_texts[c.name] = as_text(getattr(evaluation, name))
    opinions = [
        (READ_LABELS.get(name, FIELD_LABELS[name]), getattr(evaluation, name), name == "improvement_items")
        for name, s in (
            ("self_summary", ScoreStage.SELF),
            ("initial_opinion", ScoreStage.INITIAL),
            ("review_opinion", ScoreStage.REVIEW),
            ("improvement_items", ScoreStage.REVIEW),
        )
        if getattr(evaluation, name).strip() and _shows_stage(user, evaluation, s)
    ]
    cycle = AnnualCycle.objects.filter(year=evaluation.year).first()
    due = (
        services.stage_deadline(evaluation, cycle) if cycle and evaluation.stage != Stage.PUBLISHED else None
    )
    totals = [(ScoreStage(s).label, services.stage_total(list(by_stage[s].values()))) for s in shown_stages]
    context = {
        "evaluation": evaluation,
        "stage": stage,
        "stage_label": ScoreStage(stage).label if stage else "",
        "stage_fields": STAGE_FIELDS.get(stage, ()),
        "rows": rows,
        "texts": texts,
        "opinions": opinions,
        "totals": totals,
        "due": due,
        "overdue": bool(due and today() > due),
        "errors": [
            {**e, "anchor": "f-" + "".join(ch if ch.isalnum() else "-" for ch in error_name(e["field"]))}
            for e in (errors or [])
        ],
        "conflict": conflict,
        "conflicts": [c for c in cells if c.theirs is not None],
        "originals": originals_of(cells, saved_texts),
        "completes": COMPLETES.get(stage) if stage else None,
        "roc_date_pattern": ROC_DATE_PATTERN,
        "can": {
            "submit_self": annual_policy.can_submit_self(user, evaluation),
            "complete_initial": annual_policy.can_complete_initial(user, evaluation),
            "complete_review": annual_policy.can_complete_review(user, evaluation),
            "approve": annual_policy.can_approve(user, evaluation),
            "publish": annual_policy.can_publish(user, evaluation),
            "return": annual_policy.can_return(user, evaluation),
            "reopen": annual_policy.can_reopen(user, evaluation),
            "extend": evaluation.stage not in (Stage.APPROVED, Stage.PUBLISHED)
            and annual_policy.may("extend", user, evaluation),
        },
        **history_context(evaluation),
    }
    # The step that completes the stage being scored is the save bar's second button.
    context["any_step"] = any(v for k, v in context["can"].items() if k != context["completes"])
    return render(request, "annual/detail.html", context)


def evaluation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Read an evaluation; save the current stage's scores (and, with ``then``, complete the stage).

    A refused save (a score out of range, a reason missing, a deadline passed, a colleague saved first)
    shows the page again with everything typed, each error at its field (200: the page is the answer)."""
    evaluation = _visible(request, pk)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        stage = _scoring_stage(request.user, evaluation)
        if stage is None:
            raise PermissionDenied(_("You may not score this evaluation now."))
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = -1
        codes = [s.indicator.code for s in services.stage_scores(evaluation, stage)]
        scores, texts = from_post(request.POST, stage, codes, services.STAGE_TEXTS[stage])
        try:
            services.save_scores(evaluation, request.user, stage, version, scores, texts)
        except EvaluationConflict as exc:
            evaluation.refresh_from_db()
            return _page(request, evaluation, post=request.POST, conflict=exc)
        except Problems as exc:
            return _page(
                request,
                evaluation,
                post=request.POST,
                errors=exc.errors or [{"field": "", "label": p, "message": ""} for p in exc.problems],
            )
        except InvalidTransition as exc:
            messages.error(request, str(exc))
            return _page(request, evaluation, post=request.POST)
        then = request.POST.get("then", "")
        if then and then == COMPLETES[stage]:
            return _step(request, evaluation, then, "")
        messages.success(request, _("Saved."))
        return redirect("annual:evaluation", pk=evaluation.pk)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    return _page(request, evaluation)


def _step(request: HttpRequest, evaluation: AnnualEvaluation, action: str, comment: str) -> HttpResponse:
    service, done = STEPS[action]
    try:
        service(evaluation, request.user, comment)
    except Problems as exc:
        for problem in exc.problems:
            messages.error(request, problem)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done())
    return redirect("annual:evaluation", pk=evaluation.pk)


@login_required
def evaluation_step(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One step of the workflow (送出自評, 初核, 複核, 核定, 公告, 退回, 重新開啟): the service checks the
    right, the stage and the deadline on the locked row; a refusal is a message on the page."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if action == "extend":
        return _extend(request, _visible(request, pk))
    if action not in STEPS:
        raise Http404
    evaluation = _visible(request, pk)
    return _step(request, evaluation, action, request.POST.get("comment", "")[:4000])


def _extend(request: HttpRequest, evaluation: AnnualEvaluation) -> HttpResponse:
    """NDC extends the current stage's deadline for this unit (a date and a reason, logged)."""
    if not annual_policy.may("extend", request.user, evaluation):
        raise PermissionDenied(_("Only NDC extends a deadline."))
    raw = request.POST.get("until", "").strip()
    try:
        until = parse_typed_date(raw)  # 112/7/15 as people type it, or ISO
    except ValueError:
        messages.error(request, _("Extended until: %(value)s is not a date.") % {"value": raw[:20] or "—"})
        return redirect("annual:evaluation", pk=evaluation.pk)
    try:
        services.extend(evaluation, request.user, until, request.POST.get("reason", "")[:2000])
    except Problems as exc:
        for problem in exc.problems:
            messages.error(request, problem)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Deadline extended to %(date)s.") % {"date": format_roc_date(until)})
    return redirect("annual:evaluation", pk=evaluation.pk)
