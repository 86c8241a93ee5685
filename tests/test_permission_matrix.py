"""The permission matrix (issue #9): every URL and every API operation, checked for every role.

The URL patterns come from the URL resolver (the admin at whatever ``SIXCORE_ADMIN_PATH`` puts it) and the
API operations from the OpenAPI schema generated in-process, never from a hand list: a view that the
matrix below does not know about fails ``test_every_url_is_in_the_matrix`` /
``test_every_api_operation_is_in_the_matrix``.

The matrix is data: for each URL name / operationId, the object it is called with and the outcome per role
of a read (GET) and of a write (POST, or the operation's method). Outcomes are status codes, ``"login"``
(302 to the login page) or ``"redirect"`` (any other 302). ``writers`` are the roles whose write is
accepted; for every other role the request must leave the database exactly as it was: no INSERT, UPDATE or
DELETE is executed (sessions aside), the fingerprint of the written tables is unchanged and no file
appears under MEDIA_ROOT. Each request runs in its own rolled-back transaction, so one module-scoped data
set serves every check. Drafts carry a marker text that must never appear in a response to a role that
may not read them.

Roles: anonymous; 經濟部 (moea) viewer and editor, the owners of the draft under test (industry 3); an
editor of 交通部 (motc), another agency; 科技部 (most) industry lead — industry 3's lead unit, so it reads
the draft but does not write it; NDC reviewer; NDC administrator.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from tests.factories import editor, industry_lead, ndc_admin, ndc_reviewer, open_period, viewer

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "viewer", "editor", "other_editor", "lead", "reviewer", "admin")
NDC = {"reviewer", "admin"}
SIGNED_IN = set(ROLES) - {"anonymous"}
# Who reads agency A's draft: the owning agency, the industry's lead unit, NDC (progress/policy.py).
DRAFT_READERS = {"viewer", "editor", "lead", "reviewer", "admin"}
EDITOR_ROLES = {"editor", "other_editor", "lead"}
MARK = "MATRIX-DRAFT-7F3Q"  # text only agency A's draft contains
# The draft's KPI actual, as any page, JSON or export would print it (97531.13, 97,531.13, 97531.1300).
MARK_VALUE = Decimal("97531.13")
MARK_VALUE_SEEN = re.compile(r"97,?531\.13")


def outcomes(default: Any, **by_role: Any) -> dict[str, Any]:
    """``outcomes(403, editor=200)``: the default for every role, exceptions by role."""
    unknown = set(by_role) - set(ROLES)
    assert not unknown, unknown
    return {role: by_role.get(role, default) for role in ROLES}


def among(roles: set[str], inside: Any, outside: Any, anonymous: Any = None) -> dict[str, Any]:
    """``inside`` for ``roles``, ``outside`` for the others (and ``anonymous`` for anonymous if given)."""
    result = {role: inside if role in roles else outside for role in ROLES}
    if anonymous is not None:
        result["anonymous"] = anonymous
    return result


PUBLIC = outcomes(200)
SIGNED_IN_ONLY = outcomes(200, anonymous="login")
NDC_ONLY = among(NDC, 200, 403, anonymous="login")


@dataclass
class Check:
    """One URL name or operationId: how to call it and what each role gets."""

    kwargs: Callable[[Any], dict] = lambda w: {}
    get: dict[str, Any] | None = None  # None: the route has no read (checked as "method not allowed")
    write: dict[str, Any] | None = None
    data: Callable[[Any], Any] = lambda w: {}
    writers: set[str] = field(default_factory=set)
    query: str = ""
    method: str = "post"  # API operations: the operation's method


# --- the world: one data set for the module ----------------------------------------------------------


@dataclass
class World:
    users: dict[str, Any]
    period: Any
    draft: Any
    kpi: Any
    attachment: Any
    issue: Any
    meeting: Any
    decision: Any
    follow_up: Any
    follow_up_report: Any
    revision: Any
    item: Any
    reporter: Any
    minimum: Any
    assignment: Any
    observation: Any
    alert: Any
    work_item: Any
    job: Any
    spare_item: Any
    spare_reporter: Any
    spare_assignment: Any
    moea: Any
    field: Any
    field_item: Any
    field_evidence: Any
    field_recommendation: Any
    media: Path
    clients: dict[str, Client] = field(default_factory=dict)
    api: dict[str, APIClient] = field(default_factory=dict)
    annual: Any = None  # agency A's year-end evaluation draft (year 110, industry 3)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    from django_tasks_db.models import DBTaskResult

    from sixcore.accounts.models import Agency
    from sixcore.coordination import services as coordination
    from sixcore.followups.services import carrying_submission
    from sixcore.plan.models import Program, WorkItem
    from sixcore.progress.models import Attachment, CycleSettings, MeasureReport, Submission
    from sixcore.reports import tasks
    from sixcore.revisions import services as revisions
    from sixcore.supplies.choices import AlertKind, ReporterKind
    from sixcore.supplies.models import Alert, Assignment, Minimum, Observation, Reporter, SupplyItem
    from sixcore.supplies.registry import ensure_seeded

    media = tmp_path_factory.mktemp("media")
    with (
        pytest.MonkeyPatch.context() as mp,
        override_settings(
            MEDIA_ROOT=str(media), PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
        ),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        mp.setenv("SIXCORE_AS_OF", "2022-07-05")
        users = {
            "anonymous": None,
            "viewer": viewer("moea"),
            "editor": editor("moea"),
            "other_editor": editor("motc"),
            "lead": industry_lead("most"),
            "reviewer": ndc_reviewer(),
            "admin": ndc_admin(),
        }
        period = open_period("111Q2")
        draft = Submission.objects.get(period=period, industry__code="3", agency__code="moea")
        line = draft.kpi_reports.exclude(kpi__agencies__code__startswith="most").select_related(
            "kpi__measure"
        )[0]
        line.note, line.value = MARK, MARK_VALUE
        line.save(update_fields=["note", "value"])
        MeasureReport.objects.filter(submission=draft).update(progress=MARK)
        draft.refresh_from_db()
        body = b"%PDF-1.4 evidence " + MARK.encode()
        attachment = Attachment(
            submission=draft,
            original_name=f"{MARK}.pdf",
            content_type="application/pdf",
            size=len(body),
            sha256=hashlib.sha256(body).hexdigest(),
            uploaded_by=users["editor"],
        )
        attachment.file.save("evidence.pdf", ContentFile(body), save=True)

        moea = Agency.objects.get(code="moea")
        issue = coordination.raise_issue(users["editor"], title=MARK, description=MARK)
        meeting = coordination.record_meeting(
            users["admin"], date=date(2022, 6, 28), title=MARK, attendees=[moea], agenda=[issue]
        )
        decision = coordination.add_decision(
            users["admin"], meeting, text=MARK, owner=moea, deadline=date(2022, 12, 31), issue=issue
        )
        job = tasks.request_report(period, "pdf", users["reviewer"])  # as a worker would leave it:
        DBTaskResult.objects.filter(pk=job.id).update(
            status="SUCCESSFUL", return_value={"filename": "111Q2.pdf", "size": 30}
        )
        report_file = tasks.file_path(job.id, "pdf")
        report_file.parent.mkdir(parents=True)
        report_file.write_bytes(b"%PDF-1.4 " + MARK.encode())  # an NDC report: drafts included
        revision = revisions.draft_revision(
            users["admin"], Program.objects.get(revision=0), reason=MARK, effective_from="112Q1"
        )

        ensure_seeded()
        item = SupplyItem.objects.filter(responsible_agency=moea).order_by("order")[0]
        CycleSettings.get()  # the cycle's settings row, created on first use, exists in a running system
        company = Reporter.objects.create(
            code="matrix-company", name="矩陣公司（測試）", kind=ReporterKind.COMPANY
        )
        assignment = Assignment.objects.create(item=item, reporter=company)
        # Objects without observations, for the deletes (an item or reporter with figures is protected).
        spare_item = SupplyItem.objects.filter(responsible_agency=moea).order_by("order")[1]
        spare_reporter = Reporter.objects.create(
            code="matrix-spare", name="矩陣備用（測試）", kind=ReporterKind.COMPANY
        )
        spare_assignment = Assignment.objects.create(item=item, reporter=spare_reporter)
        Assignment.objects.create(item=spare_item, reporter=spare_reporter)
        observation = Observation.objects.create(
            item=item, reporter=assignment.reporter, date=date(2022, 6, 30), stock=100
        )
        alert = Alert.objects.create(
            item=item,
            reporter=assignment.reporter,
            kind=AlertKind.values[0],
            opened_on=date(2022, 6, 30),
        )
        # A planned field verification (實地查證) attended by agency A, with evidence and a recommendation.
        from sixcore.fieldwork import services as fieldwork
        from sixcore.fieldwork.demo import _png
        from sixcore.fieldwork.selection import Candidate

        field = fieldwork.plan_verification(
            users["admin"],
            title=MARK,
            date=date(2022, 7, 20),
            place=MARK,
            reviewers=MARK,
            agencies=[moea],
            period=period,
            picked=[
                Candidate(
                    "kpi",
                    f"{line.kpi.measure.code}/{line.kpi.code}",
                    MARK,
                    "3",
                    ["moea"],
                    [("red_kpi", MARK)],
                )
            ],
        )
        field_item = field.items.get()
        field_evidence = fieldwork.add_evidence(
            users["admin"], field_item, SimpleUploadedFile(f"{MARK}.png", _png((1, 2, 3)), "image/png")
        )
        field_recommendation = fieldwork.add_recommendation(
            users["admin"], field_item, text=MARK, owner=moea, due_date=date(2022, 12, 31)
        )
        field.refresh_from_db()
        field_item.refresh_from_db()
        w = World(
            users=users,
            period=period,
            draft=draft,
            kpi=line.kpi,
            attachment=attachment,
            issue=issue,
            meeting=meeting,
            decision=decision,
            follow_up=decision.follow_up,
            follow_up_report=carrying_submission(decision.follow_up, period),
            revision=revision,
            item=item,
            reporter=assignment.reporter,
            minimum=Minimum.objects.filter(item=item)[0],
            assignment=assignment,
            observation=observation,
            alert=alert,
            work_item=WorkItem.objects.filter(schedule__industry__program__revision=0).order_by("pk")[0],
            job=job,
            spare_item=spare_item,
            spare_reporter=spare_reporter,
            spare_assignment=spare_assignment,
            moea=moea,
            field=field,
            field_item=field_item,
            field_evidence=field_evidence,
            field_recommendation=field_recommendation,
            media=media,
        )
        w.annual = _annual_draft(users)
        for role, user in users.items():
            w.clients[role] = Client()
            w.api[role] = APIClient()
            if user is not None:
                w.clients[role].force_login(user)
                w.api[role].force_authenticate(user)
        yield w
        transaction.set_rollback(True)


def _annual_draft(users):
    """Agency A's year-end evaluation of year 110 for industry 3, in 自評 with the marker text; the
    calendar puts the world's date (2022-07-05) inside its 自評 window, so the owner can score."""
    from sixcore.annual import services as annual
    from sixcore.annual import setup as annual_setup
    from sixcore.annual.models import AnnualCycle, AnnualEvaluation

    AnnualCycle.objects.create(
        year=110,
        self_opens=date(2022, 7, 1),
        self_due=date(2022, 7, 31),
        initial_due=date(2022, 8, 15),
        review_due=date(2022, 8, 31),
    )
    annual_setup.ensure_evaluations(110)
    evaluation = AnnualEvaluation.objects.get(year=110, industry__code="3", agency__code="moea")
    annual.save_scores(evaluation, users["editor"], "self", evaluation.version, {}, {"self_summary": MARK})
    evaluation.refresh_from_db()
    return evaluation


# --- the web matrix (URL name → check) -----------------------------------------------------------------

DRAFT_GET = among(DRAFT_READERS, 200, 404, anonymous="login")
# A write to the draft: its editor only; readers who may not write get 403, everybody else "not found".
DRAFT_WRITE = among(DRAFT_READERS, 403, 404, anonymous="login") | {"editor": "redirect"}
# Coordination objects of agency A: party agency A and NDC; the public and others get "not found".
PARTY_A = {"viewer", "editor", "reviewer", "admin"}


def _pdf(w):
    return {"file": SimpleUploadedFile("evidence.pdf", b"%PDF-1.4 new evidence", "application/pdf")}


def _observation_csv(w):
    content = f"item,reporter,date,unit,stock\n{w.item.code},{w.reporter.code},2022-07-01,{w.item.unit},42\n"
    return {"file": SimpleUploadedFile("obs.csv", content.encode(), "text/csv")}


def _png_upload(w):
    from sixcore.fieldwork.demo import _png

    return {"file": SimpleUploadedFile("site.png", _png((4, 5, 6)), "image/png")}


# A write to agency A's field verification: NDC (redirect); A's users may read it (403); others 404.
FIELD_NDC_WRITE = among(PARTY_A, 403, 404, anonymous="login") | {"reviewer": "redirect", "admin": "redirect"}

SUPPLY_EDITORS = {"editor", "admin"}  # editors of the item's responsible agency (moea), NDC administrators

WEB: dict[str, Check] = {
    # Accounts. The login form is public; a failed login is recorded by django-axes (not a data write).
    "login": Check(get=PUBLIC, write=None),
    "logout": Check(get=None, write=outcomes("redirect")),
    # The plan: public.
    "plan:overview": Check(get=PUBLIC, write=PUBLIC),
    "plan:industry": Check(kwargs=lambda w: {"code": "3"}, get=PUBLIC, write=PUBLIC),
    "plan:measure": Check(kwargs=lambda w: {"code": w.kpi.measure.code}, get=PUBLIC, write=PUBLIC),
    "plan:kpi": Check(
        kwargs=lambda w: {"measure_code": w.kpi.measure.code, "code": w.kpi.code}, get=PUBLIC, write=PUBLIC
    ),
    # The quarterly cycle.
    "progress:submissions": Check(get=SIGNED_IN_ONLY, write=SIGNED_IN_ONLY, query="?period=111Q2"),
    "progress:submission": Check(
        kwargs=lambda w: {"pk": w.draft.pk},
        get=DRAFT_GET,
        write=DRAFT_WRITE,
        data=lambda w: {"version": w.draft.version, f"kpis|{w.kpi.code}|note": "matrix"},
        writers={"editor"},
    ),
    "progress:attachment_upload": Check(
        kwargs=lambda w: {"pk": w.draft.pk},
        get=among(SIGNED_IN, 405, 405, anonymous="login"),
        write=DRAFT_WRITE,
        data=_pdf,
        writers={"editor"},
    ),
    "progress:attachment": Check(
        kwargs=lambda w: {"pk": w.draft.pk, "attachment_id": w.attachment.pk}, get=DRAFT_GET, write=DRAFT_GET
    ),
    "progress:transition": Check(
        kwargs=lambda w: {"pk": w.draft.pk, "action": "submit"},
        get=among(SIGNED_IN, 405, 405, anonymous="login"),
        write=DRAFT_WRITE,
        data=lambda w: {"comment": "matrix"},
        writers={"editor"},
    ),
    "progress:bulk_approve": Check(
        get=among(SIGNED_IN, 405, 405, anonymous="login"),
        # NDC may; approving a draft is refused by the workflow (nothing approved, a message).
        write=among(NDC, "redirect", 403, anonymous="login"),
        data=lambda w: {"ids": [w.draft.pk], "period": "111Q2"},
    ),
    "progress:reopen_period": Check(
        kwargs=lambda w: {"code": "111Q2"},
        get=among(SIGNED_IN, 405, 405, anonymous="login"),
        write=among({"admin"}, "redirect", 403, anonymous="login"),
        data=lambda w: {"agency": w.moea.pk, "until": "2022-12-31", "reason": "matrix"},
        writers={"admin"},
    ),
    # The workbook of agency A: its own users and NDC; another agency's users are refused.
    "progress:excel_download": Check(
        query="?period=111Q2&agency=moea",
        get=among({"viewer", "editor", "reviewer", "admin"}, 200, 403, anonymous="login"),
        write=among(SIGNED_IN, 405, 405, anonymous="login"),
    ),
    # Upload: editor roles; the file decides which submissions it writes (sixcore/progress/tests/test_excel.py checks that
    # a workbook of another agency is refused). An empty form is refused without a write.
    "progress:excel_upload": Check(
        get=among(EDITOR_ROLES, 200, 403, anonymous="login"),
        write=among(EDITOR_ROLES, 400, 403, anonymous="login"),
    ),
    # Dashboards: public figures (published submissions only unless the user reads drafts); attention NDC.
    "evaluation:program": Check(get=PUBLIC, write=PUBLIC, query="?period=111Q2"),
    "evaluation:attention": Check(get=NDC_ONLY, write=NDC_ONLY, query="?period=111Q2"),
    "evaluation:industry": Check(
        kwargs=lambda w: {"code": "3"}, get=PUBLIC, write=PUBLIC, query="?period=111Q2"
    ),
    "evaluation:agency": Check(
        kwargs=lambda w: {"code": "moea"}, get=PUBLIC, write=PUBLIC, query="?period=111Q2"
    ),
    "evaluation:measure": Check(
        kwargs=lambda w: {"code": w.kpi.measure.code}, get=PUBLIC, write=PUBLIC, query="?period=111Q2"
    ),
    "evaluation:timeline": Check(
        kwargs=lambda w: {"code": w.kpi.measure.code}, get=PUBLIC, write=PUBLIC, query="?period=111Q2"
    ),
    "evaluation:kpi": Check(
        kwargs=lambda w: {"measure_code": w.kpi.measure.code, "code": w.kpi.code},
        get=PUBLIC,
        write=PUBLIC,
        query="?period=111Q2",
    ),
    # Reports: NDC always; others once the period is published (111Q2 is not).
    "reports:quarterly": Check(
        kwargs=lambda w: {"period": "111Q2", "fmt": "xlsx"},
        get=among(NDC, 200, 403),
        write=outcomes(405),
    ),
    # A PDF generated in the background for NDC: only requesters of the same scope fetch it (else 404).
    "reports:job": Check(
        kwargs=lambda w: {"job_id": w.job.id}, get=among(NDC, "redirect", 404), write=outcomes(405)
    ),
    "reports:job_file": Check(
        kwargs=lambda w: {"job_id": w.job.id}, get=among(NDC, 200, 404), write=outcomes(405)
    ),
    "reports:index": Check(get=PUBLIC, write=outcomes(405)),
    # The year-end evaluation (agency A's draft of 110): read by its agency, its industry's lead unit and NDC (others,
    # the public included: not found); its 自評 is written by the agency's editors only.
    "annual:list": Check(get=PUBLIC, write=outcomes(405), query="?year=110"),
    "annual:evaluation": Check(
        kwargs=lambda w: {"pk": w.annual.pk},
        get=among(DRAFT_READERS, 200, 404),
        write=among(DRAFT_READERS, 403, 404) | {"editor": "redirect"},
        data=lambda w: {"version": w.annual.version, "score|planning|comment": "matrix"},
        writers={"editor"},
    ),
    # 送出自評 of an unscored draft: refused with a message for its editor (nothing written), 403 for the
    # other readers, "not found" for everybody else.
    "annual:step": Check(
        kwargs=lambda w: {"pk": w.annual.pk, "action": "submit_self"},
        get=among(SIGNED_IN, 405, 405, anonymous="login"),
        write=among(DRAFT_READERS, 403, 404, anonymous="login") | {"editor": "redirect"},
        data=lambda w: {"comment": "matrix"},
    ),
    "annual:setup": Check(
        kwargs=lambda w: {"year": 110},
        get=among({"admin"}, 200, 403, anonymous="login"),
        write=among({"admin"}, "redirect", 403, anonymous="login"),
        data=lambda w: {
            "part": "grades",
            "rows": "2",
            "grade-0-label": "優等",
            "grade-0-min": "90",
            "grade-1-label": "其他",
            "grade-1-min": "0",
        },
        writers={"admin"},
    ),
    # The annual report: NDC always; others once an evaluation of the year is published (none is).
    "reports:annual": Check(
        kwargs=lambda w: {"year": "110", "fmt": "xlsx"}, get=among(NDC, 200, 403), write=outcomes(405)
    ),
    # Site search: public, each hit scoped by the policies (sixcore/search/tests/test_search.py).
    "search:search": Check(get=PUBLIC, write=outcomes(405)),
    # The to-do home: every signed-in user (its items are scoped; sixcore/workbench/tests/test_workbench.py).
    "workbench:home": Check(get=SIGNED_IN_ONLY, write=among(SIGNED_IN, 405, 405, anonymous="login")),
    "reports:export": Check(
        kwargs=lambda w: {"dataset": "submissions", "fmt": "json"}, get=PUBLIC, write=outcomes(405)
    ),
    # Plan revisions: drafts are NDC-only (others: not found).
    "revisions:list": Check(get=PUBLIC, write=among(NDC, 200, 403), data=lambda w: {"reason": ""}),
    "revisions:detail": Check(
        kwargs=lambda w: {"number": w.revision.number},
        get=among(NDC, 200, 404),
        write=among(NDC, 200, 404),
    ),
    "revisions:kpi_edit": Check(
        kwargs=lambda w: {
            "number": w.revision.number,
            "measure_code": w.kpi.measure.code,
            "code": w.kpi.code,
        },
        get=among(NDC, 200, 403, anonymous="login"),
        write=among(NDC, 200, 403, anonymous="login"),
    ),
    "revisions:work_item_edit": Check(
        kwargs=lambda w: {"number": w.revision.number},
        get=outcomes(405),
        write=among(NDC, "redirect", 403, anonymous="login"),
    ),
    "revisions:budget_edit": Check(
        kwargs=lambda w: {"number": w.revision.number},
        get=outcomes(405),
        write=among(NDC, "redirect", 403, anonymous="login"),
        data=lambda w: {"industry": "3", "year": "112", "amount": "123.45"},
        writers=NDC,
    ),
    "revisions:kpi_add": Check(
        kwargs=lambda w: {"number": w.revision.number},
        get=outcomes(405),
        write=among(NDC, "redirect", 403, anonymous="login"),
    ),
    "revisions:upload": Check(
        kwargs=lambda w: {"number": w.revision.number},
        get=outcomes(405),
        write=among(NDC, "redirect", 403, anonymous="login"),
    ),
    "revisions:approve": Check(
        kwargs=lambda w: {"number": w.revision.number},
        get=outcomes(405),
        # NDC administrators decide; the reviewer sees the draft but the model refuses.
        write=among(NDC, "redirect", 404, anonymous="login") | {"reviewer": 403},
        writers={"admin"},
    ),
    "revisions:reject": Check(
        kwargs=lambda w: {"number": w.revision.number},
        get=outcomes(405),
        write=among(NDC, "redirect", 404, anonymous="login") | {"reviewer": 403},
        writers={"admin"},
    ),
    "revisions:diff": Check(
        kwargs=lambda w: {"a": 0, "b": w.revision.number},
        get=among(NDC, 200, 404),
        write=among(NDC, 200, 404),
    ),
    "revisions:kpi_targets": Check(
        kwargs=lambda w: {"measure_code": w.kpi.measure.code, "code": w.kpi.code}, get=PUBLIC, write=PUBLIC
    ),
    # Coordination: party agencies and NDC; the public sees published decisions only.
    "coordination:index": Check(get=PUBLIC, write=PUBLIC),
    "coordination:issue_new": Check(
        get=among(EDITOR_ROLES | NDC, 200, 403, anonymous="login"),
        write=among(EDITOR_ROLES | NDC, "redirect", 403, anonymous="login"),
        data=lambda w: {"title": "matrix", "description": "matrix", "subject": ""},
        writers=EDITOR_ROLES | NDC,  # each for its own agency
    ),
    "coordination:issue": Check(
        kwargs=lambda w: {"pk": w.issue.pk}, get=among(PARTY_A, 200, 404), write=among(PARTY_A, 200, 404)
    ),
    "coordination:issue_close": Check(
        kwargs=lambda w: {"pk": w.issue.pk},
        get=outcomes(405),
        write=among(PARTY_A, 403, 404, anonymous="login") | {"reviewer": "redirect", "admin": "redirect"},
        writers=NDC,
    ),
    "coordination:issue_reopen": Check(
        kwargs=lambda w: {"pk": w.issue.pk},
        get=outcomes(405),
        # Open already: NDC gets a message, no write.
        write=among(PARTY_A, 403, 404, anonymous="login") | {"reviewer": "redirect", "admin": "redirect"},
    ),
    "coordination:meeting_new": Check(
        get=NDC_ONLY,
        write=among(NDC, "redirect", 403, anonymous="login"),
        data=lambda w: {"date": "2022-07-02", "title": "matrix", "attendees": [w.moea.pk]},
        writers=NDC,
    ),
    "coordination:meeting": Check(
        kwargs=lambda w: {"pk": w.meeting.pk},
        get=among(PARTY_A, 200, 404),
        write=among(PARTY_A, 403, 404) | {"reviewer": "redirect", "admin": "redirect"},
        data=lambda w: {"text": "matrix", "owner": w.moea.pk, "deadline": "2022-12-31"},
        writers=NDC,
    ),
    # The decision's page reads its follow-up item; its 辦理情形 is written in the quarterly report.
    "coordination:decision": Check(
        kwargs=lambda w: {"pk": w.decision.pk}, get=among(PARTY_A, 200, 404), write=outcomes(405)
    ),
    "coordination:decision_close": Check(
        kwargs=lambda w: {"pk": w.decision.pk},
        get=outcomes(405),
        write=among(PARTY_A, 403, 404, anonymous="login") | {"reviewer": "redirect", "admin": "redirect"},
        writers=NDC,
    ),
    "coordination:decision_reopen": Check(
        kwargs=lambda w: {"pk": w.decision.pk},
        get=outcomes(405),
        write=among(PARTY_A, 403, 404, anonymous="login") | {"reviewer": "redirect", "admin": "redirect"},
    ),
    "coordination:decision_publish": Check(
        kwargs=lambda w: {"pk": w.decision.pk},
        get=outcomes(405),
        write=among(PARTY_A, 403, 404, anonymous="login") | {"reviewer": "redirect", "admin": "redirect"},
        writers=NDC,
    ),
    "coordination:decision_unpublish": Check(
        kwargs=lambda w: {"pk": w.decision.pk},
        get=outcomes(405),
        write=among(PARTY_A, 403, 404, anonymous="login") | {"reviewer": "redirect", "admin": "redirect"},
    ),
    # Field verification (實地查證): NDC writes; agency A attends (reads); the public reads published ones.
    "fieldwork:index": Check(get=PUBLIC, write=PUBLIC),
    "fieldwork:candidates": Check(get=NDC_ONLY, write=NDC_ONLY, query="?period=111Q2"),
    # No candidate in the matrix's data: NDC's plan is refused (400), nothing written.
    "fieldwork:new": Check(
        get=NDC_ONLY,
        write=among(NDC, 400, 403, anonymous="login"),
        query="?period=111Q2",
        data=lambda w: {"period": "111Q2", "pick": ["kpi:1.2/1.2.2"], "title": "matrix", "place": "m"},
    ),
    # Adding picks to a planned visit: NDC only; no candidate in the matrix's data, so refused (400).
    "fieldwork:items_add": Check(
        get=outcomes(405),
        write=among(NDC, 400, 403, anonymous="login"),
        data=lambda w: {"period": "111Q2", "pick": ["kpi:1.2/1.2.2"], "into": w.field.pk},
    ),
    "fieldwork:detail": Check(
        kwargs=lambda w: {"pk": w.field.pk}, get=among(PARTY_A, 200, 404), write=among(PARTY_A, 200, 404)
    ),
    "fieldwork:edit": Check(
        kwargs=lambda w: {"pk": w.field.pk},
        get=FIELD_NDC_WRITE | {"reviewer": 200, "admin": 200},
        write=FIELD_NDC_WRITE,
        data=lambda w: {
            "version": w.field.version,
            "title": "matrix",
            "date": "2022-07-21",
            "place": "matrix",
            "reviewers": "matrix",
            "agencies": [w.moea.pk],
        },
        writers=NDC,
    ),
    "fieldwork:findings": Check(
        kwargs=lambda w: {"pk": w.field.pk, "item_pk": w.field_item.pk},
        get=outcomes(405),
        write=FIELD_NDC_WRITE,
        data=lambda w: {"version": w.field_item.version, "findings": "matrix"},
        writers=NDC,
    ),
    "fieldwork:evidence_upload": Check(
        kwargs=lambda w: {"pk": w.field.pk, "item_pk": w.field_item.pk},
        get=outcomes(405),
        write=FIELD_NDC_WRITE,
        data=_png_upload,
        writers=NDC,
    ),
    "fieldwork:recommendation_add": Check(
        kwargs=lambda w: {"pk": w.field.pk, "item_pk": w.field_item.pk},
        get=outcomes(405),
        write=FIELD_NDC_WRITE,
        data=lambda w: {
            f"r{w.field_item.pk}-text": "matrix",
            f"r{w.field_item.pk}-owner": w.moea.pk,
            f"r{w.field_item.pk}-due_date": "2022-12-31",
        },
        writers=NDC,
    ),
    # Evidence files: the parties only, never the public.
    "fieldwork:evidence": Check(
        kwargs=lambda w: {"pk": w.field.pk, "evidence_id": w.field_evidence.pk},
        get=among(PARTY_A, 200, 404),
        write=among(PARTY_A, 200, 404),
    ),
    "fieldwork:recommendation_delete": Check(
        kwargs=lambda w: {"pk": w.field.pk, "recommendation_id": w.field_recommendation.pk},
        get=outcomes(405),
        write=FIELD_NDC_WRITE,
        writers=NDC,
    ),
    # Planned, findings missing: completing is refused (400); publishing and reopening are out of order.
    "fieldwork:complete": Check(
        kwargs=lambda w: {"pk": w.field.pk},
        get=outcomes(405),
        write=FIELD_NDC_WRITE | {"reviewer": 400, "admin": 400},
        data=lambda w: {"version": w.field.version},
    ),
    "fieldwork:publish": Check(
        kwargs=lambda w: {"pk": w.field.pk},
        get=outcomes(405),
        write=FIELD_NDC_WRITE | {"reviewer": 409, "admin": 409},
        data=lambda w: {"version": w.field.version},
    ),
    "fieldwork:reopen": Check(
        kwargs=lambda w: {"pk": w.field.pk},
        get=outcomes(405),
        write=FIELD_NDC_WRITE | {"reviewer": 409, "admin": 409},
        data=lambda w: {"version": w.field.version, "reason": "matrix"},
    ),
    "fieldwork:cancel": Check(
        kwargs=lambda w: {"pk": w.field.pk},
        get=outcomes(405),
        write=FIELD_NDC_WRITE,
        data=lambda w: {"version": w.field.version, "reason": "matrix"},
        writers=NDC,
    ),
    # Follow-up items (追蹤事項): agency A's item (a decision of the meeting) is read by agency A and NDC
    # (the public reads published items); NDC rules on it. It is tracked and unpublished, so "track
    # again" and "unpublish" are refused to NDC as the wrong state (409), nothing written.
    "followups:index": Check(get=PUBLIC, write=PUBLIC),
    "followups:detail": Check(
        kwargs=lambda w: {"pk": w.follow_up.pk}, get=among(PARTY_A, 200, 404), write=outcomes(405)
    ),
    **{
        f"followups:{step}": Check(
            kwargs=lambda w: {"pk": w.follow_up.pk},
            get=outcomes(405),
            write=among(PARTY_A, 403, 404, anonymous="login")
            | (
                {"reviewer": "redirect", "admin": "redirect"} if accepted else {"reviewer": 409, "admin": 409}
            ),
            data=lambda w: {"version": w.follow_up.version, "comment": "matrix"},
            writers=NDC if accepted else set(),
        )
        for step, accepted in (
            ("close", True),
            ("keep", True),
            ("publish", True),
            ("reopen", False),
            ("unpublish", False),
        )
    },
    # Strategic supplies: aggregated figures public; writes by the responsible agency's editors and NDC admins.
    "supplies:dashboard": Check(get=PUBLIC, write=PUBLIC, query="?as_of=2022-07-05"),
    "supplies:alerts": Check(get=PUBLIC, write=PUBLIC),
    "supplies:item": Check(kwargs=lambda w: {"code": w.item.code}, get=PUBLIC, write=PUBLIC),
    "supplies:observation_new": Check(
        get=among(SUPPLY_EDITORS, 200, 403, anonymous="login"),
        write=among(SUPPLY_EDITORS, "redirect", 403, anonymous="login"),
        data=lambda w: {
            "item": w.item.pk,
            "reporter": w.reporter.pk,
            "date": "2022-07-01",
            "stock": "42",
        },
        writers=SUPPLY_EDITORS,
    ),
    "supplies:import": Check(
        get=among(SUPPLY_EDITORS, 200, 403, anonymous="login"),
        write=among(SUPPLY_EDITORS, 200, 403, anonymous="login"),
        data=_observation_csv,
        writers=SUPPLY_EDITORS,
    ),
    "supplies:item_edit": Check(
        kwargs=lambda w: {"code": w.item.code},
        get=among(SUPPLY_EDITORS, 200, 403, anonymous="login"),
        write=among(SUPPLY_EDITORS, "redirect", 403, anonymous="login"),
        data=lambda w: {"form": "minimum", "minimum-effective_from": "2022-07-01", "minimum-value": "7"},
        writers=SUPPLY_EDITORS,
    ),
    # The API's own pages (the operations are checked below, by operationId).
    "api-schema": Check(get=PUBLIC, write=outcomes(405)),
    "api-docs": Check(get=PUBLIC, write=outcomes(405)),
    "api-root": Check(get=PUBLIC, write=outcomes(405, anonymous=401)),
}

# API routes: checked through their OpenAPI operations (the operationIds each route serves).
API_ROUTES: dict[str, tuple[str, ...]] = {
    "evaluation-kpis": ("evaluation_kpis_list",),
    "evaluation-rollups": ("evaluation_rollups_list",),
    "plan-kpi-list": ("plan_kpis_list",),
    "plan-kpi-detail": ("plan_kpis_retrieve",),
    "plan-work-item-list": ("plan_work_items_list",),
    "plan-work-item-detail": ("plan_work_items_retrieve",),
    "plan-industry-list": ("plan_industries_list",),
    "plan-industry-detail": ("plan_industries_retrieve",),
    "plan-measure-list": ("plan_measures_list",),
    "plan-measure-detail": ("plan_measures_retrieve",),
    "plan-budget-list": ("plan_budget_list",),
    "plan-agency-list": ("plan_agencies_list",),
    "plan-agency-detail": ("plan_agencies_retrieve",),
    "progress-period-list": ("progress_periods_list",),
    "progress-period-detail": ("progress_periods_retrieve",),
    "progress-submission-list": ("progress_submissions_list",),
    "progress-submission-detail": ("progress_submissions_retrieve",),
    "progress-submission-approve": ("progress_submissions_approve_create",),
    "progress-submission-consolidate": ("progress_submissions_consolidate_create",),
    "progress-submission-lines": ("progress_submissions_lines_partial_update",),
    "progress-submission-reopen": ("progress_submissions_reopen_create",),
    "progress-submission-return": ("progress_submissions_return_create",),
    "progress-submission-submit": ("progress_submissions_submit_create",),
    "progress-submission-internal-review": ("progress_submissions_internal_review_create",),
    "progress-submission-internal-return": ("progress_submissions_internal_return_create",),
    "progress-kpi-report-list": ("progress_kpi_reports_list", "progress_kpi_reports_create"),
    "follow-up-list": ("follow_ups_list",),
    "follow-up-detail": ("follow_ups_retrieve",),
    **{
        f"follow-up-{step}": (f"follow_ups_{step}_create",)
        for step in ("close", "keep", "reopen", "publish", "unpublish", "respond")
    },
    "supplies-status": ("supplies_status_list",),
    "supplies-import": ("supplies_import_create",),
    **{
        f"supplies-{name}-list": (f"supplies_{name}s_list", f"supplies_{name}s_create")
        for name in ("item", "minimum", "reporter", "assignment", "observation")
    },
    **{
        f"supplies-{name}-detail": tuple(
            f"supplies_{name}s_{op}" for op in ("retrieve", "update", "partial_update", "destroy")
        )
        for name in ("item", "minimum", "reporter", "assignment", "observation")
    },
    "supplies-alert-list": ("supplies_alerts_list",),
    "supplies-alert-detail": ("supplies_alerts_retrieve",),
    "annual-evaluation-list": ("annual_evaluations_list",),
    "annual-evaluation-detail": ("annual_evaluations_retrieve",),
    "annual-evaluation-scores": ("annual_evaluations_scores_partial_update",),
    **{
        f"annual-evaluation-{step}": (f"annual_evaluations_{step.replace('-', '_')}_create",)
        for step in (
            "submit-self",
            "complete-initial",
            "complete-review",
            "approve",
            "publish",
            "return",
            "reopen",
            "extend",
        )
    },
    "annual-indicator-list": ("annual_evaluations_indicators_list",),
    "annual-grade-list": ("annual_evaluations_grades_list",),
    "annual-cycle-list": ("annual_evaluations_cycles_list",),
    "field-verification-list": ("field_verifications_list", "field_verifications_create"),
    "field-verification-detail": ("field_verifications_retrieve", "field_verifications_partial_update"),
    "field-verification-candidates": ("field_verifications_candidates_list",),
    **{
        f"field-verification-{step}": (f"field_verifications_{step}_create",)
        for step in ("cancel", "complete", "publish", "reopen")
    },
    **{
        f"field-verification-{kind}": (f"field_verifications_items_{kind}_create",)
        for kind in ("evidence", "findings", "recommendations")
    },
}

# --- the API matrix (operationId → check) ---------------------------------------------------------------

API_DRAFT_GET = among(DRAFT_READERS, 200, 404)


def _transition(write: dict[str, Any], writers: set[str] = frozenset()) -> Check:
    return Check(
        kwargs=lambda w: {"pk": w.draft.pk},
        write=write,
        data=lambda w: {"comment": "matrix", "reason": "matrix"},
        writers=set(writers),
    )


# Readers of the draft who may not perform a step get 403; those who may but not on a draft get 409.
DRAFT_STEP = among(DRAFT_READERS, 403, 404, anonymous=401)
SUPPLY_WRITE = among(SUPPLY_EDITORS, 200, 403, anonymous=401)
FIELD_API_WRITE = among(PARTY_A, 403, 404, anonymous=401) | {"reviewer": 200, "admin": 200}
SUPPLY_DETAILS = among({"viewer", "editor", "reviewer", "admin"}, 200, 404, anonymous=401)

API: dict[str, Check] = {
    "evaluation_kpis_list": Check(get=PUBLIC, query="?period=111Q2"),
    "evaluation_rollups_list": Check(get=PUBLIC, query="?period=111Q2"),
    "plan_agencies_list": Check(get=PUBLIC),
    "plan_agencies_retrieve": Check(kwargs=lambda w: {"code": "moea"}, get=PUBLIC),
    "plan_budget_list": Check(get=PUBLIC),
    "plan_industries_list": Check(get=PUBLIC),
    "plan_industries_retrieve": Check(kwargs=lambda w: {"code": "3"}, get=PUBLIC),
    "plan_kpis_list": Check(get=PUBLIC),
    "plan_kpis_retrieve": Check(
        kwargs=lambda w: {"measure": w.kpi.measure.code, "code": w.kpi.code}, get=PUBLIC
    ),
    "plan_measures_list": Check(get=PUBLIC),
    "plan_measures_retrieve": Check(kwargs=lambda w: {"code": w.kpi.measure.code}, get=PUBLIC),
    "plan_work_items_list": Check(get=PUBLIC),
    "plan_work_items_retrieve": Check(
        kwargs=lambda w: {"schedule": w.work_item.schedule.code, "code": w.work_item.code}, get=PUBLIC
    ),
    "progress_periods_list": Check(get=PUBLIC),
    "progress_periods_retrieve": Check(kwargs=lambda w: {"code": "111Q2"}, get=PUBLIC),
    "progress_submissions_list": Check(get=PUBLIC, query="?period=111Q2&limit=1000"),
    "progress_submissions_retrieve": Check(kwargs=lambda w: {"pk": w.draft.pk}, get=API_DRAFT_GET),
    "progress_submissions_submit_create": _transition(DRAFT_STEP | {"editor": 200}, {"editor"}),
    "progress_submissions_approve_create": _transition(DRAFT_STEP | {"reviewer": 409, "admin": 409}),
    "progress_submissions_return_create": _transition(DRAFT_STEP | {"reviewer": 409, "admin": 409}),
    "progress_submissions_reopen_create": _transition(DRAFT_STEP | {"admin": 409}),
    # 陳核: only where NDC set internal review for the agency (not in the matrix's data): 403 for all.
    "progress_submissions_internal_review_create": _transition(DRAFT_STEP),
    "progress_submissions_internal_return_create": _transition(DRAFT_STEP),
    # The lead unit (and NDC) consolidate submitted reports: on a draft, 409.
    "progress_submissions_consolidate_create": _transition(
        DRAFT_STEP | {"lead": 409, "reviewer": 409, "admin": 409}
    ),
    "progress_submissions_lines_partial_update": Check(
        kwargs=lambda w: {"pk": w.draft.pk},
        method="patch",
        write=DRAFT_STEP | {"editor": 200},
        data=lambda w: {"version": w.draft.version, "kpis": {w.kpi.code: {"note": "matrix"}}},
        writers={"editor"},
    ),
    "progress_kpi_reports_list": Check(get=PUBLIC, query="?period=111Q2&limit=1000"),
    # Follow-up items: agency A's item read by agency A and NDC; NDC rules (409 in the wrong state);
    # A's editors answer it in the report that carries it.
    "follow_ups_list": Check(get=PUBLIC),
    "follow_ups_retrieve": Check(kwargs=lambda w: {"pk": w.follow_up.pk}, get=among(PARTY_A, 200, 404)),
    **{
        f"follow_ups_{step}_create": Check(
            kwargs=lambda w: {"pk": w.follow_up.pk},
            write=among(PARTY_A, 403, 404, anonymous=401) | {"reviewer": status, "admin": status},
            data=lambda w: {"version": w.follow_up.version, "comment": "matrix"},
            writers=NDC if status == 200 else set(),
        )
        for step, status in (
            ("close", 200),
            ("keep", 200),
            ("publish", 200),
            ("reopen", 409),
            ("unpublish", 409),
        )
    },
    "follow_ups_respond_create": Check(
        kwargs=lambda w: {"pk": w.follow_up.pk},
        write=among(PARTY_A, 403, 404, anonymous=401) | {"editor": 200},
        data=lambda w: {"submission": w.follow_up_report.pk, "text": "matrix"},
        writers={"editor"},
    ),
    # The line is the caller's agency's: only A's editor has a line for this KPI (others: no line, 403).
    "progress_kpi_reports_create": Check(
        write=outcomes(403, anonymous=401, editor=200),
        data=lambda w: {
            "kpi": w.kpi.code,
            "measure": w.kpi.measure.code,
            "period": "111Q2",
            "note": "matrix",
        },
        writers={"editor"},
    ),
    # Field verification: NDC writes; agency A's users read (403 on a write); others do not see it (404).
    "field_verifications_list": Check(get=PUBLIC),
    "field_verifications_create": Check(
        write=among(NDC, 400, 403, anonymous=401),  # no candidate in the matrix's data
        data=lambda w: {
            "title": "matrix",
            "date": "2022-07-20",
            "place": "m",
            "reviewers": "m",
            "period": "111Q2",
            "picks": ["kpi:1.2/1.2.2"],
        },
    ),
    "field_verifications_retrieve": Check(kwargs=lambda w: {"pk": w.field.pk}, get=among(PARTY_A, 200, 404)),
    "field_verifications_partial_update": Check(
        kwargs=lambda w: {"pk": w.field.pk},
        method="patch",
        write=FIELD_API_WRITE,
        data=lambda w: {"version": w.field.version, "place": "matrix"},
        writers=NDC,
    ),
    "field_verifications_candidates_list": Check(
        get=among(NDC, 200, 403, anonymous=401), query="?period=111Q2"
    ),
    "field_verifications_cancel_create": Check(
        kwargs=lambda w: {"pk": w.field.pk},
        write=FIELD_API_WRITE,
        data=lambda w: {"version": w.field.version, "reason": "matrix"},
        writers=NDC,
    ),
    "field_verifications_complete_create": Check(
        kwargs=lambda w: {"pk": w.field.pk}, write=FIELD_API_WRITE | {"reviewer": 400, "admin": 400}
    ),
    "field_verifications_publish_create": Check(
        kwargs=lambda w: {"pk": w.field.pk}, write=FIELD_API_WRITE | {"reviewer": 409, "admin": 409}
    ),
    "field_verifications_reopen_create": Check(
        kwargs=lambda w: {"pk": w.field.pk},
        write=FIELD_API_WRITE | {"reviewer": 409, "admin": 409},
        data=lambda w: {"reason": "matrix"},
    ),
    "field_verifications_items_findings_create": Check(
        kwargs=lambda w: {"pk": w.field.pk, "item_id": w.field_item.pk},
        write=FIELD_API_WRITE,
        data=lambda w: {"version": w.field_item.version, "findings": "matrix"},
        writers=NDC,
    ),
    "field_verifications_items_recommendations_create": Check(
        kwargs=lambda w: {"pk": w.field.pk, "item_id": w.field_item.pk},
        write=FIELD_API_WRITE | {"reviewer": 201, "admin": 201},
        data=lambda w: {"text": "matrix", "owner": "moea", "due_date": "2022-12-31"},
        writers=NDC,
    ),
    "field_verifications_items_evidence_create": Check(
        kwargs=lambda w: {"pk": w.field.pk, "item_id": w.field_item.pk},
        write=FIELD_API_WRITE | {"reviewer": 201, "admin": 201},
        data=_png_upload,
        writers=NDC,
    ),
    "supplies_status_list": Check(get=PUBLIC, query="?as_of=2022-07-05"),
    "supplies_import_create": Check(
        write=among(SUPPLY_EDITORS, 201, 403, anonymous=401), data=_observation_csv, writers=SUPPLY_EDITORS
    ),
    "supplies_alerts_list": Check(get=PUBLIC),
    # A reporter-level alert: only NDC and the responsible agency see it.
    "supplies_alerts_retrieve": Check(
        kwargs=lambda w: {"pk": w.alert.pk}, get=among({"viewer", "editor", "reviewer", "admin"}, 200, 404)
    ),
    "supplies_items_list": Check(get=PUBLIC),
    "supplies_items_create": Check(
        write=among({"admin"}, 201, 403, anonymous=401),
        data=lambda w: {
            "code": "matrix-item",
            "name": "matrix",
            "unit": "t",
            "responsible_agency": "moea",
            "frequency": w.item.frequency,
            "minimum_kind": w.item.minimum_kind,
        },
        writers={"admin"},
    ),
    "supplies_items_retrieve": Check(kwargs=lambda w: {"code": w.item.code}, get=PUBLIC),
    "supplies_items_update": Check(
        kwargs=lambda w: {"code": w.item.code},
        method="put",
        write=SUPPLY_WRITE,
        data=lambda w: _item_body(w),
        writers=SUPPLY_EDITORS,
    ),
    "supplies_items_partial_update": Check(
        kwargs=lambda w: {"code": w.item.code},
        method="patch",
        write=SUPPLY_WRITE,
        data=lambda w: {"notes": "matrix"},
        writers=SUPPLY_EDITORS,
    ),
    "supplies_items_destroy": Check(
        kwargs=lambda w: {"code": w.spare_item.code},
        method="delete",
        write=among({"admin"}, 204, 403, anonymous=401),
        writers={"admin"},
    ),
    "supplies_minimums_list": Check(get=PUBLIC),
    "supplies_minimums_create": Check(
        write=among(SUPPLY_EDITORS, 201, 403, anonymous=401),
        data=lambda w: {"item": w.item.code, "effective_from": "2022-07-01", "value": "7"},
        writers=SUPPLY_EDITORS,
    ),
    "supplies_minimums_retrieve": Check(kwargs=lambda w: {"pk": w.minimum.pk}, get=PUBLIC),
    "supplies_minimums_update": Check(
        kwargs=lambda w: {"pk": w.minimum.pk},
        method="put",
        write=SUPPLY_WRITE,
        data=lambda w: {"item": w.item.code, "effective_from": str(w.minimum.effective_from), "value": "8"},
        writers=SUPPLY_EDITORS,
    ),
    "supplies_minimums_partial_update": Check(
        kwargs=lambda w: {"pk": w.minimum.pk},
        method="patch",
        write=SUPPLY_WRITE,
        data=lambda w: {"value": "9"},
        writers=SUPPLY_EDITORS,
    ),
    "supplies_minimums_destroy": Check(
        kwargs=lambda w: {"pk": w.minimum.pk},
        method="delete",
        write=among(SUPPLY_EDITORS, 204, 403, anonymous=401),
        writers=SUPPLY_EDITORS,
    ),
    # Reporters: signed-in; a company is listed only to NDC and the agencies whose items it reports.
    "supplies_reporters_list": Check(get=outcomes(200, anonymous=401)),
    "supplies_reporters_create": Check(
        write=among(EDITOR_ROLES | {"admin"}, 201, 403, anonymous=401),
        data=lambda w: {"code": "matrix-co", "name": "matrix", "kind": w.reporter.kind},
        writers=EDITOR_ROLES | {"admin"},
    ),
    "supplies_reporters_retrieve": Check(kwargs=lambda w: {"code": w.reporter.code}, get=SUPPLY_DETAILS),
    "supplies_reporters_update": Check(
        kwargs=lambda w: {"code": w.reporter.code},
        method="put",
        write=among(SUPPLY_EDITORS, 200, 404, anonymous=401) | {"viewer": 403, "reviewer": 403},
        data=lambda w: {"code": w.reporter.code, "name": "matrix", "kind": w.reporter.kind},
        writers=SUPPLY_EDITORS,
    ),
    "supplies_reporters_partial_update": Check(
        kwargs=lambda w: {"code": w.reporter.code},
        method="patch",
        write=among(SUPPLY_EDITORS, 200, 404, anonymous=401) | {"viewer": 403, "reviewer": 403},
        data=lambda w: {"name": "matrix"},
        writers=SUPPLY_EDITORS,
    ),
    "supplies_reporters_destroy": Check(
        kwargs=lambda w: {"code": w.spare_reporter.code},
        method="delete",
        write=among({"admin"}, 204, 404, anonymous=401) | {"viewer": 403, "editor": 403, "reviewer": 403},
        writers={"admin"},
    ),
    "supplies_assignments_list": Check(get=outcomes(200, anonymous=401)),
    "supplies_assignments_create": Check(
        write=among(SUPPLY_EDITORS, 201, 403, anonymous=401),
        data=lambda w: {"item": w.spare_item.code, "reporter": w.reporter.code},
        writers=SUPPLY_EDITORS,
    ),
    "supplies_assignments_retrieve": Check(kwargs=lambda w: {"pk": w.assignment.pk}, get=SUPPLY_DETAILS),
    "supplies_assignments_update": Check(
        kwargs=lambda w: {"pk": w.assignment.pk},
        method="put",
        write=SUPPLY_DETAILS | {"viewer": 403, "reviewer": 403},
        data=lambda w: {"item": w.item.code, "reporter": w.reporter.code, "safety_level": "1"},
        writers=SUPPLY_EDITORS,
    ),
    "supplies_assignments_partial_update": Check(
        kwargs=lambda w: {"pk": w.assignment.pk},
        method="patch",
        write=SUPPLY_DETAILS | {"viewer": 403, "reviewer": 403},
        data=lambda w: {"safety_level": "2"},
        writers=SUPPLY_EDITORS,
    ),
    "supplies_assignments_destroy": Check(
        kwargs=lambda w: {"pk": w.spare_assignment.pk},
        method="delete",
        write=among(SUPPLY_EDITORS, 204, 404, anonymous=401) | {"viewer": 403, "reviewer": 403},
        writers=SUPPLY_EDITORS,
    ),
    "supplies_observations_list": Check(get=outcomes(200, anonymous=401)),
    "supplies_observations_create": Check(
        write=among(SUPPLY_EDITORS, 201, 403, anonymous=401),
        data=lambda w: {"item": w.item.code, "reporter": w.reporter.code, "date": "2022-07-01", "stock": "5"},
        writers=SUPPLY_EDITORS,
    ),
    "supplies_observations_retrieve": Check(kwargs=lambda w: {"pk": w.observation.pk}, get=SUPPLY_DETAILS),
    "supplies_observations_update": Check(
        kwargs=lambda w: {"pk": w.observation.pk},
        method="put",
        write=among(SUPPLY_EDITORS, 200, 404, anonymous=401) | {"viewer": 403, "reviewer": 403},
        data=lambda w: {"item": w.item.code, "reporter": w.reporter.code, "date": "2022-06-30", "stock": "6"},
        writers=SUPPLY_EDITORS,
    ),
    "supplies_observations_partial_update": Check(
        kwargs=lambda w: {"pk": w.observation.pk},
        method="patch",
        write=among(SUPPLY_EDITORS, 200, 404, anonymous=401) | {"viewer": 403, "reviewer": 403},
        data=lambda w: {"stock": "7"},
        writers=SUPPLY_EDITORS,
    ),
    "supplies_observations_destroy": Check(
        kwargs=lambda w: {"pk": w.observation.pk},
        method="delete",
        write=among(SUPPLY_EDITORS, 204, 404, anonymous=401) | {"viewer": 403, "reviewer": 403},
        writers=SUPPLY_EDITORS,
    ),
}


def _annual_step(write: dict[str, Any], writers: set[str] = frozenset(), data=None) -> Check:
    return Check(
        kwargs=lambda w: {"pk": w.annual.pk},
        write=write,
        data=data or (lambda w: {"comment": "matrix", "reason": "matrix"}),
        writers=set(writers),
    )


# Agency A's year-end evaluation in 自評: read like the quarterly draft; its owner scores it; NDC
# extends its deadline; every other step is refused for the right (403/404) or the stage (409).
API.update(
    {
        "annual_evaluations_list": Check(get=PUBLIC, query="?year=110&limit=1000"),
        "annual_evaluations_retrieve": Check(kwargs=lambda w: {"pk": w.annual.pk}, get=API_DRAFT_GET),
        "annual_evaluations_scores_partial_update": Check(
            kwargs=lambda w: {"pk": w.annual.pk},
            method="patch",
            write=DRAFT_STEP | {"editor": 200},
            data=lambda w: {
                "stage": "self",
                "version": w.annual.version,
                "scores": {"planning": {"score": 50}},
            },
            writers={"editor"},
        ),
        # Not every indicator is scored yet: the owner's submit is refused (400), nothing written.
        "annual_evaluations_submit_self_create": _annual_step(DRAFT_STEP | {"editor": 400}),
        "annual_evaluations_complete_initial_create": _annual_step(DRAFT_STEP | {"lead": 409}),
        "annual_evaluations_complete_review_create": _annual_step(
            DRAFT_STEP | {"reviewer": 409, "admin": 409}
        ),
        "annual_evaluations_approve_create": _annual_step(DRAFT_STEP | {"admin": 409}),
        "annual_evaluations_publish_create": _annual_step(DRAFT_STEP | {"admin": 409}),
        "annual_evaluations_return_create": _annual_step(DRAFT_STEP | {"reviewer": 409, "admin": 409}),
        "annual_evaluations_reopen_create": _annual_step(DRAFT_STEP | {"admin": 409}),
        "annual_evaluations_extend_create": _annual_step(
            DRAFT_STEP | {"reviewer": 200, "admin": 200},
            {"reviewer", "admin"},
            lambda w: {"until": "2022-08-10", "reason": "matrix"},
        ),
        "annual_evaluations_indicators_list": Check(get=PUBLIC, query="?year=110"),
        "annual_evaluations_grades_list": Check(get=PUBLIC, query="?year=110"),
        "annual_evaluations_cycles_list": Check(get=PUBLIC),
    }
)


def _item_body(w) -> dict:
    from sixcore.supplies.api.serializers import SupplyItemSerializer

    body = dict(SupplyItemSerializer(w.item).data)
    body["notes"] = "matrix"
    return {k: v for k, v in body.items() if v is not None}


# --- machinery ---------------------------------------------------------------------------------------

WRITE_SQL = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|COPY|CREATE|DROP|ALTER|TRUNCATE)\b", re.I)
# Tables a request may write without changing data: the session, the login-attempt log.
BOOKKEEPING = re.compile(r"django_session|axes_", re.I)


def _written_tables(queries) -> list[str]:
    return [q["sql"][:120] for q in queries if WRITE_SQL.match(q["sql"]) and not BOOKKEEPING.search(q["sql"])]


def fingerprint(world: World) -> str:
    """A digest of every table a write endpoint touches, and of the files under MEDIA_ROOT."""
    from django.apps import apps

    digest = hashlib.sha256()
    labels = [
        "progress.Submission",
        "progress.KPIReport",
        "progress.MeasureReport",
        "progress.WorkItemReport",
        "progress.BudgetReport",
        "progress.Attachment",
        "progress.PeriodReopening",
        "coordination.CoordinationIssue",
        "coordination.Meeting",
        "coordination.Decision",
        "followups.FollowUp",
        "followups.FollowUpResponse",
        "followups.FollowUpRuling",
        "fieldwork.FieldVerification",
        "fieldwork.VerifiedItem",
        "fieldwork.Evidence",
        "fieldwork.Recommendation",
        "revisions.PlanRevision",
        "plan.Program",
        "plan.BudgetLine",
        "supplies.SupplyItem",
        "supplies.Minimum",
        "supplies.Reporter",
        "supplies.Assignment",
        "supplies.Observation",
        "supplies.ImportBatch",
        "annual.AnnualEvaluation",
        "annual.IndicatorScore",
        "core.ObjectChange",
    ]
    for label in labels:
        model = apps.get_model(label)
        queryset = model.objects.order_by("pk")
        if label.startswith("progress.") and label not in ("progress.PeriodReopening",):
            key = "pk" if label == "progress.Submission" else "submission"
            queryset = queryset.filter(**{key: world.draft.pk})
        if label in ("plan.BudgetLine", "core.ObjectChange"):
            digest.update(repr((queryset.count(), queryset.values_list("pk", flat=True).last())).encode())
            continue
        digest.update(repr(list(queryset.values_list())).encode())
    digest.update(repr(sorted(str(p) for p in world.media.rglob("*"))).encode())
    return digest.hexdigest()


def leaks(text: str) -> bool:
    """Whether a response shows something only agency A's draft contains (its note or its KPI actual)."""
    return MARK in text or MARK_VALUE_SEEN.search(text) is not None


def outcome(response) -> Any:
    if response.status_code in (301, 302):
        location = response["Location"]
        return "login" if "/login/" in location else "redirect"
    return response.status_code


def body_text(response) -> str:
    """The response's content as text, zip members (xlsx, docx, csv bundles) included."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    texts = [content.decode("utf-8", "replace")]
    if content.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(BytesIO(content)) as archive:
            texts += [archive.read(n).decode("utf-8", "replace") for n in archive.namelist()]
    return "\n".join(texts)


def perform(
    world: World, client, method: str, url: str, data: Any, *, api: bool
) -> tuple[Any, list, bool, str]:
    """Run one request in a rolled-back transaction: (outcome, writes, fingerprint changed, text).

    Reads are checked by the SQL they run (no INSERT/UPDATE/DELETE); writes by that and the fingerprint.
    """
    cookies = copy.deepcopy(client.cookies)
    files = set(world.media.rglob("*"))
    with transaction.atomic():
        before = fingerprint(world) if method != "get" else ""
        with CaptureQueriesContext(connection) as queries:
            kwargs = (
                {"format": "multipart" if isinstance(data, dict) and "file" in data else "json"}
                if api
                else {}
            )
            if method == "get":
                response = client.get(url)
            else:
                response = getattr(client, method)(url, data, **kwargs)
        # A logout (or a session rotated by a view) must not log the shared client out for later checks.
        client.cookies = cookies
        text = (
            body_text(response)
            if response.status_code == 200
            else response.content.decode("utf-8", "replace")
        )
        writes = _written_tables(queries.captured_queries)
        changed = method != "get" and fingerprint(world) != before
        transaction.set_rollback(True)
    for path in set(world.media.rglob("*")) - files:  # files written by accepted uploads
        if path.is_file():
            path.unlink()
    return outcome(response), writes, changed, text


def walk(patterns, prefix: str = "", namespace: str | None = None):
    """(route, name, namespace) of every pattern, recursively through includes."""
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace and (f"{namespace}:{p.namespace}" if namespace else p.namespace) or namespace
            yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else p.name
            yield prefix + str(p.pattern), name, namespace


def all_routes() -> list[tuple[str, str | None, str | None]]:
    return list(walk(get_resolver().url_patterns))


def schema_operations() -> dict[str, tuple[str, str]]:
    """operationId → (method, path) from the OpenAPI schema generated in-process."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        op["operationId"]: (method, path)
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
    }


def check_one(world, name, check, url, *, api: bool, method: str) -> list[str]:
    failures = []
    expected_get, expected_write = check.get, check.write
    for role in ROLES:
        client = (world.api if api else world.clients)[role]
        if not api or expected_get is not None:
            want = expected_get if expected_get is not None else outcomes(405)
            got, writes, changed, text = perform(world, client, "get", url + check.query, None, api=api)
            if got != want[role]:
                failures.append(f"{name} GET as {role}: {got}, expected {want[role]}")
            if writes or changed:
                failures.append(f"{name} GET as {role} wrote: {writes or 'fingerprint changed'}")
            if role not in DRAFT_READERS and leaks(text):
                failures.append(f"{name} GET as {role}: the response shows agency A's draft")
        if expected_write is None and not api:
            continue
        if expected_write is None:
            continue
        got, writes, changed, text = perform(
            world, client, method, url + check.query, check.data(world), api=api
        )
        if got != expected_write[role]:
            failures.append(f"{name} {method.upper()} as {role}: {got}, expected {expected_write[role]}")
        if role in check.writers:
            if not (writes or changed):
                failures.append(f"{name} {method.upper()} as {role}: accepted but nothing was written")
        elif writes or changed:
            failures.append(f"{name} {method.upper()} as {role} wrote: {writes or 'fingerprint changed'}")
        if role not in DRAFT_READERS and leaks(text):
            failures.append(f"{name} {method.upper()} as {role}: the response shows agency A's draft")
    return failures


# --- the tests ---------------------------------------------------------------------------------------


def _admin_key(route: str, name: str | None) -> str:
    return name or f"admin:<unnamed {route.split('/', 1)[-1]}>"


def test_every_url_is_in_the_matrix():
    unknown = sorted(
        {
            name or route
            for route, name, namespace in all_routes()
            if namespace != "admin" and name not in WEB and name not in API_ROUTES
        }
    )
    assert unknown == [], f"URLs the permission matrix does not know about: {unknown}"
    stale = sorted(set(WEB) - {name for _, name, _ in all_routes()})
    assert stale == [], f"matrix entries for URLs that no longer exist: {stale}"


def test_every_api_operation_is_in_the_matrix():
    operations = schema_operations()
    assert sorted(set(operations) - set(API)) == [], "API operations the matrix does not know about"
    assert sorted(set(API) - set(operations)) == [], "matrix entries for operations that no longer exist"
    served = {op for ops in API_ROUTES.values() for op in ops}
    assert served == set(operations), "API routes and operations disagree"


def test_the_admin_is_where_configured_and_closed_to_every_role(world):
    """Every admin URL (each model's list, add, change, delete, history) sends every role to the admin
    login: none of the roles is staff. The admin is found through the resolver, at SIXCORE_ADMIN_PATH."""
    from django.apps import apps
    from django.contrib import admin

    admin_path = os.environ.get("SIXCORE_ADMIN_PATH", "admin/").strip("/") + "/"
    routes = [(route, name) for route, name, namespace in all_routes() if namespace == "admin"]
    assert routes and all(route.startswith(admin_path) for route, _ in routes)
    objects = {}
    for model in admin.site._registry:
        instance = model._default_manager.order_by("pk").first()
        objects[(model._meta.app_label, model._meta.model_name)] = instance.pk if instance else 1
    failures = []
    for route, name in routes:
        if name == "admin:logout":
            continue  # POST only; it ends the session, nothing else
        match = re.match(rf"{re.escape(admin_path)}(\w+)/(\w+)/", route)
        object_id = objects.get(match.groups(), 1) if match else 1
        url = "/" + route.replace("<path:content_type_id>", "1")
        url = re.sub(r"<(?:path:)?(?:object_id|id)>", str(object_id), url)
        url = url.replace("(?P<url>.*)", "nowhere/").replace("^", "").replace("$", "")
        url = re.sub(r"\(\?P<app_label>[^)]+\)", "progress", url)
        assert "<" not in url and "(" not in url, url
        for role in ROLES:
            got, writes, _changed, _text = perform(world, world.clients[role], "get", url, None, api=False)
            # The login form itself is shown; every other admin page sends non-staff users to it.
            expected = (200,) if name == "admin:login" else ("login", 404)
            if got not in expected or writes:
                failures.append(f"{_admin_key(route, name)} {url} as {role}: {got} {writes}")
    assert not failures, "\n".join(failures)
    # The harness can tell: a staff superuser gets the admin index.
    staff = Client()
    staff.force_login(type(world.users["admin"]).objects.create_superuser("matrix-staff", password=None))
    assert staff.get(reverse("admin:index")).status_code == 200
    assert apps.is_installed("django.contrib.admin")


@pytest.mark.parametrize("name", sorted(WEB))
def test_web_matrix(world, name):
    check = WEB[name]
    url = reverse(name, kwargs=check.kwargs(world))
    failures = check_one(world, name, check, url, api=False, method="post")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("operation", sorted(API))
def test_api_matrix(world, operation):
    check = API[operation]
    method, path = schema_operations_cached()[operation]
    kwargs = check.kwargs(world)
    url = re.sub(r"\{(\w+)\}", lambda m: str(kwargs.get(m.group(1), kwargs.get("pk"))), path)
    if method == "get":
        check = Check(kwargs=check.kwargs, get=check.get, query=check.query)
    failures = check_one(world, operation, check, url, api=True, method=method)
    assert not failures, "\n".join(failures)


_operations: dict[str, tuple[str, str]] = {}


def schema_operations_cached() -> dict[str, tuple[str, str]]:
    if not _operations:
        _operations.update(schema_operations())
    return _operations


def test_the_draft_marker_is_seen_by_those_who_may_read_the_draft(world):
    """The marker check above can fail: the draft's readers do see it, in pages, API bodies and workbooks."""
    seen = {
        "page": perform(
            world, world.clients["editor"], "get", f"/progress/submissions/{world.draft.pk}/", None, api=False
        ),
        "api": perform(
            world, world.api["lead"], "get", f"/api/progress/submissions/{world.draft.pk}/", None, api=True
        ),
        "workbook": perform(
            world, world.clients["viewer"], "get", "/progress/excel/download/?period=111Q2", None, api=False
        ),
        "export": perform(
            world,
            world.clients["admin"],
            "get",
            "/reports/export/submissions.json?period=111Q2",
            None,
            api=False,
        ),
    }
    assert {key: (got, MARK in text) for key, (got, _w, _c, text) in seen.items()} == {
        key: (200, True) for key in seen
    }
    figures = perform(
        world,
        world.api["viewer"],
        "get",
        "/api/progress/kpi-reports/?period=111Q2&agency=moea&limit=1000",
        None,
        api=True,
    )
    assert figures[0] == 200 and MARK_VALUE_SEEN.search(figures[3])
