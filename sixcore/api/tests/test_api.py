"""The REST API: plan endpoints, the issue's KPI-actual cases, lines, transitions, tokens, schema, queries."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from sixcore.api.management.commands.token import Command as TokenCommand
from sixcore.progress.models import KPIReport, MeasureReport, ReportingPeriod, Submission
from tests.factories import editor, industry_lead, ndc_admin, ndc_reviewer, open_period, viewer

KPI_URL = "/api/progress/kpi-reports/"


@pytest.fixture
def as_of_open(monkeypatch):
    """A day inside 111Q2's open window (the quarter ended 2022-06-30, due 2022-07-15)."""
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-05")


@pytest.fixture
def period(program, as_of_open):
    return open_period("111Q2")


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def submission_of(period, industry: str, agency: str) -> Submission:
    return Submission.objects.get(period=period, industry__code=industry, agency__code=agency)


def count_queries(client: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


# --- plan ----------------------------------------------------------------------------------------


def test_plan_industries_and_detail(program):
    data = api().get("/api/plan/industries/").json()
    assert [i["code"] for i in data["results"]] == ["1", "2", "3", "4", "5", "6"]
    four = api().get("/api/plan/industries/4/").json()
    assert {a["code"] for a in four["sub_areas"]} == {"aviation_shipbuilding", "space"}
    assert four["lead_agencies"][0]["code"] == "moea"


def test_plan_kpi_lookup_by_measure_and_code(program):
    first = api().get("/api/plan/kpis/6.1/6.2.2/")
    second = api().get("/api/plan/kpis/6.2/6.2.2/")
    assert first.status_code == second.status_code == 200
    assert first.json()["measure"] == "6.1" and second.json()["measure"] == "6.2"
    assert first.json()["full_term"] != second.json()["full_term"]
    assert api().get("/api/plan/kpis/6.3/6.2.2/").status_code == 404
    listed = api().get("/api/plan/kpis/?measure=1.2").json()["results"]
    assert "1.2.2" in [k["code"] for k in listed]
    assert {a["year"] for a in listed[0]["annual"]} == {110, 111, 112, 113}


def test_plan_measures_work_items_budget_agencies(program, exported):
    measures = api().get("/api/plan/measures/?industry=2").json()["results"]
    assert measures and all(m["industry"] == "2" for m in measures)
    items = api().get("/api/plan/work-items/?measure=2.5").json()["results"]
    assert items and {i["schedule"] for i in items} == {"2-4"}
    assert all("2.5" in i["measures"] for i in items)
    moea_items = api().get("/api/plan/work-items/?agency=moea&industry=1").json()["results"]
    assert moea_items
    budget = api().get("/api/plan/budget/").json()
    assert budget["count"] == len(exported["budget"])
    assert api().get("/api/plan/agencies/moea/").json()["name"] == "經濟部"
    assert api().get("/api/plan/measures/1.1/").json()["kpis"]


def test_plan_revision_parameter(program):
    assert api().get("/api/plan/industries/?revision=0").status_code == 200
    for bad in ("99", "x"):
        response = api().get(f"/api/plan/measures/?revision={bad}")
        assert response.status_code == 400
        assert "revision" in response.json()


@pytest.mark.parametrize(
    ("url", "max_queries"),
    [
        ("/api/plan/industries/", 6),
        ("/api/plan/measures/", 6),
        ("/api/plan/kpis/", 7),
        ("/api/plan/work-items/", 7),
        ("/api/plan/budget/", 4),
        ("/api/plan/agencies/", 3),
    ],
)
def test_plan_lists_in_bounded_queries(program, django_assert_max_num_queries, url, max_queries):
    with django_assert_max_num_queries(max_queries):
        assert api().get(url).status_code == 200


# --- KPI actuals: the cases --------------------------------------------------------------


def test_post_kpi_actual_creates_then_updates(period):
    client = api(editor("moea"))
    body = {"kpi": "1.2.2", "period": "111Q2", "value": 5, "note": "2 家完成"}
    first = client.post(KPI_URL, body, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["value"] == 5 and first.json()["agency"] == "moea"
    second = client.post(KPI_URL, {**body, "value": "7.5"}, format="json")
    assert second.status_code == 200
    line = KPIReport.objects.get(submission=submission_of(period, "1", "moea"), kpi__code="1.2.2")
    assert line.value == Decimal("7.5") and line.note == "2 家完成"
    assert second.json()["version"] == first.json()["version"] + 1


def test_post_kpi_actual_other_agency_is_403(period):
    response = api(editor("motc")).post(
        KPI_URL, {"kpi": "1.2.2", "period": "111Q2", "value": 5}, format="json"
    )
    assert response.status_code == 403
    assert "1.2.2" in response.json()["detail"]
    assert not KPIReport.objects.filter(kpi__code="1.2.2", value__isnull=False).exists()


def test_post_kpi_actual_viewer_is_403(period):
    response = api(viewer("moea")).post(
        KPI_URL, {"kpi": "1.2.2", "period": "111Q2", "value": 5}, format="json"
    )
    assert response.status_code == 403


def test_post_kpi_actual_unknown_kpi_is_400_naming_kpi(period):
    response = api(editor("moea")).post(
        KPI_URL, {"kpi": "9.9.9", "period": "111Q2", "value": 5}, format="json"
    )
    assert response.status_code == 400
    assert "9.9.9" in response.json()["kpi"][0]


@pytest.mark.parametrize("code", ["111Q7", "abc", "120Q1"])
def test_post_kpi_actual_bad_period_is_400_naming_period(period, code):
    response = api(editor("moea")).post(KPI_URL, {"kpi": "1.2.2", "period": code, "value": 5}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["period"]


def test_post_kpi_actual_locked_period_is_409(period, monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2030-01-01")
    response = api(editor("moea")).post(
        KPI_URL, {"kpi": "1.2.2", "period": "111Q2", "value": 5}, format="json"
    )
    assert response.status_code == 409
    assert "locked" in response.json()["detail"]
    assert not KPIReport.objects.filter(kpi__code="1.2.2", value__isnull=False).exists()


def test_post_kpi_actual_on_submitted_report_is_409(period):
    user = editor("moea")
    submission_of(period, "1", "moea").submit(user)
    response = api(user).post(KPI_URL, {"kpi": "1.2.2", "period": "111Q2", "value": 5}, format="json")
    assert response.status_code == 409


def test_post_kpi_actual_anonymous_is_401(period):
    response = api().post(KPI_URL, {"kpi": "1.2.2", "period": "111Q2", "value": 5}, format="json")
    assert response.status_code == 401


def test_post_kpi_actual_code_printed_twice(period):
    client = api(editor("moea"))
    ambiguous = client.post(KPI_URL, {"kpi": "6.2.2", "period": "111Q2", "value": 1}, format="json")
    assert ambiguous.status_code == 400 and "measure" in ambiguous.json()["kpi"][0]
    ok = client.post(KPI_URL, {"kpi": "6.2/6.2.2", "period": "111Q2", "value": 1}, format="json")
    assert ok.status_code == 201 and ok.json()["measure"] == "6.2"
    # The other 6.2.2 (printed under 6.1) is its own line.
    other = client.post(
        KPI_URL, {"kpi": "6.2.2", "measure": "6.1", "period": "111Q2", "value": 2}, format="json"
    )
    assert other.status_code == 201 and other.json()["measure"] == "6.1"
    values = dict(
        KPIReport.objects.filter(
            submission=submission_of(period, "6", "moea"), kpi__code="6.2.2"
        ).values_list("kpi__measure__code", "value")
    )
    assert values == {"6.1": Decimal(2), "6.2": Decimal(1)}


def test_list_kpi_actuals_by_period_within_scope(period):
    api(editor("moea")).post(KPI_URL, {"kpi": "1.2.2", "period": "111Q2", "value": 5}, format="json")
    rows = api(editor("moea")).get(f"{KPI_URL}?period=111Q2&limit=1000").json()["results"]
    assert rows and {r["agency"] for r in rows} == {"moea"}
    assert [r["value"] for r in rows if r["kpi"] == "1.2.2"] == [5]
    assert (
        api(editor("most")).get(f"{KPI_URL}?period=111Q2&kpi=1.2.2").json()["results"][0]["agency"] == "most"
    )
    assert api().get(f"{KPI_URL}?period=111Q2").json()["count"] == 0
    assert api(ndc_reviewer()).get(f"{KPI_URL}?period=111Q2&kpi=1.2.2").json()["count"] == 2
    bad = api(editor("moea")).get(f"{KPI_URL}?period=2022Q9")
    assert bad.status_code == 400 and "period" in bad.json()


# --- lines ---------------------------------------------------------------------------------------


def lines_url(submission: Submission) -> str:
    return f"/api/progress/submissions/{submission.pk}/lines/"


def test_detail_has_lines_and_version(period):
    submission = submission_of(period, "1", "moea")
    data = api(editor("moea")).get(f"/api/progress/submissions/{submission.pk}/").json()
    assert data["version"] == submission.version
    assert data["period_state"] == "open" and data["permissions"]["edit"] is True
    assert "1.2.2" in {k["key"] for k in data["kpis"]}
    assert data["work_items"] and "/" in data["work_items"][0]["key"]
    assert {m["key"] for m in data["measures"]} == {b["key"] for b in data["budget"]}


def test_patch_lines_writes_all_kinds(period):
    submission = submission_of(period, "1", "moea")
    detail = api(editor("moea")).get(f"/api/progress/submissions/{submission.pk}/").json()
    work_key = detail["work_items"][0]["key"]
    body = {
        "version": submission.version,
        "measures": {"1.2": {"progress": "辦理中"}},
        "kpis": {"1.2.2": {"value": 3}},
        "work_items": {work_key: {"percent": 40, "status": "on_track"}},
        "budget": {"1.2": {"unit": "千元", "allocated": "1,000", "executed": 400}},
    }
    response = api(editor("moea")).patch(lines_url(submission), body, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["version"] == submission.version + 1
    assert [k["value"] for k in data["kpis"] if k["key"] == "1.2.2"] == [3]
    assert [w["percent"] for w in data["work_items"] if w["key"] == work_key] == [40]
    assert [b["allocated"] for b in data["budget"] if b["key"] == "1.2"] == [1000]


def test_patch_lines_invalid_values_write_nothing(period):
    submission = submission_of(period, "1", "moea")
    body = {
        "version": submission.version,
        "measures": {"1.2": {"progress": "should not be saved"}},
        "kpis": {"1.2.2": {"value": "many"}, "9.9.9": {"value": 1}},
    }
    response = api(editor("moea")).patch(lines_url(submission), body, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {(e["line"], e["field"]) for e in errors} == {("kpis 1.2.2", "value"), ("kpis 9.9.9", "")}
    assert MeasureReport.objects.get(submission=submission, measure__code="1.2").progress == ""
    submission.refresh_from_db()
    assert submission.version == 1


def test_patch_lines_oversized_number_is_400_and_writes_nothing(period):
    submission = submission_of(period, "1", "moea")
    body = {
        "version": submission.version,
        "measures": {"1.2": {"progress": "should not be saved"}},
        "kpis": {"1.2.2": {"value": "1e20"}},
    }
    response = api(editor("moea")).patch(lines_url(submission), body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "value"
    assert MeasureReport.objects.get(submission=submission, measure__code="1.2").progress == ""
    submission.refresh_from_db()
    assert submission.version == 1
    assert api(editor("moea")).get(f"/api/progress/submissions/{submission.pk}/").status_code == 200


def test_patch_lines_body_errors_name_the_field(period):
    submission = submission_of(period, "1", "moea")
    response = api(editor("moea")).patch(lines_url(submission), {"kpi": {}}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"version", "kpi"}


def test_concurrent_patches_second_gets_409_and_writes_nothing(period):
    submission = submission_of(period, "1", "moea")
    version = submission.version
    alice, bob = api(editor("moea")), api(industry_lead("moea"))
    first = alice.patch(
        lines_url(submission), {"version": version, "kpis": {"1.2.2": {"value": 1}}}, format="json"
    )
    assert first.status_code == 200
    second = bob.patch(
        lines_url(submission),
        {"version": version, "kpis": {"1.2.2": {"value": 2}}, "measures": {"1.2": {"progress": "bob"}}},
        format="json",
    )
    assert second.status_code == 409
    body = second.json()
    assert body["current"]["version"] == version + 1
    assert [k["value"] for k in body["current"]["kpis"] if k["key"] == "1.2.2"] == [1]
    assert KPIReport.objects.get(submission=submission, kpi__code="1.2.2").value == 1
    assert MeasureReport.objects.get(submission=submission, measure__code="1.2").progress == ""


# --- transitions ---------------------------------------------------------------------------------


def step(client: APIClient, submission: Submission, name: str, **body):
    return client.post(f"/api/progress/submissions/{submission.pk}/{name}/", body, format="json")


def test_submit_consolidate_approve(period):
    submission = submission_of(period, "3", "moea")  # industry 3 is led by most
    assert step(api(editor("moea")), submission, "submit", comment="done").json()["status"] == "submitted"
    assert step(api(industry_lead("most")), submission, "consolidate").json()["status"] == "consolidated"
    approved = step(api(ndc_reviewer()), submission, "approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    # Published: anonymous callers now read it.
    assert api().get(f"/api/progress/submissions/{submission.pk}/").status_code == 200


def test_return_with_comment_and_reopen(period):
    submission = submission_of(period, "1", "moea")
    step(api(editor("moea")), submission, "submit")
    no_comment = step(api(ndc_reviewer()), submission, "return")
    assert no_comment.status_code == 400 and no_comment.json()["problems"]
    returned = step(api(ndc_reviewer()), submission, "return", comment="請補充說明")
    assert returned.status_code == 200
    assert returned.json()["status"] == "draft" and returned.json()["return_comment"] == "請補充說明"
    step(api(editor("moea")), submission, "submit")
    step(api(ndc_reviewer()), submission, "approve")
    assert step(api(ndc_reviewer()), submission, "reopen", reason="誤植").status_code == 403
    reopened = step(api(ndc_admin()), submission, "reopen", reason="誤植")
    assert reopened.status_code == 200 and reopened.json()["status"] == "draft"


def test_transition_wrong_state_is_409_and_wrong_role_403(period):
    submission = submission_of(period, "1", "moea")
    assert step(api(ndc_reviewer()), submission, "approve").status_code == 409  # still a draft
    assert step(api(editor("moea")), submission, "approve").status_code == 403
    assert step(api(viewer("moea")), submission, "submit").status_code == 403
    assert step(api(editor("moea")), submission, "submit").status_code == 200
    assert step(api(editor("moea")), submission, "submit").status_code == 409  # already submitted
    submission.refresh_from_db()
    assert submission.status == "submitted"


def test_submit_in_locked_period_is_409(period, monkeypatch):
    submission = submission_of(period, "1", "moea")
    monkeypatch.setenv("SIXCORE_AS_OF", "2030-01-01")
    assert step(api(editor("moea")), submission, "submit").status_code == 409


# --- periods -------------------------------------------------------------------------------------


def test_periods_with_state_for_the_callers_agency(period, monkeypatch):
    from sixcore.progress.models import PeriodReopening
    from sixcore.progress.periods import period_state

    admin = ndc_admin()
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-10-30")  # 111Q2 locked, 111Q3 in its grace days
    PeriodReopening.objects.create(
        period=period,
        agency=admin.agency.__class__.objects.get(code="moea"),
        reason="r",
        until="2022-12-31",
        opened_by=admin,
    )
    user = editor("moea")
    data = api(user).get("/api/progress/periods/?limit=100").json()["results"]
    states = {p["code"]: p["state"] for p in data}
    assert states["111Q2"] == "open"
    assert api(editor("most")).get("/api/progress/periods/111Q2/").json()["state"] == "locked"
    assert api().get("/api/progress/periods/2022Q2/").json()["label"] == period.label
    for p in ReportingPeriod.objects.all():
        assert states[p.code] == period_state(p, user.agency)
    assert api().get("/api/progress/periods/111Q9/").status_code == 404


# --- auth ----------------------------------------------------------------------------------------


def test_token_command_and_token_auth(period):
    user = editor("moea")
    out, again = io.StringIO(), io.StringIO()
    call_command(TokenCommand(), "create", user.username, stdout=out, stderr=io.StringIO())
    key = out.getvalue().strip()
    assert Token.objects.get(user=user).key == key
    call_command(TokenCommand(), "create", user.username, stdout=again)
    assert again.getvalue().strip() == key  # the same token, not a new one
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.post(KPI_URL, {"kpi": "1.2.2", "period": "111Q2", "value": 5}, format="json")
    assert response.status_code == 201
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get("/api/progress/submissions/").status_code == 401


def test_token_command_unknown_user(db):
    with pytest.raises(CommandError, match="nobody"):
        call_command(TokenCommand(), "create", "nobody")


def test_api_writes_are_logged_with_source_api(period):
    from sixcore.core.changelog import history_for

    submission = submission_of(period, "1", "moea")
    api(editor("moea")).post(KPI_URL, {"kpi": "1.2.2", "period": "111Q2", "value": 5}, format="json")
    sources = {change.source for change in history_for(submission)}
    assert "api" in sources


# --- schema --------------------------------------------------------------------------------------


def test_schema_lists_the_endpoints_and_validates(db):
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.validation import validate_schema

    GENERATOR_STATS.reset()
    response = api().get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    validate_schema(schema)  # OpenAPI 3 JSON Schema bundled with drf-spectacular
    assert not GENERATOR_STATS._warn_cache and not GENERATOR_STATS._error_cache
    paths = schema["paths"]
    for path in [
        "/api/plan/industries/",
        "/api/plan/measures/",
        "/api/plan/kpis/",
        "/api/plan/kpis/{measure}/{code}/",
        "/api/plan/work-items/",
        "/api/plan/budget/",
        "/api/plan/agencies/",
        "/api/progress/periods/",
        "/api/progress/submissions/",
        "/api/progress/submissions/{id}/",
        "/api/progress/submissions/{id}/lines/",
        "/api/progress/submissions/{id}/submit/",
        "/api/progress/submissions/{id}/consolidate/",
        "/api/progress/submissions/{id}/approve/",
        "/api/progress/submissions/{id}/return/",
        "/api/progress/submissions/{id}/reopen/",
        "/api/progress/kpi-reports/",
    ]:
        assert path in paths, path
    post = paths["/api/progress/kpi-reports/"]["post"]
    assert {"200", "201", "400", "403", "409"} <= set(post["responses"])
    patch = paths["/api/progress/submissions/{id}/lines/"]["patch"]
    assert {"200", "400", "403", "404", "409"} <= set(patch["responses"])
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])
    assert api().get("/api/docs/").status_code == 200


# --- queries -------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/progress/submissions/", KPI_URL, "/api/progress/periods/"])
def test_cycle_lists_do_not_grow_with_submissions(
    program, as_of_open, django_assert_max_num_queries, url, settings
):
    for user in (ndc_admin(), editor("moea"), industry_lead("moea")):
        client = api(user)
        open_period("111Q2")
        count_queries(client, url)  # warm up: the cycle settings row and the agency-tree cache
        few = count_queries(client, url)
        open_period("111Q3")
        open_period("111Q4")
        many = count_queries(client, url)
        assert many == few, (user.username, few, many)
        with django_assert_max_num_queries(12):
            client.get(url)


def test_submission_detail_in_bounded_queries(period, django_assert_max_num_queries):
    submission = submission_of(period, "1", "moea")
    client = api(editor("moea"))
    with django_assert_max_num_queries(25):
        assert client.get(f"/api/progress/submissions/{submission.pk}/").status_code == 200
