"""Role × endpoint matrix of the cycle API: no cross-agency read of a draft, no cross-agency write.

The draft under test is 經濟部's report for industry 3 (生物及醫療科技, led by 科技部), so the industry lead
is another agency than the owner and every role is distinct.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from sixcore.progress.models import Submission
from tests.factories import editor, industry_lead, ndc_admin, ndc_reviewer, open_period, viewer

ROLES = {
    "anonymous": lambda: None,
    "owner viewer": lambda: viewer("moea"),
    "owner editor": lambda: editor("moea"),
    "other editor": lambda: editor("motc"),
    "other viewer": lambda: viewer("motc"),
    "industry lead": lambda: industry_lead("most"),
    "ndc reviewer": ndc_reviewer,
    "ndc admin": ndc_admin,
}
# Who reads the draft (policy: owning agency, the industry's lead unit, NDC).
READS_DRAFT = {"owner viewer", "owner editor", "industry lead", "ndc reviewer", "ndc admin"}
# What a PATCH of its lines answers.
PATCH_STATUS = {
    "anonymous": 401,
    "owner viewer": 403,
    "owner editor": 200,
    "other editor": 404,
    "other viewer": 404,
    "industry lead": 403,
    "ndc reviewer": 403,
    "ndc admin": 403,
}


@pytest.fixture
def draft(program, monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-05")
    period = open_period("111Q2")
    return Submission.objects.get(period=period, industry__code="3", agency__code="moea")


def client_for(role: str) -> APIClient:
    client = APIClient()
    user = ROLES[role]()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("role", ROLES)
def test_reading_a_draft(draft, role):
    client = client_for(role)
    detail = client.get(f"/api/progress/submissions/{draft.pk}/")
    listed = client.get("/api/progress/submissions/?period=111Q2&industry=3&limit=1000").json()["results"]
    kpis = client.get("/api/progress/kpi-reports/?period=111Q2&industry=3&agency=moea&limit=1000").json()
    if role in READS_DRAFT:
        assert detail.status_code == 200
        assert draft.pk in [row["id"] for row in listed]
        assert kpis["count"] == draft.kpi_reports.count()
    else:
        assert detail.status_code == 404
        assert draft.pk not in [row["id"] for row in listed]
        assert kpis["count"] == 0
        # Nothing of another agency's drafts leaks: only published rows and the caller's own drafts.
        assert all(row["status"] == "approved" or row["agency"] == "motc" for row in listed)


@pytest.mark.parametrize("role", ROLES)
def test_writing_lines_of_a_draft(draft, role):
    response = client_for(role).patch(
        f"/api/progress/submissions/{draft.pk}/lines/",
        {"version": draft.version, "kpis": {draft.kpi_reports.first().kpi.code: {"note": role}}},
        format="json",
    )
    assert response.status_code == PATCH_STATUS[role], response.content
    draft.refresh_from_db()
    written = draft.kpi_reports.exclude(note="").count()
    assert written == (1 if role == "owner editor" else 0)


@pytest.mark.parametrize("role", ROLES)
def test_kpi_actual_post_by_role(draft, role):
    # A KPI only 經濟部 reports on (科技部, the industry lead's own agency, may write its own line).
    kpi = (
        draft.kpi_reports.exclude(kpi__agencies__code__startswith="most")
        .select_related("kpi__measure")
        .first()
        .kpi
    )
    response = client_for(role).post(
        "/api/progress/kpi-reports/",
        {"kpi": kpi.code, "measure": kpi.measure.code, "period": "111Q2", "note": role},
        format="json",
    )
    expected = {"anonymous": 401, "owner editor": 201}.get(role, 403)
    assert response.status_code == expected, response.content
    assert draft.kpi_reports.exclude(note="").count() == (1 if role == "owner editor" else 0)


@pytest.mark.parametrize(
    ("role", "step", "expected"),
    [
        ("anonymous", "submit", 401),
        ("owner viewer", "submit", 403),
        ("other editor", "submit", 404),
        ("industry lead", "submit", 403),
        ("ndc reviewer", "submit", 403),
        ("ndc reviewer", "approve", 409),  # a draft cannot be approved
        ("owner editor", "approve", 403),
        ("other editor", "approve", 404),
        ("industry lead", "consolidate", 409),  # nothing submitted yet
        ("ndc admin", "reopen", 409),
        ("owner editor", "submit", 200),
    ],
)
def test_transitions_by_role(draft, role, step, expected):
    response = client_for(role).post(
        f"/api/progress/submissions/{draft.pk}/{step}/", {"comment": "c", "reason": "r"}, format="json"
    )
    assert response.status_code == expected, response.content
    draft.refresh_from_db()
    assert draft.status == ("submitted" if expected == 200 else "draft")


def test_industry_lead_writes_its_own_agencys_report(draft):
    own = Submission.objects.get(period=draft.period, industry__code="3", agency__code="most")
    response = client_for("industry lead").patch(
        f"/api/progress/submissions/{own.pk}/lines/",
        {"version": own.version, "kpis": {own.kpi_reports.first().kpi.code: {"note": "ok"}}},
        format="json",
    )
    assert response.status_code == 200


def test_approved_reports_are_public_but_not_writable(draft):
    client_for("owner editor").post(f"/api/progress/submissions/{draft.pk}/submit/", {}, format="json")
    client_for("ndc reviewer").post(f"/api/progress/submissions/{draft.pk}/approve/", {}, format="json")
    anonymous = client_for("anonymous")
    assert anonymous.get(f"/api/progress/submissions/{draft.pk}/").status_code == 200
    assert draft.pk in [
        r["id"] for r in anonymous.get("/api/progress/submissions/?status=approved").json()["results"]
    ]
    draft.refresh_from_db()
    for role in ("other editor", "owner editor"):
        response = client_for(role).patch(
            f"/api/progress/submissions/{draft.pk}/lines/",
            {"version": draft.version, "kpis": {}},
            format="json",
        )
        assert response.status_code == 403


# --- follow-up items (追蹤事項, /api/follow-ups/) ------------------------------------------------------
# role → (reads 經濟部's item, answers it in its report, rules on it (keep))
FOLLOW_UP = {
    "anonymous": (False, 401, 401),
    "owner viewer": (True, 403, 403),
    "owner editor": (True, 200, 403),
    "other editor": (False, 404, 404),
    "other viewer": (False, 404, 404),
    "industry lead": (True, 403, 403),  # 科技部 leads industry 3, the item's industry: reads, no write
    "ndc reviewer": (True, 403, 200),
    "ndc admin": (True, 403, 200),
}


@pytest.fixture
def follow_up(draft):
    from datetime import date

    from sixcore.accounts.models import Agency
    from sixcore.followups.services import create_follow_up

    return create_follow_up(
        ndc_reviewer(),
        source="field_verification",
        text="請經濟部補正查證缺失",
        owner=Agency.objects.get(code="moea"),
        industry=draft.industry,
        due_date=date(2022, 9, 30),
        opened_on=date(2022, 5, 1),
    )


@pytest.mark.parametrize("role", FOLLOW_UP)
def test_follow_ups_by_role(draft, follow_up, role):
    reads, respond, rule = FOLLOW_UP[role]
    client = client_for(role)
    listed = [i["id"] for i in client.get("/api/follow-ups/?limit=1000").json()["results"]]
    assert (follow_up.pk in listed) == reads
    detail = client.get(f"/api/follow-ups/{follow_up.pk}/")
    assert detail.status_code == (200 if reads else 404)
    response = client.post(
        f"/api/follow-ups/{follow_up.pk}/respond/", {"submission": draft.pk, "text": "已辦理"}, format="json"
    )
    assert response.status_code == respond, response.content
    assert follow_up.responses.filter(text="已辦理").exists() == (respond == 200)
    response = client.post(
        f"/api/follow-ups/{follow_up.pk}/keep/",
        {"version": follow_up.version, "comment": "續管"},
        format="json",
    )
    assert response.status_code == rule, response.content
    assert follow_up.rulings.exists() == (rule == 200)
    if respond == 200:
        # The owner's answer is in the item; the public reads neither the unpublished item nor answers.
        assert [r["text"] for r in client.get(f"/api/follow-ups/{follow_up.pk}/").json()["responses"]] == [
            "已辦理"
        ]


def test_follow_up_answers_go_to_the_owners_report_only(draft, follow_up):
    """Agency B cannot write A's item through its own report, nor A's report; a stale keep is 409."""
    other = Submission.objects.filter(period=draft.period, agency__code="motc").first()
    client = client_for("owner editor")
    response = client.post(
        f"/api/follow-ups/{follow_up.pk}/respond/", {"submission": other.pk, "text": "x"}, format="json"
    )
    assert response.status_code == 404  # another agency's draft is not found
    ndc = client_for("ndc reviewer")
    response = ndc.post(
        f"/api/follow-ups/{follow_up.pk}/keep/",
        {"version": follow_up.version + 1, "comment": "x"},
        format="json",
    )
    assert response.status_code == 409 and not follow_up.rulings.exists()
    response = ndc.post(
        f"/api/follow-ups/{follow_up.pk}/keep/", {"version": follow_up.version}, format="json"
    )
    assert response.status_code == 400 and "comment" in response.json()
    # A filter the list does not know is a 400 naming it, not a silently unfiltered list.
    response = ndc.get("/api/follow-ups/?status=open&overdue=maybe")
    assert response.status_code == 400 and set(response.json()) == {"status", "overdue"}
    listed = ndc.get("/api/follow-ups/?status=tracked&agency=moea").json()["results"]
    assert [i["id"] for i in listed] == [follow_up.pk]


# --- year-end evaluation (年度評核): the same roles on 經濟部's evaluation of industry 3 ------------------


@pytest.fixture
def annual_draft(program, monkeypatch):
    from sixcore.annual import setup
    from sixcore.annual.models import AnnualEvaluation

    monkeypatch.setenv("SIXCORE_AS_OF", "2023-02-01")  # inside 111's 自評 window
    setup.ensure_evaluations(111)
    return AnnualEvaluation.objects.get(year=111, industry__code="3", agency__code="moea")


@pytest.mark.parametrize("role", ROLES)
def test_reading_an_annual_draft(annual_draft, role):
    client = client_for(role)
    detail = client.get(f"/api/annual-evaluations/{annual_draft.pk}/")
    listed = client.get("/api/annual-evaluations/?year=111&industry=3&limit=1000").json()["results"]
    visible = annual_draft.pk in [row["id"] for row in listed]
    assert (detail.status_code, visible) == ((200, True) if role in READS_DRAFT else (404, False))


@pytest.mark.parametrize("role", ROLES)
def test_scoring_an_annual_draft(annual_draft, role):
    response = client_for(role).patch(
        f"/api/annual-evaluations/{annual_draft.pk}/scores/",
        {"stage": "self", "version": annual_draft.version, "scores": {"planning": {"score": 60}}},
        format="json",
    )
    assert response.status_code == PATCH_STATUS[role], response.content
    written = annual_draft.scores.filter(score=60).count()
    assert written == (1 if role == "owner editor" else 0)


@pytest.mark.parametrize(
    ("role", "step", "expected"),
    [
        ("anonymous", "submit-self", 401),
        ("owner viewer", "submit-self", 403),
        ("other editor", "submit-self", 404),
        ("industry lead", "complete-initial", 409),  # its industry, but still in 自評
        ("owner editor", "complete-initial", 403),
        ("ndc reviewer", "approve", 403),  # 核定 is the administrator's
        ("ndc admin", "approve", 409),
        ("other editor", "reopen", 404),
        ("ndc reviewer", "reopen", 403),
    ],
)
def test_annual_steps_by_role(annual_draft, role, step, expected):
    response = client_for(role).post(
        f"/api/annual-evaluations/{annual_draft.pk}/{step}/", {"comment": "c", "reason": "r"}, format="json"
    )
    assert response.status_code == expected, response.content
    annual_draft.refresh_from_db()
    assert annual_draft.stage == "self"


# --- field verification (實地查證, issue #20) ------------------------------------------------------------
# A planned visit attended by 經濟部: NDC writes; 經濟部's users read it (a write: 403); others do not see it.
VISIT_READERS = {"owner viewer", "owner editor", "ndc reviewer", "ndc admin"}
VISIT_WRITE = {
    "anonymous": 401,
    "owner viewer": 403,
    "owner editor": 403,
    "ndc reviewer": 200,
    "ndc admin": 200,
}


@pytest.fixture
def visit(draft):
    from datetime import date

    from sixcore.accounts.models import Agency
    from sixcore.fieldwork import services
    from sixcore.fieldwork.selection import Candidate

    return services.plan_verification(
        ndc_admin(),
        title="實地查證（矩陣）",
        date=date(2022, 7, 20),
        place="新竹",
        reviewers="王專門委員",
        agencies=[Agency.objects.get(code="moea")],
        period=draft.period,
        picked=[Candidate("kpi", "1.2/1.2.2", "1.2.2", "1", ["moea"], [("red_kpi", "紅燈")])],
    )


@pytest.mark.parametrize("role", ROLES)
def test_field_verification_read_and_write_by_role(visit, role):
    client = client_for(role)
    detail = client.get(f"/api/field-verifications/{visit.pk}/")
    listed = [v["id"] for v in client.get("/api/field-verifications/").json()["results"]]
    assert detail.status_code == (200 if role in VISIT_READERS else 404)
    assert (visit.pk in listed) == (role in VISIT_READERS)
    item = visit.items.get()
    response = client.post(
        f"/api/field-verifications/{visit.pk}/items/{item.pk}/findings/",
        {"version": item.version, "findings": "查證結果"},
        format="json",
    )
    assert response.status_code == VISIT_WRITE.get(role, 404), response.content
    item.refresh_from_db()
    assert item.findings == ("查證結果" if VISIT_WRITE.get(role) == 200 else "")
