"""Period state as seen by one agency: open, in grace, or locked (unless NDC reopened it for them)."""

from __future__ import annotations

from datetime import date, timedelta

from sixcore.accounts.models import Agency

from .choices import PeriodState
from .clock import today
from .models import CycleSettings, PeriodReopening, ReportingPeriod


def period_states(periods: list[ReportingPeriod], agency: Agency | None) -> dict[int, PeriodState]:
    """The state of many periods for an agency, in a fixed number of queries (reopenings of the agency
    or of its parent that are still running count)."""
    now = today()
    grace = CycleSettings.get().grace_days
    reopened: set[int] = set()
    if agency is not None:
        reopened = set(
            PeriodReopening.objects.filter(
                period__in=periods, agency__in=[agency.pk, agency.parent_id or agency.pk], until__gte=now
            ).values_list("period_id", flat=True)
        )
    return {p.pk: p.state_on(now, grace, reopened=p.pk in reopened) for p in periods}


def period_state(period: ReportingPeriod, agency: Agency | None = None) -> PeriodState:
    """The state of a period for an agency on the system's "today"."""
    return period_states([period], agency)[period.pk]


def period_writable(period: ReportingPeriod, agency: Agency | None = None) -> bool:
    """Agencies can write while the period is open or in its grace days (or reopened for them)."""
    return period_state(period, agency) in (PeriodState.OPEN, PeriodState.GRACE)


def create_program_periods(period_model=ReportingPeriod, years: range = range(110, 114)) -> None:
    """The program's reporting periods (110Q1 … 113Q4), due the 15th of the month after each quarter.

    Takes the model class so the data migration can pass its historical model.
    """
    for roc_year in years:
        for quarter in range(1, 5):
            year = roc_year + 1911
            last_month = quarter * 3
            next_month_first = date(year + (last_month == 12), last_month % 12 + 1, 1)
            period_model.objects.get_or_create(
                roc_year=roc_year,
                quarter=quarter,
                defaults={"due_date": next_month_first + timedelta(days=14)},
            )
