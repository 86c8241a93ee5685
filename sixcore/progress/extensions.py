"""What the apps built on the quarterly cycle add to it, registered in their ``AppConfig.ready()``.

progress is below them (evaluation, followups, annual …) and imports none of them; where the cycle
needs their word it asks through these registries, as it tells them its writes through ``signals``:

- the **schedule rule** (evaluation): a work item's planned percent and whether a lag is beyond
  green — the form, the workbook and the completeness check judge lag by the evaluation's thresholds;
- **report parts** (followups: 追蹤事項辦理情形): a section of the report form saved with the lines
  in their transaction, checked before 送出審查 with the narratives, and a sheet of the workbook;
- **reminders** (followups, annual): mail that ``sixcore remind`` sends with the quarterly reminders.

Registration is in the order of ``INSTALLED_APPS``, which is the order of the form's sections and of
the reminder counts the command prints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ImproperlyConfigured

# (subject, body, sender, recipients), as ``send_mass_mail`` takes them.
Mail = tuple[str, str, str, list[str]]


@dataclass(frozen=True)
class ScheduleRule:
    """``planned_percent(start, end, at)``; ``behind_plan(planned, percent)``: lag beyond green."""

    planned_percent: Callable[[date, date, date], Decimal]
    behind_plan: Callable[[Decimal, Decimal], bool]


@dataclass(frozen=True)
class ReportPart:
    """A section of the quarterly report kept by another app.

    ``context_name``: the template's name of ``section(submission, post, errors)`` (its items, with
    what the user typed when a save was refused); ``save_from_post(user, submission, post)`` runs in
    the lines' transaction and raises ``save_errors``, which ``errors_for_form`` turns into the page's
    line errors; ``completeness_problems(submission)`` is checked when NDC requires the narratives;
    ``sheet`` writes, reads and applies the part's workbook sheet (``SPEC``, ``WIDTH``,
    ``write_sheet``, ``read_sheet``, ``apply``).
    """

    context_name: str
    section: Callable[..., list]
    save_from_post: Callable[..., int]
    save_errors: type[Exception]
    errors_for_form: Callable[[Exception], list[dict]]
    completeness_problems: Callable[..., list[str]]
    sheet: Any


@dataclass(frozen=True)
class Reminders:
    """Mail sent with the quarterly reminders: ``messages(as_of)``, left out by ``--<option>``;
    the command prints ``<label>: N reminders sent``."""

    option: str
    help: str
    label: str
    messages: Callable[[date], list[Mail]]

    @property
    def dest(self) -> str:
        return self.option.replace("-", "_")


_schedule: list[ScheduleRule] = []
_parts: list[ReportPart] = []
_reminders: list[Reminders] = []


def register_schedule_rule(rule: ScheduleRule) -> None:
    _schedule[:] = [rule]


def schedule_rule() -> ScheduleRule:
    if not _schedule:
        raise ImproperlyConfigured("no schedule rule registered: is sixcore.evaluation in INSTALLED_APPS?")
    return _schedule[0]


def _add(registry: list, item, key: Callable) -> None:
    """Once per key, in place: a second ``ready()`` (apps set up again) does not register twice."""
    for i, r in enumerate(registry):
        if key(r) == key(item):
            registry[i] = item
            return
    registry.append(item)


def register_report_part(part: ReportPart) -> None:
    _add(_parts, part, lambda p: p.context_name)


def report_parts() -> tuple[ReportPart, ...]:
    return tuple(_parts)


def report_save_errors() -> tuple[type[Exception], ...]:
    """The exceptions the parts' saves raise (an ``except`` clause of the form's save)."""
    return tuple(p.save_errors for p in _parts)


def register_reminders(reminders: Reminders) -> None:
    _add(_reminders, reminders, lambda r: r.option)


def reminders() -> tuple[Reminders, ...]:
    return tuple(_reminders)
