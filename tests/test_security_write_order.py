"""Rights before validation on every write (issue #18): a caller who may not write gets the same 403/404
for an invalid (and duplicate) body as for a valid one — never a 400 whose reasons tell what exists
("duplicate observation" revealed which companies report an item on which days).

The callers, URLs and expected refusals are the permission matrix's (tests/test_permission_matrix.py);
this file only sends each write operation a body that fails validation.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests import test_permission_matrix as matrix
from tests.test_permission_matrix import API, WEB, World, _item_body, perform, schema_operations

world = matrix.world  # the matrix's data set (a module-scoped fixture)

REFUSED = (403, 404, "login")
TRANSITION = {"comment": ["not", "text"], "reason": {"not": "text"}}


def _duplicate_csv(w: World) -> dict:
    """The observation already recorded, twice, and a negative stock: three reasons for a 400."""
    row = f"{w.item.code},{w.reporter.code},{w.observation.date},{w.item.unit}"
    content = f"item,reporter,date,unit,stock\n{row},100\n{row},100\n{row},-1\n"
    return {"file": SimpleUploadedFile("obs.csv", content.encode(), "text/csv")}


def _observation(w: World) -> dict:
    """Same item, reporter and date as the recorded observation, and a negative stock."""
    return {"item": w.item.code, "reporter": w.reporter.code, "date": str(w.observation.date), "stock": "-1"}


INVALID: dict[str, Any] = {
    # Field verification: an unknown pick, a stale version, blank findings, an unknown owner, no file.
    "field_verifications_create": lambda w: {
        "title": "",
        "date": "x",
        "period": "120Q9",
        "picks": ["kpi:9/9"],
    },
    "field_verifications_partial_update": lambda w: {"version": 0, "date": "x", "agencies": ["nobody"]},
    "field_verifications_cancel_create": lambda w: {"version": "x", "reason": {"not": "text"}},
    "field_verifications_complete_create": lambda w: {"version": "x"},
    "field_verifications_publish_create": lambda w: {"version": "x"},
    "field_verifications_reopen_create": lambda w: {"version": "x", "reason": ""},
    "field_verifications_items_findings_create": lambda w: {"version": 0, "findings": ""},
    "field_verifications_items_recommendations_create": lambda w: {
        "text": "",
        "owner": "nobody",
        "due_date": "x",
    },
    "field_verifications_items_evidence_create": lambda w: {
        "file": SimpleUploadedFile("x.pdf", b"<html></html>", "application/pdf")
    },
    "progress_submissions_submit_create": lambda w: TRANSITION,
    "progress_submissions_consolidate_create": lambda w: TRANSITION,
    "progress_submissions_approve_create": lambda w: TRANSITION,
    "progress_submissions_return_create": lambda w: TRANSITION,
    "progress_submissions_reopen_create": lambda w: TRANSITION,
    "progress_submissions_internal_review_create": lambda w: TRANSITION,
    "progress_submissions_internal_return_create": lambda w: TRANSITION,
    "progress_submissions_lines_partial_update": lambda w: {"version": 0, "kpis": "x", "unknown": 1},
    "annual_evaluations_scores_partial_update": lambda w: {"stage": "bogus", "version": "x", "scores": "x"},
    **{
        f"annual_evaluations_{step}_create": lambda w: {**TRANSITION, "until": "x"}
        for step in (
            "submit_self",
            "complete_initial",
            "complete_review",
            "approve",
            "publish",
            "return",
            "reopen",
        )
    },
    "annual_evaluations_extend_create": lambda w: {"until": "x", "reason": ["not", "text"]},
    "progress_kpi_reports_create": lambda w: {
        "kpi": w.kpi.code,
        "measure": w.kpi.measure.code,
        "period": "111Q2",
        "value": "not a number",
    },
    **{
        f"follow_ups_{step}_create": lambda w: {
            "version": "x",
            "comment": ["not", "text"],
            "new_due_date": "0008-10-03",
        }
        for step in ("close", "keep", "reopen", "publish", "unpublish")
    },
    "follow_ups_respond_create": lambda w: {"submission": "x", "text": "進" * 5000},
    "supplies_import_create": _duplicate_csv,
    "supplies_items_create": lambda w: {"code": w.item.code, "name": "", "responsible_agency": "nobody"},
    "supplies_items_update": lambda w: {**_item_body(w), "code": w.spare_item.code, "grace_days": "x"},
    "supplies_items_partial_update": lambda w: {"code": w.spare_item.code, "grace_days": -1},
    "supplies_minimums_create": lambda w: {
        "item": w.item.code,
        "effective_from": str(w.minimum.effective_from),
        "value": "-1",
    },
    "supplies_minimums_update": lambda w: {"item": w.item.code, "effective_from": "x", "value": "-1"},
    "supplies_minimums_partial_update": lambda w: {"value": "-1"},
    "supplies_reporters_create": lambda w: {"code": w.reporter.code, "name": "", "kind": "bogus"},
    "supplies_reporters_update": lambda w: {"code": w.spare_reporter.code, "name": "", "kind": "bogus"},
    "supplies_reporters_partial_update": lambda w: {"code": w.spare_reporter.code},
    "supplies_assignments_create": lambda w: {
        "item": w.item.code,
        "reporter": w.reporter.code,
        "safety_level": "x",
    },
    "supplies_assignments_update": lambda w: {
        "item": w.item.code,
        "reporter": w.spare_reporter.code,
        "safety_level": "x",
    },
    "supplies_assignments_partial_update": lambda w: {"reporter": w.spare_reporter.code},
    "supplies_observations_create": _observation,
    "supplies_observations_update": _observation,
    "supplies_observations_partial_update": lambda w: {"date": "2999-01-01", "stock": "-1"},
}

# One body for every web form: every field some form has, each invalid or a duplicate of what exists.
WEB_INVALID = {
    "comment": "",
    "reason": "",
    "date": "0008-10-03",
    "stock": "-1",
    "value": "not a number",
    "title": "",
    "file": "",
    "version": "0",
    "agency": "nobody",
    "ids": "x",
}


def _api_writes_with_a_body() -> dict[str, tuple[str, str]]:
    return {op: (m, p) for op, (m, p) in schema_operations().items() if m in ("post", "put", "patch")}


def test_every_write_operation_has_an_invalid_body(db):
    """A new write endpoint must be added here (and to the permission matrix)."""
    assert sorted(_api_writes_with_a_body()) == sorted(INVALID)


def _refused(expected: dict[str, Any]) -> list[str]:
    return [role for role, outcome in expected.items() if outcome in REFUSED]


@pytest.mark.parametrize("operation", sorted(INVALID))
def test_refused_api_callers_learn_nothing_from_an_invalid_body(world, operation):
    method, path = _api_writes_with_a_body()[operation]
    check = API[operation]
    kwargs = check.kwargs(world)
    url = re.sub(r"\{(\w+)\}", lambda m: str(kwargs.get(m.group(1), kwargs.get("pk"))), path)
    failures = []
    for role in _refused(check.write):
        got, writes, changed, _ = perform(
            world, world.api[role], method, url, INVALID[operation](world), api=True
        )
        if got != check.write[role] or writes or changed:
            failures.append(f"{operation} as {role}: {got} (writes: {writes}), expected {check.write[role]}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", sorted(n for n, c in WEB.items() if c.write))
def test_refused_web_callers_learn_nothing_from_an_invalid_form(world, name):
    check = WEB[name]
    url = reverse(name, kwargs=check.kwargs(world))
    failures = []
    for role in _refused(check.write):
        got, writes, changed, _ = perform(world, world.clients[role], "post", url, WEB_INVALID, api=False)
        if got != check.write[role] or writes or changed:
            failures.append(f"{name} as {role}: {got} (writes: {writes}), expected {check.write[role]}")
    assert not failures, "\n".join(failures)
