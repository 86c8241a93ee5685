"""The year-end evaluation API: scoped reads (agency A never sees B's draft), scoring and steps by
role, error bodies naming the field, published evaluations public, and the year's set-up."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from sixcore.annual import services, setup
from sixcore.annual.choices import ScoreStage, Stage
from sixcore.annual.models import AnnualEvaluation
from tests.factories import editor, industry_lead, ndc_admin, ndc_reviewer, viewer

YEAR = 111
BASE = "/api/annual-evaluations/"
MARK = "ANNUAL-DRAFT-MARK-3Q7"

ROLES = {
    "anonymous": lambda: None,
    "owner viewer": lambda: viewer("moea"),
    "owner editor": lambda: editor("moea"),
    "other editor": lambda: editor("motc"),
    "other viewer": lambda: viewer("motc"),
    "industry lead": lambda: industry_lead("most"),  # industry 3's lead unit
    "ndc reviewer": ndc_reviewer,
    "ndc admin": ndc_admin,
}
READS_DRAFT = {"owner viewer", "owner editor", "industry lead", "ndc reviewer", "ndc admin"}


@pytest.fixture
def draft(program, monkeypatch):
    """經濟部's evaluation for industry 3 (led by 科技部), with a marker only its readers may see."""
    monkeypatch.setenv("SIXCORE_AS_OF", "2023-02-01")
    setup.ensure_evaluations(YEAR)
    evaluation = AnnualEvaluation.objects.get(year=YEAR, industry__code="3", agency__code="moea")
    services.save_scores(
        evaluation,
        editor("moea"),
        ScoreStage.SELF,
        evaluation.version,
        {"planning": {"comment": MARK}},
        {"self_summary": MARK},
    )
    evaluation.refresh_from_db()
    return evaluation


def client_for(role: str) -> APIClient:
    client = APIClient()
    if (user := ROLES[role]()) is not None:
        client.force_authenticate(user)
    return client


@pytest.mark.parametrize("role", ROLES)
def test_reading_a_draft(draft, role):
    client = client_for(role)
    detail = client.get(f"{BASE}{draft.pk}/")
    listed = client.get(f"{BASE}?year={YEAR}&limit=1000")
    assert listed.status_code == 200
    ids = [row["id"] for row in listed.json()["results"]]
    if role in READS_DRAFT:
        assert detail.status_code == 200 and MARK in detail.content.decode()
        assert draft.pk in ids
    else:
        assert detail.status_code == 404 and MARK not in detail.content.decode()
        assert draft.pk not in ids and MARK not in listed.content.decode()
        # Only the caller's own drafts (or published ones) are listed.
        assert all(
            row["stage"] == Stage.PUBLISHED or row["agency"] == "motc" for row in listed.json()["results"]
        )


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


@pytest.mark.parametrize("role", ROLES)
def test_scoring_a_draft(draft, role):
    response = client_for(role).patch(
        f"{BASE}{draft.pk}/scores/",
        {"stage": "self", "version": draft.version, "scores": {"planning": {"score": 77}}},
        format="json",
    )
    assert response.status_code == PATCH_STATUS[role], response.content
    score = draft.scores.get(stage=ScoreStage.SELF, indicator__code="planning").score
    assert score == (77 if role == "owner editor" else None)


def test_score_errors_name_the_field_and_write_nothing(draft):
    client = client_for("owner editor")
    response = client.patch(
        f"{BASE}{draft.pk}/scores/",
        {
            "stage": "self",
            "version": draft.version,
            "scores": {"planning": {"score": 120}, "kpi": {"comment": "x"}},
        },
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["errors"][0]["field"] == "scores.planning.score" and "規劃" in body["problems"][0]
    assert not draft.scores.filter(comment="x").exists()
    stale = client.patch(
        f"{BASE}{draft.pk}/scores/",
        {"stage": "self", "version": draft.version - 1, "scores": {"planning": {"score": 50}}},
        format="json",
    )
    assert stale.status_code == 409 and stale.json()["current"]["version"] == draft.version
    malformed = client.patch(f"{BASE}{draft.pk}/scores/", {"stage": "self"}, format="json")
    assert malformed.status_code == 400 and "version" in malformed.json()


@pytest.mark.parametrize(
    ("role", "step", "expected"),
    [
        ("anonymous", "submit-self", 401),
        ("owner viewer", "submit-self", 403),
        ("other editor", "submit-self", 404),
        ("industry lead", "submit-self", 403),
        ("ndc admin", "submit-self", 403),
        ("owner editor", "submit-self", 400),  # not every indicator scored
        ("industry lead", "complete-initial", 409),  # still in 自評
        ("owner editor", "complete-initial", 403),
        ("ndc reviewer", "complete-review", 409),
        ("ndc reviewer", "approve", 403),
        ("ndc admin", "approve", 409),
        ("ndc admin", "publish", 409),
        ("ndc admin", "return", 409),  # 自評 has no previous stage
        ("ndc admin", "reopen", 409),
        ("owner editor", "reopen", 403),
    ],
)
def test_steps_by_role(draft, role, step, expected):
    response = client_for(role).post(
        f"{BASE}{draft.pk}/{step}/", {"comment": "c", "reason": "r"}, format="json"
    )
    assert response.status_code == expected, response.content
    draft.refresh_from_db()
    assert draft.stage == Stage.SELF


def test_full_journey_through_the_api(draft, monkeypatch):
    editor_client = client_for("owner editor")
    rows = {r.indicator.code: {"score": 90} for r in services.stage_scores(draft, ScoreStage.SELF)}
    response = editor_client.patch(
        f"{BASE}{draft.pk}/scores/",
        {"stage": "self", "version": draft.version, "scores": rows},
        format="json",
    )
    assert response.status_code == 200 and response.json()["totals"]["self"] == "90.00"
    assert response.json()["actions"] == ["submit_self"]
    assert (
        editor_client.post(
            f"{BASE}{draft.pk}/submit-self/", {"comment": "自評完成"}, format="json"
        ).status_code
        == 200
    )
    lead = client_for("industry lead")
    monkeypatch.setenv("SIXCORE_AS_OF", "2023-04-01")
    detail = lead.get(f"{BASE}{draft.pk}/").json()
    assert detail["stage"] == "initial" and set(detail["actions"]) == {"complete_initial", "return"}
    returned = lead.post(f"{BASE}{draft.pk}/return/", {"comment": ""}, format="json")
    assert returned.status_code == 400 and returned.json()["errors"][0]["field"] == "comment"
    assert lead.post(f"{BASE}{draft.pk}/complete-initial/", {}, format="json").status_code == 200
    reviewer, admin = client_for("ndc reviewer"), client_for("ndc admin")
    assert reviewer.post(f"{BASE}{draft.pk}/complete-review/", {}, format="json").status_code == 200
    assert admin.post(f"{BASE}{draft.pk}/approve/", {}, format="json").status_code == 200
    published = admin.post(f"{BASE}{draft.pk}/publish/", {}, format="json").json()
    assert (
        published["stage"] == "published"
        and published["grade"] == "優等"
        and published["final_score"] == "90.00"
    )
    # Public now: anonymous and another agency read it; nobody writes it.
    for role in ("anonymous", "other editor"):
        assert client_for(role).get(f"{BASE}{draft.pk}/").json()["grade"] == "優等"
    locked = reviewer.patch(
        f"{BASE}{draft.pk}/scores/",
        {"stage": "review", "version": published["version"], "scores": {}},
        format="json",
    )
    assert locked.status_code == 409
    reopened = admin.post(f"{BASE}{draft.pk}/reopen/", {"reason": "數值誤植"}, format="json")
    assert reopened.status_code == 200 and reopened.json()["stage"] == "review"
    assert client_for("other editor").get(f"{BASE}{draft.pk}/").status_code == 404


def test_deadline_refusal_names_the_field(draft, monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2023-03-26")
    response = client_for("owner editor").patch(
        f"{BASE}{draft.pk}/scores/", {"stage": "self", "version": draft.version, "scores": {}}, format="json"
    )
    assert response.status_code == 409 and response.json()["field"] == "self_due"


def test_the_years_set_up_is_public(draft):
    anonymous = client_for("anonymous")
    indicators = anonymous.get(f"{BASE}indicators/?year={YEAR}").json()["results"]
    assert sum(float(i["weight"]) for i in indicators) == 100
    assert {i["rule"] for i in indicators} == {
        "manual",
        "schedule_lag",
        "budget_execution",
        "kpi_achievement",
    }
    grades = anonymous.get(f"{BASE}grades/?year={YEAR}").json()["results"]
    assert [g["label"] for g in grades] == ["優等", "甲等", "乙等", "丙等"]
    cycles = anonymous.get(f"{BASE}cycles/?year={YEAR}").json()["results"]
    assert cycles[0]["self_due"] == "2023-03-25"
    assert anonymous.get(f"{BASE}indicators/?year=99999999999999999999999").status_code == 400


@pytest.mark.parametrize("path", ["abc/", "99999999999999999999/", "0/"])
def test_unknown_ids_are_json_404(draft, path):
    response = client_for("ndc admin").get(f"{BASE}{path}")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
