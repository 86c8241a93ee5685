"""A plan revision in a real browser: NDC drafts one that raises KPI 1.2.2's 112 target, an NDC
administrator approves it, and the KPI's target history shows the step. Screenshots under
artifacts/screenshots/."""

from __future__ import annotations

import pytest

from sixcore.revisions.choices import RevisionStatus
from sixcore.revisions.models import PlanRevision
from tests.browser.test_cycle_browser import log_in
from tests.factories import ndc_admin

pytestmark = pytest.mark.browser

NEW_112 = "累計協助廠商提出申請 20 項半導體前/後段設備申請驗證測試"


def test_ndc_drafts_approves_and_the_kpi_shows_the_step(live_server, page, shot, cycle_data):
    admin = ndc_admin()
    base = live_server.url
    log_in(page, base, admin.username)

    page.goto(f"{base}/revisions/")
    page.select_option("#id_base", "0")
    page.fill("#id_title", "112 年滾動檢討")
    page.fill("#id_effective_from", "112Q1")
    page.fill("#id_reason", "設備驗證需求增加，上修 112 年目標")
    shot(page, "revision-01-draft-form")
    page.click("#draft-button")
    page.wait_for_selector("#revision-status")
    assert "/revisions/1/" in page.url

    page.click("a[data-kpi='1.2/1.2.2']")
    page.fill("#id_y112", NEW_112)
    shot(page, "revision-02-kpi-edit")
    page.click("#kpi-save")
    page.wait_for_selector("#changes-table")
    assert "annual.112.text" in page.inner_text("#changes-table")
    shot(page, "revision-03-draft-diff")

    page.fill("#id_comment", "院核定")
    page.click("#approve-button")
    page.wait_for_selector(".messages")
    assert PlanRevision.objects.get(number=1).status == RevisionStatus.APPROVED

    page.click("#changed-kpis a")
    page.wait_for_selector("#target-history")
    table = page.inner_text("#target-history")
    assert "112Q1" in table and NEW_112 in table
    page.wait_for_selector("#target-chart svg")
    shot(page, "revision-04-kpi-target-step")

    page.goto(f"{base}/measures/1.2/kpis/1.2.2/")
    assert NEW_112 in page.content()  # the plan's KPI page defaults to the approved revision
    assert page.console_errors == []
