"""The dashboards in a real browser with the demo data: program, industry, KPI chart, timeline.
Screenshots are kept under artifacts/screenshots/; no console errors allowed."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_dashboards_in_the_browser(live_server, page, shot, cycle_data):
    call_command("demo", "--until", "110Q2", "--password", PASSWORD)
    base = live_server.url

    page.goto(f"{base}/dashboard/?period=110Q2")
    page.wait_for_selector("#lights-chart[data-rendered] svg")
    page.wait_for_selector("#budget-chart[data-rendered] svg")
    assert page.inner_text("#demo-label") == "示範資料"
    assert page.locator("#lights-table tbody tr").count() == 6
    shot(page, "20-dashboard-program")

    page.click("#lights-table tbody tr:first-child a")
    page.wait_for_selector("#lights-chart[data-rendered] svg")
    assert "/dashboard/industries/1/" in page.url
    shot(page, "21-dashboard-industry")

    page.goto(f"{base}/dashboard/measures/1.2/kpis/1.2.2/")
    page.wait_for_selector("#kpi-chart[data-rendered] svg")
    assert page.locator("#history-table tbody tr").count() == 16
    shot(page, "22-dashboard-kpi")

    page.goto(f"{base}/dashboard/measures/1.2/timeline/?period=110Q2")
    page.wait_for_selector("#gantt-chart[data-rendered] svg")
    assert "110/" in page.inner_text("#gantt-chart")  # ROC month axis
    shot(page, "23-dashboard-timeline")
    assert page.console_errors == []
