"""Writes made in the Django admin keep the stored evaluation current (issue 18).

A plan object corrected in the admin (a KPI's annual target, a level target's threshold, a KPI's
text with its inlines) and an agency moved under another parent change stored results; each such
save refreshes the store in the admin's own transaction, so ``evaluate --check`` finds nothing to
repair afterwards.  An agency's name is read when a page is built, not stored: renaming one
refreshes nothing and needs nothing.  The evaluation's thresholds are code (no write changes
them): a deployment that changes them is found by ``--check`` and repaired by ``--rebuild``.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.forms import CheckboxInput
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sixcore.accounts.models import Agency
from sixcore.evaluation import explain, read, rules, store
from sixcore.plan.models import KPI, AnnualTarget
from sixcore.progress import clock
from sixcore.progress.models import KPIReport, ReportingPeriod, Submission
from sixcore.progress.services import save_lines
from tests.factories import editor, ndc_admin, open_period

pytestmark = pytest.mark.django_db

OPEN_DAY = {"111Q2": date(2022, 7, 5), "112Q2": date(2023, 7, 5)}


@pytest.fixture
def staff(client, program):
    user = ndc_admin()
    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user)
    return client


def _report(code: str, measure: str, kpi: str, value: str) -> Submission:
    """A KPI figure through the write path (the store is current before the admin edit)."""
    period = open_period(code)
    line = (
        KPIReport.objects.filter(submission__period=period, kpi__measure__code=measure, kpi__code=kpi)
        .select_related("submission__agency")
        .order_by("submission__agency__order")
        .first()
    )
    submission = line.submission
    with clock.as_of(OPEN_DAY[code]):
        save_lines(
            submission,
            editor(submission.agency.code),
            submission.version,
            {"kpis": {f"{measure}/{kpi}": {"value": value}}},
        )
    return submission


def _kpi(period: str, measure: str, code: str):
    return next(k for k in read.evaluation_for(period).kpis if (k.measure, k.key) == (measure, code))


def _form_data(response) -> dict:
    """What a browser would post back from an admin change form: the main form's and every inline
    formset's current values (management forms included)."""
    data: dict = {}

    def add(form) -> None:
        for bound in form:
            value = bound.value()
            if isinstance(bound.field.widget, CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(v) for v in value]
            elif value is not None:
                data[bound.html_name] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def _admin_save(client, model: str, pk: int, **changes) -> None:
    url = reverse(f"admin:{model}_change", args=[pk])
    page = client.get(url)
    assert page.status_code == 200
    data = {**_form_data(page), **changes, "_save": "Save"}
    saved = client.post(url, data)
    if saved.status_code != 302:
        errors = [saved.context["adminform"].form.errors] + [
            i.formset.errors for i in saved.context["inline_admin_formsets"]
        ]
        raise AssertionError(f"the admin refused the change: {errors}")


def test_an_annual_target_changed_in_the_admin_is_in_the_store(staff):
    _report("111Q2", "1.2", "1.2.2", "3")
    before = _kpi("111Q2", "1.2", "1.2.2")
    assert store.check() == []
    target = AnnualTarget.objects.get(kpi__measure__code="1.2", kpi__code="1.2.2", year=111)
    quantified = {**target.target, "value": 3, "min": 3, "max": 3}
    _admin_save(staff, "plan_annualtarget", target.pk, target=json.dumps(quantified))
    after = _kpi("111Q2", "1.2", "1.2.2")
    assert after.expected != before.expected and after.achievement != before.achievement
    assert store.check() == []


def test_a_level_targets_threshold_changed_in_the_admin_is_in_the_store(staff):
    """「≥ 24%」 read as a level: moving its threshold to 30 % re-lights the KPI in every view."""
    _report("112Q2", "5.1", "5.1.1", "27")
    assert _kpi("112Q2", "5.1", "5.1.1").light == rules.Light.GREEN
    target = AnnualTarget.objects.get(kpi__measure__code="5.1", kpi__code="5.1.1", year=112)
    assert target.target["kind"] == "level"
    quantified = {**target.target, "value": 30, "min": 30}
    _admin_save(staff, "plan_annualtarget", target.pk, target=json.dumps(quantified))
    after = _kpi("112Q2", "5.1", "5.1.1")
    assert after.expected == Decimal(30) and after.light != rules.Light.GREEN
    assert store.check() == []


def test_a_kpi_edited_with_its_inlines_in_the_admin_is_in_the_store(staff):
    _report("111Q2", "1.2", "1.2.2", "3")
    kpi = KPI.objects.get(measure__code="1.2", code="1.2.2", measure__industry__program__revision=0)
    _admin_save(staff, "plan_kpi", kpi.pk, full_term_text="修正後之全期目標（後台）")
    assert _kpi("111Q2", "1.2", "1.2.2").text == "修正後之全期目標（後台）"
    assert _kpi("113Q4", "1.2", "1.2.2").text == "修正後之全期目標（後台）"
    assert store.check() == []


def test_an_agency_moved_under_another_parent_is_in_the_store(staff):
    """most's KPIs are reported by most; moved under moea, moea reports them (sub-units report
    through their ministry): the stored results' agencies follow."""
    _report("111Q2", "1.2", "1.2.2", "3")
    most, moea = Agency.objects.get(code="most"), Agency.objects.get(code="moea")
    linked = [k for k in read.evaluation_for("111Q2").kpis if "most" in k.agencies]
    assert linked
    _admin_save(staff, "accounts_agency", most.pk, parent=str(moea.pk))
    moved = {(k.measure, k.key): k for k in read.evaluation_for("111Q2").kpis}
    for k in linked:
        assert "most" not in moved[(k.measure, k.key)].agencies
        assert "moea" in moved[(k.measure, k.key)].agencies
    assert store.check() == []


def test_an_agency_renamed_in_the_admin_needs_no_refresh(staff):
    """Names are read when a page is built (``read.stored_evaluation``): no stored row holds one,
    so a rename writes no stored row and the store still equals a recomputation."""
    _report("111Q2", "1.2", "1.2.2", "3")
    most = Agency.objects.get(code="most")
    with CaptureQueriesContext(connection) as queries:
        _admin_save(staff, "accounts_agency", most.pk, name="國家科學及技術委員會（改名）")
    assert not [q for q in queries.captured_queries if "evaluation_storedresult" in q["sql"]]
    assert read.evaluation_for("111Q2").agencies["most"] == "國家科學及技術委員會（改名）"
    assert store.check() == []


def test_thresholds_are_code_and_a_changed_deployment_is_found_and_rebuilt(program, monkeypatch):
    """No write can change the thresholds: they are read from the code (no query).  A deployment
    with other thresholds finds the stored lights stale (``--check``) until ``--rebuild``."""
    _report("111Q2", "1.2", "1.2.2", "100")
    assert _kpi("111Q2", "1.2", "1.2.2").light == rules.Light.GREEN
    with CaptureQueriesContext(connection) as queries:
        assert explain.thresholds_in_force() == rules.DEFAULT_THRESHOLDS
    assert queries.captured_queries == []
    period = ReportingPeriod.by_code("111Q2")
    stricter = replace(rules.DEFAULT_THRESHOLDS, kpi_green=Decimal(100), kpi_yellow=Decimal(99))
    monkeypatch.setattr(explain, "thresholds_in_force", lambda: stricter)
    assert any(" light stored " in d for d in store.check([period]))
    call_command("evaluate", "--rebuild", verbosity=0)
    assert store.check() == []
    assert _kpi("111Q2", "1.2", "1.2.2").light == rules.Light.RED
