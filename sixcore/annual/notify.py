"""Reminders of the year-end evaluation's deadlines, sent by ``sixcore remind`` with the quarterly
ones (issue #20: "deadlines and reminders as in the quarterly cycle"). Whoever acts on a stage is told
when its deadline is within two weeks or past: the agency for 自評, the industry lead unit for 初核,
NDC for 複核 and 核定. One mail per recipient agency (NDC: one in all), overdue units first."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.conf import settings
from django.utils.translation import gettext

from sixcore.core.roc import format_roc_date

from .choices import Stage
from .models import AnnualCycle, AnnualEvaluation
from .services import stage_deadline

DUE_WITHIN = timedelta(days=14)
# The stages whose deadline someone must meet (公告 has none).
STAGES = (Stage.SELF, Stage.INITIAL, Stage.REVIEW, Stage.REVIEWED)


def due_evaluations(as_of: date) -> list[tuple[AnnualEvaluation, date]]:
    """(evaluation, deadline) of every unit whose current stage is due within two weeks or overdue;
    a 自評 not yet open is not due."""
    found = []
    evaluations = AnnualEvaluation.objects.filter(stage__in=STAGES).select_related("industry", "agency")
    cycles = {c.year: c for c in AnnualCycle.objects.filter(year__in={e.year for e in evaluations})}
    for evaluation in evaluations:
        cycle = cycles.get(evaluation.year)
        if cycle is None or (evaluation.stage == Stage.SELF and as_of < cycle.self_opens):
            continue
        due = stage_deadline(evaluation, cycle)
        if due is not None and due <= as_of + DUE_WITHIN:
            found.append((evaluation, due))
    return found


def annual_messages(as_of: date) -> list[tuple[str, str, str, list[str]]]:
    """(subject, body, sender, recipients) per recipient with year-end evaluation stages due."""
    by_recipient: dict[tuple, list[tuple[AnnualEvaluation, date]]] = defaultdict(list)
    for evaluation, due in due_evaluations(as_of):
        if evaluation.stage == Stage.SELF:
            keys = [(evaluation.agency.order, evaluation.agency.code, evaluation.agency)]
        elif evaluation.stage == Stage.INITIAL:
            keys = [(a.order, a.code, a) for a in evaluation.industry.lead_agencies.all()]
        else:
            keys = [(-1, "ndc", None)]
        for key in keys:
            by_recipient[key].append((evaluation, due))
    messages = []
    for (_order, _code, agency), rows in sorted(by_recipient.items(), key=lambda kv: kv[0][:2]):
        rows.sort(key=lambda r: (r[1], r[0].industry.code, r[0].agency.order))
        overdue = [r for r in rows if r[1] < as_of]
        lines = "\n".join(
            gettext("- %(evaluation)s: %(stage)s by %(due)s%(late)s")
            % {
                "evaluation": evaluation,
                "stage": evaluation.get_stage_display(),
                "due": format_roc_date(due),
                "late": gettext(", overdue") if due < as_of else "",
            }
            for evaluation, due in rows
        )
        name = agency.name if agency is not None else gettext("National Development Council")
        words = {"agency": name, "n": len(rows), "overdue": len(overdue), "items": lines}
        subject = (
            gettext("[Overdue] %(agency)s: %(overdue)s year-end evaluation stages overdue")
            if overdue
            else gettext("[Reminder] %(agency)s: %(n)s year-end evaluation stages due soon")
        )
        body = gettext(
            "Dear %(agency)s,\n\nThe following stages of the year-end evaluation (年度評核) are yours to "
            "complete:\n\n%(items)s\n\nNational Development Council"
        )
        if agency is None:
            recipients = [settings.NDC_NOTIFY_EMAIL]
        else:
            recipients = agency.mail_recipients()
            if overdue:
                recipients = [*recipients, settings.NDC_NOTIFY_EMAIL]
        messages.append((subject % words, body % words, settings.DEFAULT_FROM_EMAIL, recipients))
    return messages
