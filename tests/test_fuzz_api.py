"""Fuzzing the REST API with schemathesis over its own OpenAPI schema (issue #9).

Every operation of ``/api/schema/`` is called in-process through the WSGI application, on the test
database with the plan loaded, an open 111Q2 and the supplies demo, with cases generated from the schema:
valid ones and invalid ones (schemathesis' positive and negative generation), some addressed to objects
that exist (real submission ids, KPI codes, work-item keys…) so that the calls get past the 404. Reads run
as anonymous, an agency editor and an NDC admin; writes as an NDC admin and as an agency editor, each
call in its own rolled-back savepoint so that every example starts from the same data.

Each response must be: not a 5xx; a status code the schema documents for the operation; the documented
content type; a body matching the documented schema.

Deterministic: Hypothesis is derandomized and keeps no example database, so CI sees the same cases on
every run. ``SIXCORE_FUZZ_EXAMPLES`` (default 12) is the number of examples per operation and kind
(generated, addressed to existing objects); raise it for a longer local run.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from sixcore.wsgi import application
from tests.factories import editor, ndc_admin, open_period

# Loaded at collection, without the database: drf-spectacular builds the schema from the views alone.
SCHEMA = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
OPERATIONS = {result.ok().label: result.ok() for result in SCHEMA.get_all_operations()}

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = int(os.environ.get("SIXCORE_FUZZ_EXAMPLES", "12"))
AS_OF = date(2022, 7, 5)  # inside 111Q2's reporting window (the quarter ended 2022-06-30, due 2022-07-15)
READ_METHODS = {"GET", "HEAD", "OPTIONS"}


# --- known gaps (none today) ----------------------------------------------------------------------
# Strict expected failures: once fixed they pass, and the marker must go (XPASS fails the run).

SUPPLIES = "/api/supplies/"
# Operations whose error statuses are not documented: the fuzz leaves out only the status-code check.
UNDOCUMENTED_ERRORS: set[str] = set()
KNOWN_FAILURES: dict[str, str] = {}


def _known(known: dict[str, str], labels: Any = OPERATIONS) -> list[Any]:
    """The labels as test parameters, those in ``known`` as strict expected failures with their reason."""
    return [
        pytest.param(label, marks=pytest.mark.xfail(strict=True, reason=known[label]))
        if label in known
        else label
        for label in sorted(labels)
    ]


def test_the_schema_has_every_api_area():
    """A guard against fuzzing nothing: a schema that lost its operations would pass every check."""
    prefixes = {label.split()[1].split("/")[2] for label in OPERATIONS}
    assert prefixes >= {"plan", "progress", "evaluation", "supplies", "annual-evaluations"}
    assert any(label.startswith(("POST", "PATCH", "PUT", "DELETE")) for label in OPERATIONS)


@pytest.fixture
def in_process_requests():
    """Keep the test's connection through in-process requests, as Django's test client does.

    The WSGI handler closes "old" connections when a request starts and finishes; inside the test's
    transaction that would close the connection the test runs in.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(program, monkeypatch, in_process_requests) -> dict[str, Any]:
    """Users with tokens, an open 111Q2 with submissions in every state, the supplies demo."""
    from sixcore.progress import workflow
    from sixcore.progress.models import Submission
    from sixcore.supplies.alerts import recompute_alerts
    from sixcore.supplies.demo import load_demo

    monkeypatch.setenv("SIXCORE_AS_OF", AS_OF.isoformat())
    admin, moea = ndc_admin(), editor("moea")
    period = open_period("111Q2")
    load_demo(AS_OF)
    recompute_alerts(AS_OF, send=False)

    # Submissions past the draft, so that every step has one it may apply to.
    moea_drafts = list(
        Submission.objects.filter(period=period, agency__code="moea").order_by("industry__code")
    )
    others = list(Submission.objects.filter(period=period).exclude(agency__code="moea").order_by("pk")[:2])
    submitted, approved = others
    for submission in (submitted, approved):
        submission.work_item_reports.update(percent=100, status="done", completed_on=AS_OF)
        workflow.submit(submission, editor(submission.agency.code))
    workflow.approve(approved, admin)
    annual = _annual_world(moea, admin)

    return {
        "tokens": {
            "anonymous": None,
            "moea_editor": Token.objects.create(user=moea).key,
            "ndc_admin": Token.objects.create(user=admin).key,
        },
        "submissions": [s.pk for s in (*moea_drafts, submitted, approved)],
        "moea_drafts": moea_drafts,
        "annual": annual,
    }


def _annual_world(moea, admin) -> list[int]:
    """Year-end evaluations of year 110 whose 自評 window holds the fuzz's date, one of 經濟部's
    scored and submitted, one published: ids of evaluations in several stages."""
    from sixcore.annual import services, setup
    from sixcore.annual.models import AnnualCycle, AnnualEvaluation

    AnnualCycle.objects.create(
        year=110,
        self_opens=date(2022, 7, 1),
        self_due=date(2022, 7, 31),
        initial_due=date(2022, 8, 15),
        review_due=date(2022, 8, 31),
    )
    setup.ensure_evaluations(110)
    drafts = list(AnnualEvaluation.objects.filter(year=110, agency__code="moea").order_by("industry__code"))
    submitted = AnnualEvaluation.objects.filter(year=110).exclude(agency__code="moea").order_by("pk").first()
    submitter = editor(submitted.agency.code)
    scores = {row.indicator.code: {"score": 80} for row in services.stage_scores(submitted, "self")}
    services.save_scores(submitted, submitter, "self", submitted.version, scores)
    services.submit_self(submitted, submitter)
    return [e.pk for e in (*drafts, submitted)]


# --- objects that exist, per path template -------------------------------------------------------


def _plan_rows(model: Any, *fields: str, **filters: Any) -> list[tuple]:
    from sixcore.plan.models import Program

    latest = Program.objects.order_by("revision").last()
    return list(model.objects.filter(**{k: latest for k in filters.values()}).values_list(*fields)[:40])


def _existing(template: str, world: dict[str, Any]) -> list[dict[str, Any]]:
    """Path parameters naming existing objects, for the operations with this path template."""
    from sixcore.accounts.models import Agency
    from sixcore.plan import models as plan
    from sixcore.supplies import models as supplies

    def codes(model: Any, field: str = "code", name: str = "code") -> list[dict[str, Any]]:
        return [{name: value} for value in model.objects.order_by(field).values_list(field, flat=True)[:40]]

    def ids(model: Any) -> list[dict[str, Any]]:
        return [{"id": pk} for pk in model.objects.order_by("pk").values_list("pk", flat=True)[:40]]

    table: dict[str, Callable[[], list[dict[str, Any]]]] = {
        "/api/plan/agencies/{code}/": lambda: codes(Agency),
        "/api/plan/industries/{code}/": lambda: codes(plan.Industry),
        "/api/plan/measures/{code}/": lambda: codes(plan.Measure),
        "/api/plan/kpis/{measure}/{code}/": lambda: [
            {"measure": m, "code": c}
            for m, c in plan.KPI.objects.order_by("pk").values_list("measure__code", "code")[:60]
        ],
        "/api/plan/work-items/{schedule}/{code}/": lambda: [
            {"schedule": s, "code": c}
            for s, c in plan.WorkItem.objects.order_by("-code").values_list("schedule__code", "code")[:60]
        ],
        "/api/progress/periods/{code}/": lambda: [{"code": "111Q2"}, {"code": "2022Q2"}, {"code": "111Q1"}],
        "/api/progress/submissions/{id}/": lambda: [{"id": pk} for pk in world["submissions"]],
        "/api/supplies/items/{code}/": lambda: codes(supplies.SupplyItem),
        "/api/supplies/reporters/{code}/": lambda: codes(supplies.Reporter),
        "/api/supplies/minimums/{id}/": lambda: ids(supplies.Minimum),
        "/api/supplies/assignments/{id}/": lambda: ids(supplies.Assignment),
        "/api/supplies/observations/{id}/": lambda: ids(supplies.Observation),
        "/api/supplies/alerts/{id}/": lambda: ids(supplies.Alert),
        "/api/annual-evaluations/{id}/": lambda: [{"id": pk} for pk in world["annual"]],
    }
    for prefix, values in table.items():
        if template.startswith(prefix.rstrip("/")):
            return values()
    return []


def _bodies(label: str, world: dict[str, Any]) -> st.SearchStrategy | None:
    """Bodies close to valid for the cycle's writes, which random JSON would hardly ever reach."""
    from sixcore.progress.models import KPIReport, WorkItemReport

    drafts = world["moea_drafts"]
    numbers = st.one_of(
        st.none(),
        st.integers(-(10**20), 10**20),
        st.decimals(allow_nan=True, allow_infinity=True, places=6).map(str),
        st.text(max_size=5),
    )
    if label == "POST /api/progress/kpi-reports/":
        kpis = sorted(
            {k.kpi.code for k in KPIReport.objects.filter(submission__in=drafts).select_related("kpi")}
        )
        return st.fixed_dictionaries(
            {
                "kpi": st.sampled_from([*kpis, "6.1/6.2.2", "9.9.9", ""]),
                "period": st.sampled_from(["111Q2", "2022Q2", "111Q5", "120Q1", "x"]),
            },
            optional={
                "value": numbers,
                "done": st.one_of(st.none(), st.booleans()),
                "evidence": st.text(max_size=20),
                "note": st.text(max_size=20),
                "measure": st.sampled_from(["6.1", "6.2", "1.1", ""]),
            },
        )
    if label == "PATCH /api/progress/submissions/{id}/lines/":
        kpi_keys = list(KPIReport.objects.filter(submission__in=drafts).values_list("kpi__code", flat=True))
        items = WorkItemReport.objects.filter(submission__in=drafts).select_related("work_item__schedule")
        item_keys = [f"{r.work_item.schedule.code}/{r.work_item.code}" for r in items[:40]]
        return st.fixed_dictionaries(
            {"version": st.integers(0, 3)},
            optional={
                "kpis": st.dictionaries(
                    st.sampled_from(kpi_keys or ["1.1.1"]),
                    st.fixed_dictionaries(
                        {}, optional={"value": numbers, "done": st.none() | st.booleans(), "note": st.text()}
                    ),
                    max_size=2,
                ),
                "work_items": st.dictionaries(
                    st.sampled_from(item_keys or ["1-1/1.1.1"]),
                    st.fixed_dictionaries(
                        {},
                        optional={
                            "percent": numbers,
                            "status": st.sampled_from(["on_track", "behind", "done", "?", ""]),
                            "completed_on": st.one_of(st.none(), st.dates().map(str), st.text(max_size=8)),
                            "lag_reason": st.text(max_size=10),
                        },
                    ),
                    max_size=2,
                ),
                "budget": st.dictionaries(
                    st.sampled_from(["1.1", "1.2", "9.9"]),
                    st.fixed_dictionaries(
                        {},
                        optional={
                            "unit": st.sampled_from(["億元", "千元", "元"]),
                            "allocated": numbers,
                            "executed": numbers,
                        },
                    ),
                    max_size=2,
                ),
            },
        )
    if label == "PATCH /api/annual-evaluations/{id}/scores/":
        return st.fixed_dictionaries(
            {"stage": st.sampled_from(["self", "initial", "review", "x"]), "version": st.integers(0, 3)},
            optional={
                "scores": st.dictionaries(
                    st.sampled_from(["planning", "schedule", "budget", "kpi", "nope"]),
                    st.fixed_dictionaries(
                        {},
                        optional={
                            "score": numbers,
                            "argued_score": numbers,
                            "argued_reason": st.text(max_size=10),
                            "comment": st.text(max_size=10),
                        },
                    ),
                    max_size=3,
                ),
                "self_summary": st.text(max_size=10),
                "review_opinion": st.text(max_size=10),
            },
        )
    return None


# --- the test --------------------------------------------------------------------------------------


def _call(case: schemathesis.Case, token: str | None, checks: list) -> None:
    """Call and validate in a savepoint that is always rolled back: examples do not see each other."""
    # Schemathesis asks for gzip as requests does, but its WSGI transport does not decode the body: ask
    # for it plain.
    headers = {"Accept-Encoding": "identity"}
    if token:
        headers["Authorization"] = f"Token {token}"
    with transaction.atomic():
        response = case.call(headers=headers)
        transaction.set_rollback(True)
    case.validate_response(response, checks=checks, headers=headers)


@pytest.mark.parametrize("label", _known(KNOWN_FAILURES))
def test_operation_conforms_to_schema(label, world):
    operation = OPERATIONS[label]
    checks = [c for c in CHECKS if c is not status_code_conformance or label not in UNDOCUMENTED_ERRORS]
    method, template = label.split(" ", 1)
    roles = (
        ["anonymous", "moea_editor", "ndc_admin"] if method in READ_METHODS else ["ndc_admin", "moea_editor"]
    )
    strategies = [
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    ]
    if existing := _existing(template, world):
        strategies.append(
            st.sampled_from(existing).flatmap(lambda params: operation.as_strategy(path_parameters=params))
        )
    if (bodies := _bodies(label, world)) is not None:
        addressed = existing or [{}]
        strategies.append(
            st.tuples(st.sampled_from(addressed), bodies).flatmap(
                lambda pair: operation.as_strategy(
                    path_parameters=pair[0] or None, body=pair[1], media_type="application/json"
                )
            )
        )

    @settings(
        max_examples=EXAMPLES * len(strategies),
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(strategies), role=st.sampled_from(roles))
    def fuzz(case: schemathesis.Case, role: str) -> None:
        # Writes are tried as both writing roles; reads as one role drawn per example.
        for name in roles if method not in READ_METHODS else [role]:
            _call(case, world["tokens"][name], checks)

    fuzz()


# --- deterministic checks beside the fuzz ------------------------------------------------------------

UNDOCUMENTED_TODAY: set[str] = set()  # operations known to lack an error status (none today)


@pytest.mark.parametrize(
    "label", _known(dict.fromkeys(UNDOCUMENTED_TODAY, "supplies: no error status documented"))
)
def test_error_statuses_are_documented(label):
    """The statuses the API answers whatever the data: 404 for a path naming an object; 401 and 403 for
    a write; 400 for a body or a query filter."""
    method, path = label.split(" ", 1)
    spec = SCHEMA.raw_schema["paths"][path][method.lower()]
    needed = {"404"} if "{" in path else set()
    if method not in READ_METHODS:
        needed |= {"401", "403"}
    filters = [
        p for p in spec.get("parameters", []) if p["in"] == "query" and p["name"] not in ("limit", "offset")
    ]
    if spec.get("requestBody") or filters:
        needed.add("400")
    assert needed <= set(spec["responses"]), f"undocumented: {sorted(needed - set(spec['responses']))}"


LISTS = sorted(
    label
    for label in OPERATIONS
    if label.startswith("GET ")
    and any(p["name"] == "limit" for p in OPERATIONS[label].definition.raw.get("parameters", []))
)
UNBOUNDED_PAGINATION: dict[str, str] = {}  # lists whose ?limit= reaches SQL unbounded (none today)


@pytest.mark.parametrize("label", _known(UNBOUNDED_PAGINATION, LISTS))
def test_out_of_range_pagination_is_not_a_server_error(label, program, client):
    """Found by the fuzz on /api/progress/periods/: a limit or offset past SQL's integer range."""
    from sixcore.supplies.alerts import recompute_alerts
    from sixcore.supplies.demo import load_demo

    path = label.split()[1]
    if path.startswith(SUPPLIES):  # an empty list is answered before the query is sliced
        load_demo(AS_OF)
        recompute_alerts(AS_OF, send=False)
    client.force_login(ndc_admin())
    huge = 2**63 + 1
    past_the_end = client.get(f"{path}?offset={huge}")
    assert past_the_end.status_code == 200 and past_the_end.json()["results"] == []
    capped = client.get(f"{path}?limit={huge}")
    assert capped.status_code == 200 and len(capped.json()["results"]) <= 10_000


# Paths with a text parameter (a code), filled with a NUL character.
TEXT_PATHS = sorted(
    label
    for label in OPERATIONS
    if label.startswith("GET ")
    and any(
        p["in"] == "path" and p.get("schema", {}).get("type") == "string"
        for p in OPERATIONS[label].definition.raw.get("parameters", [])
    )
)
# PostgreSQL refuses NUL in text (SQLite stores it): views that sent it to the database (none today).
NUL_ON_POSTGRESQL: dict[str, str] = {}


@pytest.mark.parametrize("label", _known(NUL_ON_POSTGRESQL, TEXT_PATHS))
def test_nul_in_a_code_is_not_found(label, program, client):
    """Found by the fuzz on PostgreSQL: /api/plan/industries/%00/ was a 500."""
    path = label.split()[1]
    url = re.sub(r"\{[^}]+\}", "1%00", path)
    client.force_login(ndc_admin())
    client.raise_request_exception = False
    response = client.get(url)
    assert response.status_code == 404 and response["Content-Type"] == "application/json", (url, response)
