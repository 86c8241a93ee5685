"""The 追蹤事項 sheet of the agency workbook (xlsx and ods): the open follow-up items each report carries,
with a 辦理情形 column to fill in, read back on upload and written through ``services.save_responses``.

``progress/excel/`` (its ``part_sheets.py``; this module is registered in ``apps.py``) calls the three
functions here (write, read, apply) at the points where it writes and reads its own sheets, so the
sheet shares the workbook's protection, formula neutralising, version rule and all-or-nothing transaction.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext, pgettext_lazy
from openpyxl.utils import get_column_letter

from sixcore.core.roc import format_roc_date
from sixcore.progress import excel as workbook
from sixcore.progress.models import Submission
from sixcore.progress.policy import submission_policy

from .services import MAX_RESPONSE_CHARS, ResponseErrors, report_items, save_responses

SHEET = pgettext_lazy("excel sheet", "Follow-up items")
KIND = "followups"
SPEC = workbook.SheetSpec(
    SHEET,
    KIND,
    (
        workbook.Column(pgettext_lazy("excel column", "Industry"), 6),
        workbook.Column(pgettext_lazy("excel column", "Follow-up item no."), 10),
        workbook.Column(pgettext_lazy("excel column", "Source"), 14),
        workbook.Column(pgettext_lazy("excel column", "Recommendation or decision"), 48),
        workbook.Column(pgettext_lazy("excel column", "Owner agency"), 14),
        workbook.Column(pgettext_lazy("excel column", "Due date"), 11),
        workbook.Column(pgettext_lazy("excel column", "Progress"), 60, "response"),
    ),
    2,
    "G3",
)
WIDTH = len(SPEC.columns)
RESPONSE_COLUMN = WIDTH  # 1-based: the last column


def write_sheet(wb, submissions: list[Submission], title: str, demo: bool) -> None:
    """The sheet, one row per item each report carries (answered this quarter or still tracked)."""
    rows: list[list[Any]] = []
    for s in submissions:
        for item in report_items(s):
            f = item.follow_up
            rows.append(
                [
                    s.industry.code,
                    f.pk,
                    str(f.get_source_display()),
                    f.text,
                    f.owner.name,
                    format_roc_date(f.due_date),
                    item.text,
                ]
            )
    workbook.write_data_sheet(wb.create_sheet(SPEC.name), SPEC, rows, f"{title}　{SPEC.name}", demo)


def read_sheet(
    sheets, file_units, submissions: dict[int, Submission], user, problems
) -> dict[int, dict[int, str]]:
    """``{submission id: {item id: text}}`` of the answers that differ from the saved ones, each checked
    (the report carries the item, the length, no formula, the report is the user's draft and unchanged
    since the download); problems are added at their cells. A workbook without the sheet (downloaded
    before the sheet existed) changes no answer."""
    rows = sheets.get(SPEC.name)
    if rows is None:
        return {}
    by_industry = {fu.industry: fu for fu in file_units}
    carried: dict[int, dict[int, Any]] = {}
    changes: dict[int, dict[int, str]] = {}
    seen: dict[tuple[str, int], int] = {}
    for row_number in range(workbook.FIRST_DATA_ROW, len(rows) + 1):
        cells = rows[row_number - 1]
        if all(c[0] is None or (isinstance(c[0], str) and not c[0].strip()) for c in cells):
            continue
        where = f"{get_column_letter(RESPONSE_COLUMN)}{row_number}"
        cell = workbook.cell_at(rows, row_number, RESPONSE_COLUMN)
        if cell[1] == "f":
            problems.add(
                SPEC.name, where, gettext("Formulas are not accepted: type the value or text itself.")
            )
            continue
        industry = workbook.code_of(workbook.cell_at(rows, row_number, 1)[0])
        number = workbook.code_of(workbook.cell_at(rows, row_number, 2)[0])
        fu = by_industry.get(industry)
        if fu is None:
            problems.add(
                SPEC.name,
                f"A{row_number}",
                gettext("Industry %(code)s is not among the reports of this workbook.")
                % {"code": f"「{industry}」"},
            )
            continue
        submission = submissions[fu.submission_id]
        if fu.submission_id not in carried:
            carried[fu.submission_id] = {i.follow_up.pk: i for i in report_items(submission)}
        item = carried[fu.submission_id].get(int(number)) if number.isdigit() else None
        if item is None:
            problems.add(
                SPEC.name,
                f"B{row_number}",
                gettext("Follow-up item %(no)s is not carried by the report of industry %(industry)s.")
                % {"no": f"「{number}」", "industry": industry},
            )
            continue
        if (industry, item.follow_up.pk) in seen:
            problems.add(
                SPEC.name,
                f"B{row_number}",
                gettext("Same as row %(row)s.") % {"row": seen[(industry, item.follow_up.pk)]},
            )
            continue
        seen[(industry, item.follow_up.pk)] = row_number
        text = workbook.parse_text(cell)
        if len(text) > MAX_RESPONSE_CHARS:
            problems.add(SPEC.name, where, gettext("at most %(n)s characters") % {"n": MAX_RESPONSE_CHARS})
            continue
        if text != item.text:
            changes.setdefault(fu.submission_id, {})[item.follow_up.pk] = text
    for submission_id in changes:
        fu = next(u for u in file_units if u.submission_id == submission_id)
        submission = submissions[submission_id]
        if not submission_policy.can_edit(user, submission):
            problems.add(
                workbook.SHEET_INFO,
                fu.info_cell,
                gettext(
                    "The follow-up answers of industry %(industry)s cannot be changed: the report is not "
                    "your agency's draft, or the period is locked."
                )
                % {"industry": submission.industry.code},
            )
        elif fu.version != submission.version:
            problems.add(
                workbook.SHEET_INFO,
                fu.info_cell,
                gettext(
                    "The report of industry %(industry)s was changed after your download. So as not "
                    "to overwrite another person's changes nothing was written: download again and "
                    "fill it in."
                )
                % {"industry": submission.industry.code},
            )
    return changes


def apply(user, submissions: dict[int, Submission], changes: dict[int, dict[int, str]], problems) -> int:
    """Write the answers (inside the import's transaction); returns how many changed. A failure adds a
    problem: the caller then rolls the whole import back."""
    changed = 0
    for submission_id, texts in changes.items():
        try:
            changed += save_responses(user, submissions[submission_id], texts)
        except PermissionDenied:
            problems.add(workbook.SHEET_INFO, "B2", gettext("The report is locked: nothing was written."))
        except ResponseErrors as exc:
            problems.add(SPEC.name, "", str(exc))
    return changed
