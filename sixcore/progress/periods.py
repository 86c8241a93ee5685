"""Period state as seen by one agency: open, in grace, or locked (unless NDC reopened it for them)."""

from __future__ import annotations

from datetime import date, timedelta

from sixcore.accounts.models import Agency

from .choices import PeriodState
from .clock import today
from .models import CycleSettings, PeriodReopening, ReportingPeriod


class CycleReads:
    """What the cycle's rules read (the system's today, ``CycleSettings``, reopenings, 陳核 lists), each
    read at most once while the object lives.

    One write's answer asks a period's state and the caller's rights seven times over, and each asked
    ``CycleSettings`` and ``PeriodReopening`` again (≈15 queries of a save's answer). A view keeps one
    for one request, and a locked step its own, read inside the lock; never longer: NDC may change the
    settings or reopen a period at any time. Without one, every answer reads afresh, as before.
    """

    def __init__(self) -> None:
        self._today: date | None = None
        self._settings: CycleSettings | None = None
        self._states: dict[tuple[int, int | None], PeriodState] = {}
        self._reviewing_agencies: dict[int, bool] = {}
        self._reviewers: dict[int, bool] = {}

    def today(self) -> date:
        if self._today is None:
            self._today = today()
        return self._today

    def settings(self) -> CycleSettings:
        if self._settings is None:
            self._settings = CycleSettings.get()
        return self._settings

    def period_states(self, periods: list[ReportingPeriod], agency: Agency | None) -> dict[int, PeriodState]:
        agency_pk = agency.pk if agency is not None else None
        missing = [p for p in periods if (p.pk, agency_pk) not in self._states]
        if missing:
            now = self.today()
            grace = self.settings().grace_days
            reopened: set[int] = set()
            if agency is not None:
                reopened = set(
                    PeriodReopening.objects.filter(
                        period__in=missing,
                        agency__in=[agency.pk, agency.parent_id or agency.pk],
                        until__gte=now,
                    ).values_list("period_id", flat=True)
                )
            for p in missing:
                self._states[p.pk, agency_pk] = p.state_on(now, grace, reopened=p.pk in reopened)
        return {p.pk: self._states[p.pk, agency_pk] for p in periods}

    def reviews_internally(self, agency_id: int) -> bool:
        """Whether NDC listed the agency for an internal review (陳核) before submitting."""
        if agency_id not in self._reviewing_agencies:
            agencies = self.settings().internal_review_agencies
            self._reviewing_agencies[agency_id] = agencies.filter(pk=agency_id).exists()
        return self._reviewing_agencies[agency_id]

    def is_internal_reviewer(self, user_id: int) -> bool:
        """Whether NDC listed the user as a supervisor (主管) who submits reports under 陳核."""
        if user_id not in self._reviewers:
            self._reviewers[user_id] = self.settings().internal_reviewers.filter(pk=user_id).exists()
        return self._reviewers[user_id]


def period_states(
    periods: list[ReportingPeriod], agency: Agency | None, reads: CycleReads | None = None
) -> dict[int, PeriodState]:
    """The state of many periods for an agency, in a fixed number of queries (reopenings of the agency
    or of its parent that are still running count)."""
    return (reads or CycleReads()).period_states(periods, agency)


def period_state(
    period: ReportingPeriod, agency: Agency | None = None, reads: CycleReads | None = None
) -> PeriodState:
    """The state of a period for an agency on the system's "today"."""
    return period_states([period], agency, reads)[period.pk]


def period_writable(
    period: ReportingPeriod, agency: Agency | None = None, reads: CycleReads | None = None
) -> bool:
    """Agencies can write while the period is open or in its grace days (or reopened for them)."""
    return period_state(period, agency, reads) in (PeriodState.OPEN, PeriodState.GRACE)


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
