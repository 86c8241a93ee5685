"""What every evaluation page shares: the period asked for (or the latest the user may see), the stored
evaluation read for it within the caller's scope, the light legend and date around the figures, and the
lights' order, colours and percentages.
"""

from __future__ import annotations

from decimal import Decimal

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from sixcore.core.roc import RocDateError, format_roc_date
from sixcore.plan import models as plan
from sixcore.progress.models import ReportingPeriod, Submission
from sixcore.progress.policy import submission_policy

from .. import explain, read
from ..rules import Light

LIGHTS = [Light.GREEN, Light.YELLOW, Light.RED, Light.WHITE]
LIGHT_COLOURS = {
    Light.GREEN: "#2e7d32",
    Light.YELLOW: "#f9a825",
    Light.RED: "#c62828",
    Light.WHITE: "#b0bec5",
}


def chosen_period(request: HttpRequest, periods: list[ReportingPeriod]) -> ReportingPeriod:
    """``?period=111Q2``; by default the latest period with a submission the user may see."""
    code = request.GET.get("period")
    if code:
        try:
            wanted = ReportingPeriod.by_code(code).pk
        except (ReportingPeriod.DoesNotExist, RocDateError):
            raise Http404(_("No reporting period %(code)s.") % {"code": code}) from None
        return next(p for p in periods if p.pk == wanted)
    latest = (
        submission_policy.visible(request.user, Submission.objects.all())
        .order_by("-period__roc_year", "-period__quarter")
        .values_list("period_id", flat=True)
        .first()
    )
    return next((p for p in periods if p.pk == latest), periods[0])


def period_and_periods(request: HttpRequest):
    """(the period asked for, all periods); 404 without any."""
    periods = list(ReportingPeriod.objects.all())
    if not periods:
        raise Http404(_("No reporting periods."))
    return chosen_period(request, periods), periods


def period_evaluation(request: HttpRequest, **only):
    """(period, all periods, its stored evaluation within the caller's scope — of one ``measure``
    or ``agency`` only, when given); 404 without either."""
    period, periods = period_and_periods(request)
    try:
        evaluation = read.evaluation_for(period, request.user, **only)
    except plan.Program.DoesNotExist:
        raise Http404(_("No program loaded.")) from None
    return period, periods, evaluation


def explained(period: ReportingPeriod | None) -> dict:
    """What every dashboard shows around its figures: the 燈號說明 and the date they stand at."""
    return {
        "legend": explain.light_legend(explain.thresholds_in_force()),
        "as_of": format_roc_date(period.end) if period is not None else "",
    }


def as_percent(ratio: Decimal | None) -> Decimal | None:
    """A ratio (0.9525) as percentage points (95.25) for the ``amount`` filter."""
    return None if ratio is None else (ratio * 100).quantize(Decimal("0.01"))
