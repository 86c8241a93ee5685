"""The import itself: one transaction that locks the file's submissions, validates every cell, checks
who may write and the stale-version rule, then writes all changed submissions at once (or nothing).

``import_workbook`` is the entry point; ``summary_text`` gives its one-line outcome for logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from sixcore.accounts.policy import EDITOR_ROLES, agency_scope

from ..choices import SubmissionStatus
from ..models import Submission
from ..periods import period_writable
from ..services import (
    ConflictError,
    LineErrors,
    LineWrite,
    edit_permissions,
    load_lines,
    lock_submissions,
    save_many,
)
from .layout import SHEET_INFO, SHEETS, SUBMISSION_STATUS_LABELS
from .part_sheets import _apply_answers, part_sheets
from .reading import _read_workbook, _Refused
from .results import ImportResult, SubmissionOutcome, _Problems
from .validating import (
    _by_file_key,
    _check_work_items,
    _FileUnit,
    _locate_info_cells,
    _read_meta,
    _read_sheet,
    _read_upload,
    _resolve_meta,
)
from .values import _as_of, _line_state, _state_hash, _Unit


def import_workbook(file, user) -> ImportResult:
    """Validate an uploaded workbook completely; if nothing is wrong, apply it in one transaction.

    ``file`` is bytes, a path-less file object or an UploadedFile. Never raises for bad input: every
    problem is in ``ImportResult.problems`` and then nothing has been written.
    """
    # The workbook is written and read in the site language, whatever the user's (headings are matched).
    with translation.override(settings.LANGUAGE_CODE):
        return _import_workbook(file, user)


def _import_workbook(file, user) -> ImportResult:
    result = ImportResult()
    problems = _Problems()
    try:
        sheets = _read_workbook(file if isinstance(file, bytes) else _read_upload(file))
    except _Refused as refused:
        result.problems = [refused.problem]
        return result

    meta = _read_meta(sheets, problems)
    if meta is None:
        result.problems, result.truncated = problems.items, problems.dropped
        return result
    ref, file_units = meta

    _locate_info_cells(sheets, file_units)
    # One transaction from reading the lines to writing them: the submissions are locked first, so the
    # lines validated here are the lines written (and loaded once, without model instances).
    with transaction.atomic():
        submissions = lock_submissions([u.submission_id for u in file_units])
        owner = _resolve_meta(ref, submissions, file_units, problems)
        if owner is None:
            result.problems, result.truncated = problems.items, problems.dropped
            return result
        period, agency = owner
        result.period, result.agency = period, agency
        for fu in file_units:
            s = submissions.get(fu.submission_id)
            if (
                s is None
                or s.period_id != period.pk
                or s.agency_id != agency.pk
                or s.industry.code != fu.industry
            ):
                problems.add(
                    SHEET_INFO,
                    fu.info_cell,
                    gettext(
                        "The reports in the file do not match the system (deleted, or the file was "
                        "changed): download again."
                    ),
                )
        if problems:
            result.problems, result.truncated = problems.items, problems.dropped
            return result

        lines = load_lines(list(submissions))
        units = {pk: _Unit(s, _by_file_key(lines[pk])) for pk, s in submissions.items()}
        by_industry = {fu.industry: fu for fu in file_units}
        for spec in SHEETS:
            _read_sheet(spec, sheets.get(spec.name, []), by_industry, units, period, agency, problems)

        at = _as_of(period)
        for fu in file_units:
            _check_work_items(fu, units[fu.submission_id], at, problems)

        allowed = edit_permissions(user, submissions.values())
        writes = _check_permissions_and_versions(
            file_units, units, period, agency, user, problems, result, allowed
        )
        answers = [
            (sheet, sheet.read_sheet(sheets, file_units, submissions, user, problems))
            for sheet in part_sheets()
        ]
        if problems:
            result.problems, result.truncated = problems.items, problems.dropped
            result.unchanged = []
            return result
        _apply(writes, user, problems, result, submissions, lines, allowed)
        for sheet, texts in answers:
            if not problems and texts:
                _apply_answers(sheet, texts, user, problems, result, submissions)
        if problems:
            # The lines of this import are written by now: nothing of it stays.
            transaction.set_rollback(True)
            result.changed = []
    result.problems, result.truncated = problems.items, problems.dropped
    return result


@dataclass
class _Write:
    fu: _FileUnit
    submission: Submission
    expected_version: int
    changes: dict[str, dict[str, dict[str, Any]]]
    count: int


def _changes(fu: _FileUnit, unit: _Unit) -> tuple[dict[str, dict[str, dict[str, Any]]], int]:
    """The fields whose file value differs from the database, as save_lines wants them."""
    changes: dict[str, dict[str, dict[str, Any]]] = {}
    count = 0
    for kind, rows in fu.rows.items():
        for key, values in rows.items():
            current = _line_state(unit.lines[kind][key], kind)
            diff = {name: value for name, value in values.items() if current[name] != value}
            if diff:
                # KPIs as MEASURE/CODE: a plain code is ambiguous where it repeats (6.2.2 under 6.1 and 6.2).
                code = f"{key[0]}/{key[1]}" if kind == "kpis" else key
                changes.setdefault(kind, {})[code] = diff
                count += len(diff)
    return changes, count


def _check_permissions_and_versions(
    file_units, units, period, agency, user, problems: _Problems, result, allowed
) -> list[_Write]:
    """Who may write, whether the period is open, and the stale-version rule; the writes to make.

    ``allowed`` is ``services.edit_permissions`` for the file's submissions (all of this period and
    agency): if the policy lets the user edit its drafts, role, agency and period are fine; otherwise
    (or when the file has no draft) each is checked to say which one fails.
    """
    drafts = [
        ok for (_p, _a, status, free), ok in allowed.items() if status == SubmissionStatus.DRAFT and free
    ]
    if not (drafts and all(drafts)):
        if not period_writable(period, agency):
            problems.add(
                SHEET_INFO,
                "B2",
                gettext(
                    "%(period)s is closed (locked): no more uploads; ask NDC to reopen it for corrections."
                )
                % {"period": period.label},
            )
        if not (getattr(user, "is_authenticated", False) and user.role in EDITOR_ROLES):
            problems.add(
                SHEET_INFO, "B3", gettext("Your account may not report (only agency editors may upload).")
            )
        elif agency.pk not in agency_scope(user):
            problems.add(
                SHEET_INFO,
                "B3",
                gettext("You may not upload the reports of %(agency)s.") % {"agency": agency.name},
            )
    writes = []
    for fu in file_units:
        unit = units[fu.submission_id]
        s = unit.submission
        changes, count = _changes(fu, unit)
        outcome = SubmissionOutcome(s.pk, s.industry.code, s.industry.name, count, s.version, s.version)
        if not changes:
            result.unchanged.append(outcome)
            continue
        if s.status != SubmissionStatus.DRAFT:
            problems.add(
                SHEET_INFO,
                fu.info_cell,
                gettext("The report of industry %(industry)s is %(status)s: only a draft can be changed.")
                % {
                    "industry": s.industry.code,
                    "status": f"「{SUBMISSION_STATUS_LABELS.get(s.status, s.status)}」",
                },
            )
            continue
        if s.internal_review_at is not None:
            problems.add(
                SHEET_INFO,
                fu.info_cell,
                gettext(
                    "The report of industry %(industry)s is with the supervisor (陳核中): it cannot be changed."
                )
                % {"industry": s.industry.code},
            )
            continue
        if not _version_ok(fu, unit):
            problems.add(
                SHEET_INFO,
                fu.info_cell,
                gettext(
                    "The report of industry %(industry)s was changed after your download. So as not "
                    "to overwrite another person's changes nothing was written: download again and "
                    "fill it in."
                )
                % {"industry": s.industry.code},
            )
            continue
        writes.append(_Write(fu, s, s.version, changes, count))
    return writes


def _version_ok(fu: _FileUnit, unit: _Unit) -> bool:
    """The stale-version rule for a submission the file would change.

    Same version as downloaded: fine. Otherwise the content must be what it was at download time (the
    hash in the hidden sheet): a version can move without the content changing (a save without changes,
    a return for revision), and then nobody's work can be lost. A file whose values all equal the
    current ones never gets here (no changes → nothing written), which is what makes re-uploading the
    same file after a successful upload a no-op instead of a conflict.
    """
    return fu.version == unit.submission.version or fu.content == _state_hash(unit.lines)


def _apply(
    writes: list[_Write], user, problems: _Problems, result: ImportResult, locked, lines, allowed
) -> None:
    """All changed submissions at once; any failure rolls all of them back (save_many's savepoint in
    the import's transaction, in which ``locked``, ``lines`` and ``allowed`` were read)."""
    try:
        versions = save_many(
            user,
            [LineWrite(w.submission, w.expected_version, w.changes) for w in writes],
            locked=locked,
            lines=lines,
            allowed=allowed,
        )
    except ConflictError as exc:
        problems.add(
            SHEET_INFO,
            _info_cell(writes, exc.submission.pk),
            gettext(
                "While writing, someone else had just changed the same report: nothing was written. "
                "Download again and fill it in."
            ),
        )
    except PermissionDenied:
        problems.add(
            SHEET_INFO,
            "B2",
            gettext(
                "The permission check failed while writing (the period is locked or the report was "
                "submitted): nothing was written."
            ),
        )
    except LineErrors as exc:
        for error in exc.errors:
            problems.add("", "", f"{error['line']} {error['field']}：{error['message']}")
    else:
        result.changed = [
            SubmissionOutcome(
                w.submission.pk,
                w.submission.industry.code,
                w.submission.industry.name,
                w.count,
                w.expected_version,
                versions.get(w.submission.pk, w.expected_version),
            )
            for w in writes
        ]


def _info_cell(writes: list[_Write], submission_id: int) -> str:
    return next((w.fu.info_cell for w in writes if w.submission.pk == submission_id), "")


def summary_text(result: ImportResult) -> str:
    """One line for logs and messages."""
    if not result.ok:
        return gettext("%(n)s problems; nothing was written") % {"n": len(result.problems) + result.truncated}
    fields = sum(o.fields_changed for o in result.changed)
    return gettext("%(changed)s reports updated (%(fields)s fields), %(unchanged)s unchanged") % {
        "changed": len(result.changed),
        "fields": fields,
        "unchanged": len(result.unchanged),
    }
