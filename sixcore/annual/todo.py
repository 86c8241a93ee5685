"""The year-end evaluation's part of the 待辦事項 page: each evaluation whose current stage is the
user's to act on, with its deadline, overdue first. Three queries whatever the number of evaluations
(the role decides which stages to read; the policy's scope decides which units)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from sixcore.accounts.choices import Role
from sixcore.accounts.policy import EDITOR_ROLES, agency_scope, is_ndc, is_ndc_admin
from sixcore.plan.policy import led_industry_ids

from .choices import Stage
from .models import AnnualCycle, AnnualEvaluation
from .services import stage_deadline

ACTION_LABELS = {
    Stage.SELF: pgettext_lazy("annual to-do", "Self-assessment to fill in"),
    Stage.INITIAL: pgettext_lazy("annual to-do", "Initial review to do"),
    Stage.REVIEW: pgettext_lazy("annual to-do", "NDC review to do"),
    Stage.REVIEWED: pgettext_lazy("annual to-do", "To approve"),
    Stage.APPROVED: pgettext_lazy("annual to-do", "To publish"),
}


@dataclass
class AnnualItem:
    evaluation: AnnualEvaluation
    action: str | Promise
    due: date | None
    overdue: bool


def _stages_for(user) -> list[tuple[str, dict]]:
    """(stage, filter) pairs of what this user acts on."""
    if is_ndc(user):
        stages = [(Stage.REVIEW, {})]
        if is_ndc_admin(user):
            stages += [(Stage.REVIEWED, {}), (Stage.APPROVED, {})]
        return stages
    found = []
    if getattr(user, "role", None) in EDITOR_ROLES and (scope := agency_scope(user)):
        found.append((Stage.SELF, {"agency__in": scope}))
    if getattr(user, "role", None) == Role.INDUSTRY_LEAD and (industries := led_industry_ids(user)):
        found.append((Stage.INITIAL, {"industry__in": industries}))
    return found


def annual_work(user, today: date) -> list[AnnualItem]:
    if not getattr(user, "is_authenticated", False):
        return []
    evaluations = []
    for stage, where in _stages_for(user):
        evaluations += AnnualEvaluation.objects.filter(stage=stage, **where).select_related(
            "industry", "agency"
        )
    if not evaluations:
        return []
    cycles = {c.year: c for c in AnnualCycle.objects.filter(year__in={e.year for e in evaluations})}
    items = []
    for e in evaluations:
        cycle = cycles.get(e.year)
        if cycle is None or (e.stage == Stage.SELF and today < cycle.self_opens):
            continue  # 自評 not open yet: nothing to do
        due = stage_deadline(e, cycle)
        items.append(AnnualItem(e, ACTION_LABELS[e.stage], due, bool(due and today > due)))
    items.sort(
        key=lambda i: (
            not i.overdue,
            i.due or date.max,
            i.evaluation.industry.code,
            i.evaluation.agency.order,
        )
    )
    return items
