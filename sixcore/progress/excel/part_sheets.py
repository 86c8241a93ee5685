"""The sheets of the report parts other apps keep (``extensions.ReportPart.sheet``: the 追蹤事項 sheet
of ``sixcore/followups/excel.py``), called where the workbook writes, reads and applies its own sheets.

Those apps build on this package and register in their ``AppConfig.ready()``, so it imports none of
them; their answers are counted with the lines'.
"""

from __future__ import annotations

from ..extensions import report_parts
from .results import ImportResult, SubmissionOutcome, _Problems


def part_sheets() -> list:
    """The parts' sheets, in the order the parts registered (after the lines' sheets)."""
    return [part.sheet for part in report_parts()]


def _apply_answers(sheet, answers, user, problems: _Problems, result: ImportResult, submissions) -> None:
    """A part's answers of the file, after its lines; the outcomes count them as changed fields."""
    before = {pk: s.version for pk, s in submissions.items()}
    sheet.apply(user, submissions, answers, problems)
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
