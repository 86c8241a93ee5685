"""The hooks to the 追蹤事項 sheet (``sixcore/followups/excel.py``), called where the workbook writes,
reads and applies its own sheets.

That app builds on this package, so it is imported late; its answers are counted with the lines'.
"""

from __future__ import annotations

from .results import ImportResult, SubmissionOutcome, _Problems


def follow_up_sheet():
    """The 追蹤事項 sheet (``followups/excel.py``: that app builds on this module, hence the late import)."""
    from sixcore.followups import excel as follow_ups

    return follow_ups


def _apply_answers(answers, user, problems: _Problems, result: ImportResult, submissions) -> None:
    """The follow-up answers of the file, after its lines; the outcomes count them as changed fields."""
    before = {pk: s.version for pk, s in submissions.items()}
    follow_up_sheet().apply(user, submissions, answers, problems)
    if problems:
        return
    outcomes = {o.submission_id: o for o in result.changed}
    for pk, texts in answers.items():
        s = submissions[pk]
        s.refresh_from_db(fields=["version"])
        outcome = outcomes.get(pk)
        if outcome is None:
            outcome = SubmissionOutcome(pk, s.industry.code, s.industry.name, 0, before[pk], s.version)
            result.changed.append(outcome)
            result.unchanged = [o for o in result.unchanged if o.submission_id != pk]
        outcome.fields_changed += len(texts)
        outcome.version_after = s.version
