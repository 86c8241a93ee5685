"""/reports/annual/111.docx: the annual evaluation report of a year. NDC gets every unit (drafts
included); everybody else the published evaluations only, once the year has any. Generated in the
request, bounded like the quarterly docx/xlsx (the report is a few pages per unit: no background task)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from sixcore.accounts.policy import is_ndc
from sixcore.annual.choices import Stage
from sixcore.annual.models import AnnualEvaluation
from sixcore.annual.policy import annual_policy
from sixcore.reports.views import _busy, _file, _slots

from .build import build_annual_report
from .render import CONTENT_TYPES, annual_filename, render_annual


def annual_rows(user) -> list[dict]:
    """Each year with evaluations, newest first, and whether this user may download its report (one
    query): NDC always, everybody else once an evaluation of the year is published."""
    from django.db.models import Count, Q

    years = (
        AnnualEvaluation.objects.values("year")
        .annotate(published=Count("pk", filter=Q(stage=Stage.PUBLISHED)))
        .order_by("-year")
    )
    ndc = is_ndc(user)
    return [{"year": y["year"], "allowed": ndc or y["published"] > 0} for y in years]


def can_download(user, year: int) -> bool:
    return is_ndc(user) or AnnualEvaluation.objects.filter(year=year, stage=Stage.PUBLISHED).exists()


@require_GET
def download(request: HttpRequest, year: str, fmt: str) -> HttpResponse:
    the_year = int(year)
    if not AnnualEvaluation.objects.filter(year=the_year).exists():
        raise Http404(_("No year-end evaluation of %(year)s.") % {"year": the_year})
    ndc = is_ndc(request.user)
    if not can_download(request.user, the_year):
        return HttpResponse(
            _("The annual evaluation report is published once an evaluation of the year is."), status=403
        )
    if not _slots.acquire(blocking=False):
        return _busy()
    try:
        # The public report is the published results, whoever asks (an agency's own draft stays on its page).
        evaluations = annual_policy.visible(request.user, AnnualEvaluation.objects.all())
        if not ndc:
            evaluations = evaluations.filter(stage=Stage.PUBLISHED)
        report = build_annual_report(the_year, evaluations, published_only=not ndc)
        content = render_annual(report, fmt)
    finally:
        _slots.release()
    return _file(content, CONTENT_TYPES[fmt], annual_filename(report, fmt))
