"""What of the quarterly cycle goes into the change log, and which objects each change belongs to.

A KPI actual's change belongs to its submission and its KPI, so it shows in both histories.
``version`` and ``modified_at`` change on every save and say nothing by themselves.
"""

from sixcore.accounts.models import Agency, User
from sixcore.core.changelog import track_changes

from . import models

NOISE = ("version", "modified_at")


def register() -> None:
    track_changes(models.Submission, related=lambda s: [s.period, s.agency], exclude=NOISE)
    track_changes(models.IndustryReport, related=lambda r: [r.period, r.industry], exclude=NOISE)
    track_changes(models.MeasureReport, related=lambda r: [r.submission, r.measure])
    track_changes(models.KPIReport, related=lambda r: [r.submission, r.kpi])
    track_changes(models.WorkItemReport, related=lambda r: [r.submission, r.work_item])
    track_changes(models.BudgetReport, related=lambda r: [r.submission, r.measure])
    track_changes(models.Attachment, related=lambda a: [a.submission])
    track_changes(models.ReportingPeriod)
    track_changes(models.PeriodReopening, related=lambda r: [r.period, r.agency])
    track_changes(models.CycleSettings)
    # A password change is recorded (as a keyed digest of the hash: that it changed, never the value).
    track_changes(User, exclude=("last_login",), secret=("password",))
    track_changes(Agency)
