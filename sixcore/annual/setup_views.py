"""The year-end evaluation's set-up pages (NDC administrators): open a year, maintain its indicators
(weights summing to 100) and grade thresholds. Every write is ``setup`` (atomic, checked, logged);
refused input is shown again as typed, with the problems naming the indicator or grade."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from sixcore.accounts.policy import is_ndc_admin

from . import prefill, setup
from .choices import ScoringRule, Stage
from .exceptions import Problems
from .models import INDICATOR_FIELDS, AnnualCycle, AnnualEvaluation, GradeThreshold, Indicator
from .policy import annual_policy
from .views import _years

NUMBER_FIELDS = ("weight", "min_score", "max_score", "full_at", "zero_at")
BLANK_ROWS = 2


def _indicator_rows(post, count: int) -> tuple[list[dict], list[dict], list[str]]:
    """(rows as typed, rows for ``set_indicators``, problems of the typing itself)."""
    typed, rows, problems = [], [], []
    for i in range(count):
        raw = {name: post.get(f"ind-{i}-{name}", "").strip() for name in INDICATOR_FIELDS}
        raw["delete"] = bool(post.get(f"ind-{i}-delete"))
        raw["index"] = i
        typed.append(raw)
        if raw["delete"] or not any(raw[n] for n in ("code", "name", "weight")):
            continue
        row = {n: raw[n] for n in INDICATOR_FIELDS if n not in NUMBER_FIELDS}
        for name in NUMBER_FIELDS:
            value = raw[name]
            if value == "":
                row[name] = (
                    None if name in ("full_at", "zero_at") else Decimal(0 if name != "max_score" else 100)
                )
                continue
            try:
                row[name] = Decimal(value)
            except InvalidOperation:
                problems.append(
                    _("Indicator %(name)s: %(field)s is not a number.")
                    % {"name": raw["name"] or raw["code"], "field": INDICATOR_LABELS[name]}
                )
        if not raw["code"]:
            problems.append(_("Indicator %(name)s: the code is required.") % {"name": raw["name"] or i + 1})
        rows.append(row)
    return typed, rows, problems


INDICATOR_LABELS = {
    "code": _("Code"),
    "category": _("Category"),
    "name": _("Indicator"),
    "description": _("Indicator description"),
    "weight": _("Weight"),
    "rule": _("Scoring rule"),
    "min_score": _("Lowest score"),
    "max_score": _("Highest score"),
    "full_at": _("Figure for the highest score"),
    "zero_at": _("Figure for the lowest score"),
}


def _plain(value) -> str:
    return "" if value is None else format(Decimal(value).normalize(), "f")


@login_required
def year_setup(request: HttpRequest, year: int) -> HttpResponse:
    """The year's indicators (weights summing to 100) and grade thresholds, all or nothing each."""
    if not annual_policy.can_manage_indicators(request.user):
        raise PermissionDenied(_("Only NDC administrators maintain the year-end evaluation set-up."))
    if not 100 <= year <= 200:
        raise Http404
    indicator_errors: list[str] = []
    grade_errors: list[str] = []
    typed_indicators = typed_grades = None
    if request.method == "POST":
        part = request.POST.get("part")
        if part == "indicators":
            count = min(int(request.POST.get("rows", "0") or 0), 50)
            typed_indicators, rows, indicator_errors = _indicator_rows(request.POST, count)
            if not indicator_errors:
                try:
                    setup.set_indicators(year, rows, request.user)
                except Problems as exc:
                    indicator_errors = list(exc.problems)
                else:
                    messages.success(request, _("Indicators of %(year)s saved.") % {"year": year})
                    return redirect("annual:setup", year=year)
        elif part == "start":
            # Open the year: its calendar and set-up (copied from the year before), one evaluation per
            # reporting unit of the year's last period, and the 自評 pre-filled from its evaluation.
            try:
                setup.ensure_evaluations(year)
            except Problems as exc:
                for problem in exc.problems:
                    messages.error(request, problem)
            else:
                count = prefill.prefill_year(year)
                messages.success(
                    request,
                    _("The year-end evaluation of %(year)s is open: %(n)s units pre-filled.")
                    % {"year": year, "n": count},
                )
            return redirect("annual:setup", year=year)
        elif part == "grades":
            count = min(int(request.POST.get("rows", "0") or 0), 20)
            typed_grades = []
            pairs = []
            for i in range(count):
                label = request.POST.get(f"grade-{i}-label", "").strip()
                minimum = request.POST.get(f"grade-{i}-min", "").strip()
                typed_grades.append({"label": label, "min_score": minimum})
                if not label and not minimum:
                    continue
                try:
                    pairs.append((label, Decimal(minimum)))
                except InvalidOperation:
                    grade_errors.append(
                        _("Grade %(label)s: the lowest score is not a number.") % {"label": label or i + 1}
                    )
            if not grade_errors:
                try:
                    setup.set_thresholds(year, pairs, request.user)
                except Problems as exc:
                    grade_errors = list(exc.problems)
                else:
                    messages.success(request, _("Grade thresholds of %(year)s saved.") % {"year": year})
                    return redirect("annual:setup", year=year)
        else:
            raise Http404
    if typed_indicators is None:
        typed_indicators = [
            {
                **{
                    n: _plain(getattr(i, n)) if n in NUMBER_FIELDS else getattr(i, n)
                    for n in INDICATOR_FIELDS
                },
                "delete": False,
            }
            for i in Indicator.objects.filter(year=year)
        ]
        typed_indicators += [
            {**{n: "" for n in INDICATOR_FIELDS}, "delete": False} for _i in range(BLANK_ROWS)
        ]
    if typed_grades is None:
        typed_grades = [
            {"label": g.label, "min_score": _plain(g.min_score)}
            for g in GradeThreshold.objects.filter(year=year)
        ]
        typed_grades += [{"label": "", "min_score": ""}]
    weights = []
    for row in typed_indicators:
        try:
            if not row.get("delete"):
                weights.append(Decimal(row["weight"] or 0))
        except InvalidOperation:
            pass
    return render(
        request,
        "annual/setup.html",
        {
            "year": year,
            "years": _years(),
            "indicators": typed_indicators,
            "grades": typed_grades,
            "indicator_errors": indicator_errors,
            "grade_errors": grade_errors,
            "weight_total": _plain(sum(weights, Decimal(0))),
            "rules": ScoringRule.choices,
            "labels": INDICATOR_LABELS,
            "started": AnnualEvaluation.objects.filter(year=year).exclude(stage=Stage.SELF).exists(),
            "units": AnnualEvaluation.objects.filter(year=year).count(),
            "cycle": AnnualCycle.objects.filter(year=year).first(),
            "is_admin": is_ndc_admin(request.user),
        },
    )
