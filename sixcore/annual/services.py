"""Scoring and the stages of a year-end evaluation: the one write path for pages, the API and commands.

自評 (agency) → 初核 (industry lead unit) → 複核 (NDC) → 核定 (NDC administrator) → 公告; each stage
can return the evaluation to the previous one, and an NDC administrator can reopen a published one
with a reason. Every step is atomic on the evaluation's row locked FOR UPDATE, checks the actor's
right (``policy``) before anything else, then the stage, the deadline and the data; it stamps who and
when, bumps ``version`` and is written to the change log as a named action (``annual.submit_self`` …).
A refused step raises before any write, inside the transaction: nothing is half-written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from sixcore.core.changelog import change_context, current_context, logged_transition
from sixcore.core.models import ChangeSource
from sixcore.core.roc import format_roc_date
from sixcore.progress.clock import now, today

from . import rules
from .choices import SCORING_STAGE, ScoreStage, ScoringRule, Stage
from .exceptions import DeadlinePassed, EvaluationConflict, InvalidTransition, Problems
from .models import AnnualCycle, AnnualEvaluation, GradeThreshold, IndicatorScore
from .policy import RETURNS_TO, annual_policy

# A returned stage gets at least this many days to act again, whatever its calendar deadline.
RETURN_DAYS = 10

# The steps as messages name them (the change log keeps the English action name).
ACTIONS = {
    "submit_self": pgettext_lazy("annual action", "submit the self-assessment"),
    "complete_initial": pgettext_lazy("annual action", "complete the initial review"),
    "complete_review": pgettext_lazy("annual action", "complete the NDC review"),
    "approve": pgettext_lazy("annual action", "approve"),
    "publish": pgettext_lazy("annual action", "publish"),
    "return": pgettext_lazy("annual action", "return to the previous stage"),
    "reopen": pgettext_lazy("annual action", "reopen"),
    "extend": pgettext_lazy("annual action", "extend the deadline"),
    "score": pgettext_lazy("annual action", "score"),
}

# The deadline field of each stage, as the calendar names it.
DEADLINE_FIELDS = {
    Stage.SELF: ("self_due", pgettext_lazy("annual deadline", "Self-assessment due")),
    Stage.INITIAL: ("initial_due", pgettext_lazy("annual deadline", "Initial review due")),
    Stage.REVIEW: ("review_due", pgettext_lazy("annual deadline", "NDC review due")),
    Stage.REVIEWED: ("approval_due", pgettext_lazy("annual deadline", "Approval due")),
}

# The stage-wide text each scoring stage writes besides its scores.
STAGE_TEXTS = {
    ScoreStage.SELF: ("self_summary",),
    ScoreStage.INITIAL: ("initial_opinion",),
    ScoreStage.REVIEW: ("review_opinion", "improvement_items"),
}

SCORE_FIELDS = ("score", "comment", "evidence", "argued_score", "argued_reason")


def _roc(day: date) -> str:
    return format_roc_date(day)


@contextmanager
def acting_as(user) -> Iterator[None]:
    """Record the block's changes as ``user``'s: a request's context already names its user, but a
    command (the demo, a script) acts for several people under one context, and the audit trail of an
    evaluation must say who scored and who approved. Same source and request id as the enclosing one."""
    context = current_context()
    authenticated = user if getattr(user, "is_authenticated", False) else None
    if context is not None and (authenticated is None or context.resolve_user() == authenticated):
        yield
        return
    with change_context(
        user=authenticated,
        source=context.source if context else ChangeSource.SYSTEM,
        request_id=context.request_id if context else None,
    ):
        yield


def _lock(evaluation: AnnualEvaluation) -> AnnualEvaluation:
    return (
        AnnualEvaluation.objects.select_for_update(of=("self",))
        .select_related("industry", "agency")
        .get(pk=evaluation.pk)
    )


def _cycle(year: int) -> AnnualCycle:
    cycle = AnnualCycle.objects.filter(year=year).first()
    if cycle is None:
        raise InvalidTransition(
            _("The year-end evaluation of %(year)s has no calendar yet.") % {"year": year}
        )
    return cycle


def stage_deadline(evaluation: AnnualEvaluation, cycle: AnnualCycle | None = None) -> date | None:
    """The deadline of the evaluation's current stage: the calendar's, or a later extension."""
    cycle = cycle or _cycle(evaluation.year)
    due = cycle.due_for(evaluation.stage)
    if evaluation.extended_until and (due is None or evaluation.extended_until > due):
        return evaluation.extended_until
    return due


def check_deadline(evaluation: AnnualEvaluation) -> None:
    """Refuse work in a stage whose deadline has passed, or a self-assessment before it opens."""
    cycle = _cycle(evaluation.year)
    day = today()
    if evaluation.stage == Stage.SELF and day < cycle.self_opens:
        raise DeadlinePassed(
            _("Self-assessment opens: the self-assessment of %(year)s opens on %(date)s.")
            % {"year": evaluation.year, "date": _roc(cycle.self_opens)},
            "self_opens",
        )
    due = stage_deadline(evaluation, cycle)
    if due is not None and day > due:
        field, label = DEADLINE_FIELDS[evaluation.stage]
        raise DeadlinePassed(
            _("%(field)s: the deadline %(date)s has passed; ask NDC for an extension.")
            % {"field": label, "date": _roc(due)},
            field,
        )


def refusal(action: str) -> str:
    """The message refusing ``action`` to a caller without the right (pages and the API show it)."""
    return _("You may not %(action)s this evaluation.") % {"action": ACTIONS[action]}


def _refuse(action: str) -> PermissionDenied:
    return PermissionDenied(refusal(action))


def _wrong_stage(action: str, evaluation: AnnualEvaluation) -> InvalidTransition:
    return InvalidTransition(
        _("Cannot %(action)s an evaluation in stage %(stage)s.")
        % {"action": ACTIONS[action], "stage": evaluation.get_stage_display()}
    )


def _indicator_label(score: IndicatorScore) -> str:
    return _("Indicator %(name)s") % {"name": score.indicator.name}


def stage_scores(evaluation: AnnualEvaluation, stage: str) -> list[IndicatorScore]:
    return list(
        IndicatorScore.objects.filter(evaluation=evaluation, stage=stage)
        .select_related("indicator")
        .order_by("indicator__order", "indicator__code")
    )


def stage_total(scores: list[IndicatorScore]) -> Decimal | None:
    """The weighted total of one stage's scores (None while an indicator is unscored)."""
    return rules.weighted_total(
        [
            rules.Weighted(
                s.indicator.weight, s.effective_score, s.indicator.min_score, s.indicator.max_score
            )
            for s in scores
        ]
    )


def grade_of(year: int, score: Decimal | None) -> str:
    if score is None:
        return ""
    return rules.grade_for(score, GradeThreshold.objects.filter(year=year).values_list("label", "min_score"))


def _complete(scores: list[IndicatorScore]) -> Problems:
    """Every indicator scored, and an argued score always with its reason."""
    problems = Problems()
    if not scores:
        problems.add("scores", _("Scores"), _("the year has no indicators to score."))
    for s in scores:
        if s.effective_score is None:
            problems.add(
                f"scores.{s.indicator.code}.score", f"{_indicator_label(s)} {_('score')}", _("required.")
            )
        if s.argued_score is not None and not s.argued_reason.strip():
            problems.add(
                f"scores.{s.indicator.code}.argued_reason",
                f"{_indicator_label(s)} {_('reason for the argued score')}",
                _("required when arguing a score."),
            )
    total = sum((s.indicator.weight for s in scores), Decimal(0))
    if scores and total != rules.HUNDRED:
        problems.add(
            "weights", _("Weights"), _("they sum to %(total)s, not 100.") % {"total": rules.plain(total)}
        )
    return problems


def _carry(locked: AnnualEvaluation, source: str, target: str) -> None:
    """Start the next stage's scores from the previous stage's (figure, source and score), keeping any
    the next stage already wrote (after a return the reviewer's own scores stay)."""
    have = set(
        IndicatorScore.objects.filter(evaluation=locked, stage=target).values_list("indicator_id", flat=True)
    )
    for s in stage_scores(locked, source):
        if s.indicator_id in have:
            continue
        IndicatorScore.objects.create(
            evaluation=locked,
            indicator=s.indicator,
            stage=target,
            score=s.effective_score,
            prefilled_value=s.prefilled_value,
            prefilled_score=s.prefilled_score,
            prefill_source=s.prefill_source,
        )


def _step(
    evaluation: AnnualEvaluation,
    user,
    action: str,
    allowed_from: tuple[str, ...],
    to: str | Callable[[AnnualEvaluation], str],
    comment: str = "",
    before_save: Callable[[AnnualEvaluation], None] | None = None,
    *,
    deadline: bool = False,
) -> AnnualEvaluation:
    """One step, atomic, on the evaluation's row locked FOR UPDATE: right, stage, deadline, data."""
    with acting_as(user), transaction.atomic():
        locked = _lock(evaluation)
        if not annual_policy.may(action, user, locked):
            raise _refuse(action)
        if locked.stage not in allowed_from:
            raise _wrong_stage(action, locked)
        if deadline:
            check_deadline(locked)
        target = to(locked) if callable(to) else to
        if target != locked.stage:
            # An extension belongs to the stage it was given for (a return or reopen sets a new one).
            locked.extended_until = None
        if before_save:
            before_save(locked)
        with logged_transition(locked, f"annual.{action}", comment):
            locked.stage = target
            locked.version += 1
            locked.save()
    evaluation.refresh_from_db()
    return evaluation


def submit_self(evaluation: AnnualEvaluation, user, comment: str = "") -> AnnualEvaluation:
    """The agency sends its 自評 to the industry lead unit: every indicator scored, reasons given."""

    def check(locked: AnnualEvaluation) -> None:
        if problems := _complete(stage_scores(locked, ScoreStage.SELF)):
            raise problems
        locked.self_submitted_at, locked.self_submitted_by = now(), user
        _carry(locked, ScoreStage.SELF, ScoreStage.INITIAL)

    return _step(evaluation, user, "submit_self", (Stage.SELF,), Stage.INITIAL, comment, check, deadline=True)


def complete_initial(evaluation: AnnualEvaluation, user, comment: str = "") -> AnnualEvaluation:
    """The industry lead unit completes its 初核 and passes the evaluation to NDC's 複核."""

    def check(locked: AnnualEvaluation) -> None:
        if problems := _complete(stage_scores(locked, ScoreStage.INITIAL)):
            raise problems
        locked.initial_at, locked.initial_by = now(), user
        _carry(locked, ScoreStage.INITIAL, ScoreStage.REVIEW)

    return _step(
        evaluation, user, "complete_initial", (Stage.INITIAL,), Stage.REVIEW, comment, check, deadline=True
    )


def complete_review(evaluation: AnnualEvaluation, user, comment: str = "") -> AnnualEvaluation:
    """NDC completes the 複核: the final score and grade follow from its scores, awaiting 核定."""

    def check(locked: AnnualEvaluation) -> None:
        scores = stage_scores(locked, ScoreStage.REVIEW)
        if problems := _complete(scores):
            raise problems
        locked.final_score = stage_total(scores)
        locked.grade = grade_of(locked.year, locked.final_score)
        locked.reviewed_at, locked.reviewed_by = now(), user

    return _step(
        evaluation, user, "complete_review", (Stage.REVIEW,), Stage.REVIEWED, comment, check, deadline=True
    )


def approve(evaluation: AnnualEvaluation, user, comment: str = "") -> AnnualEvaluation:
    """核定 by an NDC administrator: the score and grade are recomputed from the 複核 scores and fixed."""

    def check(locked: AnnualEvaluation) -> None:
        scores = stage_scores(locked, ScoreStage.REVIEW)
        if problems := _complete(scores):
            raise problems
        locked.final_score = stage_total(scores)
        locked.grade = grade_of(locked.year, locked.final_score)
        if not locked.grade:
            raise Problems([_("Grades: no grade of %(year)s applies to this score.") % {"year": locked.year}])
        locked.approved_at, locked.approved_by = now(), user

    return _step(
        evaluation, user, "approve", (Stage.REVIEWED,), Stage.APPROVED, comment, check, deadline=True
    )


def publish(evaluation: AnnualEvaluation, user, comment: str = "") -> AnnualEvaluation:
    """公告: the approved evaluation becomes public and is locked (changes need a reopen)."""

    def stamp(locked: AnnualEvaluation) -> None:
        locked.published_at, locked.published_by = now(), user

    return _step(evaluation, user, "publish", (Stage.APPROVED,), Stage.PUBLISHED, comment, stamp)


def return_to_previous(
    evaluation: AnnualEvaluation, user, comment: str, until: date | None = None
) -> AnnualEvaluation:
    """Send the evaluation back one stage with a comment (初核 → 自評 by the industry lead unit, later
    stages by NDC). The returned stage gets until ``until`` or at least ``RETURN_DAYS`` days to act."""

    def stamp(locked: AnnualEvaluation) -> None:
        if not comment.strip():
            raise Problems(
                [_("Comment: required when returning an evaluation.")],
                [
                    {
                        "field": "comment",
                        "label": _("Comment"),
                        "message": _("required when returning an evaluation."),
                    }
                ],
            )
        target = RETURNS_TO[locked.stage]
        day = today()
        if until is not None and until < day:
            raise Problems(
                [_("Extended until: must not be before today (%(date)s).") % {"date": _roc(day)}],
                [{"field": "until", "label": _("Extended until"), "message": _("must not be before today.")}],
            )
        due = _cycle(locked.year).due_for(target)
        floor = day + timedelta(days=RETURN_DAYS)
        locked.extended_until = until or (floor if due is None or due < floor else None)
        locked.returned_at, locked.returned_by, locked.return_comment = now(), user, comment
        if target == Stage.REVIEW:
            locked.final_score, locked.grade = None, ""

    return _step(
        evaluation,
        user,
        "return",
        tuple(RETURNS_TO),
        lambda locked: RETURNS_TO[locked.stage],
        comment,
        stamp,
    )


def reopen(evaluation: AnnualEvaluation, user, reason: str) -> AnnualEvaluation:
    """An NDC administrator reopens a published evaluation for correction, with a reason: it goes back
    to 複核 (no longer public) and must be approved and published again."""

    def stamp(locked: AnnualEvaluation) -> None:
        if not reason.strip():
            raise Problems(
                [_("Reason: required to reopen a published evaluation.")],
                [{"field": "reason", "label": _("Reason"), "message": _("required to reopen.")}],
            )
        locked.reopened_at, locked.reopened_by, locked.reopen_reason = now(), user, reason
        locked.final_score, locked.grade = None, ""
        locked.extended_until = max(_cycle(locked.year).review_due, today() + timedelta(days=RETURN_DAYS))

    return _step(evaluation, user, "reopen", (Stage.PUBLISHED,), Stage.REVIEW, reason, stamp)


def extend(evaluation: AnnualEvaluation, user, until: date, reason: str) -> AnnualEvaluation:
    """NDC extends the current stage's deadline for this evaluation (with a reason, logged)."""

    def stamp(locked: AnnualEvaluation) -> None:
        problems = Problems()
        if until is None or until < today():
            problems.add("until", _("Extended until"), _("must be a date from today on."))
        if not reason.strip():
            problems.add("reason", _("Reason"), _("required to extend a deadline."))
        if problems:
            raise problems
        locked.extended_until = until

    return _step(
        evaluation,
        user,
        "extend",
        (Stage.SELF, Stage.INITIAL, Stage.REVIEW, Stage.REVIEWED),
        lambda locked: locked.stage,
        reason,
        stamp,
    )


# --- scoring -------------------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError from None
    if not number.is_finite():
        raise ValueError
    return number


def save_scores(
    evaluation: AnnualEvaluation,
    user,
    stage: str,
    version: int,
    scores: Mapping[str, Mapping[str, Any]] | None = None,
    texts: Mapping[str, str] | None = None,
) -> AnnualEvaluation:
    """Write one stage's scores (``{indicator code: {score, comment, evidence, argued_score,
    argued_reason}}``) and its stage texts, all or nothing, guarded by ``version``.

    In 自評 the score of a rule-based indicator with a figure follows from the figure: the agency may
    argue another one (``argued_score`` with ``argued_reason``) but not overwrite it. Each problem
    names the indicator and the field; a stale version is refused before any value is looked at.
    """
    scores = scores or {}
    texts = texts or {}
    if stage not in ScoreStage.values:
        raise Problems([_("Stage: unknown stage %(stage)s.") % {"stage": stage}])
    with acting_as(user), transaction.atomic():
        locked = _lock(evaluation)
        if not annual_policy.may_score(user, locked, stage):
            raise _refuse("score")
        if locked.stage != SCORING_STAGE[stage]:
            raise InvalidTransition(
                _("The %(stage)s scores can only be changed in that stage; the evaluation is in %(current)s.")
                % {"stage": ScoreStage(stage).label, "current": locked.get_stage_display()}
            )
        check_deadline(locked)
        if version != locked.version:
            raise EvaluationConflict(locked, version)
        rows = {s.indicator.code: s for s in stage_scores(locked, stage)}
        problems = Problems()
        changes: list[tuple[IndicatorScore, dict[str, Any]]] = []
        for code, values in scores.items():
            row = rows.get(code)
            if row is None:
                problems.add(
                    f"scores.{code}",
                    _("Indicator %(name)s") % {"name": code},
                    _("not an indicator of this year."),
                )
                continue
            changes.append((row, _validated(row, stage, values, problems)))
        allowed_texts = STAGE_TEXTS[stage]
        for name in texts:
            if name not in allowed_texts:
                problems.add(name, name, _("cannot be written in this stage."))
        if problems:
            raise problems
        for row, values in changes:
            dirty = {k: v for k, v in values.items() if getattr(row, k) != v}
            if dirty:
                for name, value in dirty.items():
                    setattr(row, name, value)
                row.save(update_fields=list(dirty))
        for name, value in texts.items():
            setattr(locked, name, value)
        locked.version += 1
        locked.save()
    evaluation.refresh_from_db()
    return evaluation


def _validated(
    row: IndicatorScore, stage: str, values: Mapping[str, Any], problems: Problems
) -> dict[str, Any]:
    """The row's new values, parsed and checked; problems added name the indicator and field."""
    indicator = row.indicator
    label = _indicator_label(row)
    names = {
        "score": _("score"),
        "argued_score": _("argued score"),
        "comment": _("comment"),
        "evidence": _("evidence"),
        "argued_reason": _("reason for the argued score"),
    }
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name not in SCORE_FIELDS:
            problems.add(f"scores.{indicator.code}.{name}", f"{label} {name}", _("unknown field."))
            continue
        field_label = f"{label} {names[name]}"
        key = f"scores.{indicator.code}.{name}"
        if name in ("score", "argued_score"):
            try:
                number = _decimal(value)
            except ValueError:
                problems.add(key, field_label, _("not a number."))
                continue
            if message := rules.check_score(number, indicator.min_score, indicator.max_score):
                problems.add(key, field_label, message)
                continue
            if name == "argued_score" and stage != ScoreStage.SELF and number is not None:
                problems.add(key, field_label, _("only the self-assessment argues a score."))
                continue
            if (
                name == "score"
                and stage == ScoreStage.SELF
                and indicator.rule != ScoringRule.MANUAL
                and row.prefilled_score is not None
                and number != row.prefilled_score
            ):
                problems.add(
                    key,
                    field_label,
                    _("follows from the pre-filled figure; argue another score with a reason instead."),
                )
                continue
            out[name] = number.quantize(rules.TWO_PLACES) if number is not None else None
        else:
            out[name] = "" if value is None else str(value).strip()
    argued = out.get("argued_score", row.argued_score)
    reason = out.get("argued_reason", row.argued_reason)
    if argued is not None and not reason:
        problems.add(
            f"scores.{indicator.code}.argued_reason",
            f"{label} {names['argued_reason']}",
            _("required when arguing a score."),
        )
    return out
