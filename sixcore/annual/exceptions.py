"""The year-end evaluation's refusals, mapped to HTTP by the API like the quarterly cycle's:
a wrong stage or a passed deadline 409, invalid input 400 (each problem naming the field as the
form shows it), a stale ``version`` 409. Raised inside the transaction, so nothing is half-written."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from sixcore.progress.workflow import IncompleteSubmission
from sixcore.progress.workflow import InvalidTransition as CycleInvalidTransition


class InvalidTransition(CycleInvalidTransition):
    """The evaluation is not in a stage that allows this step (HTTP 409)."""


class DeadlinePassed(InvalidTransition):
    """The stage's deadline has passed (HTTP 409); ``field`` is the deadline's name (``self_due`` …)."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


@dataclass
class Problems(IncompleteSubmission):
    """Invalid input or a stage not complete (HTTP 400). ``problems`` are the messages, each starting
    with the field as people see it; ``errors`` the same as ``{"field", "label", "message"}``."""

    errors: list[dict[str, str]] = field(default_factory=list)

    def add(self, field_name: str, label: str, message: str) -> None:
        self.errors.append({"field": field_name, "label": str(label), "message": str(message)})
        self.problems.append(f"{label}：{message}")

    def __bool__(self) -> bool:
        return bool(self.problems)


class EvaluationConflict(Exception):
    """Someone changed the evaluation since this user loaded it (HTTP 409); nothing was saved."""

    def __init__(self, evaluation, expected: int):
        self.evaluation = evaluation
        self.expected = expected
        super().__init__(
            _("This evaluation was changed by someone else after you opened it. Nothing of yours was saved.")
        )
