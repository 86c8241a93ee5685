"""What of the year-end evaluation goes into the change log, and which objects each change belongs to.

A score's change belongs to its evaluation, so the evaluation's history shows every score of every
stage; an indicator or threshold edit is its own object's history. ``version`` and ``modified_at``
change on every save and say nothing by themselves.
"""

from sixcore.core.changelog import track_changes

from . import models

NOISE = ("version", "modified_at")


def register() -> None:
    track_changes(models.AnnualEvaluation, related=lambda e: [e.industry, e.agency], exclude=NOISE)
    track_changes(models.IndicatorScore, related=lambda s: [s.evaluation, s.indicator])
    track_changes(models.Indicator)
    track_changes(models.GradeThreshold)
    track_changes(models.AnnualCycle)
