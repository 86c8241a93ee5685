"""Dashboards and supplies pages on a 390 px phone: nothing scrolls the page sideways, every chart is
drawn with its own accessible name, the 燈號說明 is there, no console error (issue #17)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

PAGES = [
    ("/dashboard/?period=110Q2", ["lights-chart", "budget-chart"]),
    ("/dashboard/industries/1/?period=110Q2", ["lights-chart", "budget-chart"]),
    ("/dashboard/agencies/moea/?period=110Q2", ["lights-chart", "budget-chart"]),
    ("/dashboard/measures/1.2/?period=110Q2", ["lights-chart", "budget-chart"]),
    ("/dashboard/measures/1.2/kpis/1.2.2/", ["kpi-chart"]),
    ("/dashboard/measures/1.2/timeline/?period=110Q2", ["gantt-chart"]),
    ("/dashboard/attention/?period=110Q2", []),
    ("/supplies/", ["supplies-dashboard-chart"]),
    ("/supplies/items/natural-gas/", ["supplies-item-chart"]),
    ("/supplies/alerts/", []),
]


def test_dashboards_and_supplies_fit_a_phone(live_server, page, shot, cycle_data):
    call_command("demo", "--until", "110Q2", "--password", PASSWORD)
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "ndc")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-button")
    page.set_viewport_size({"width": 390, "height": 844})
    names = []
    for n, (url, charts) in enumerate(PAGES):
        page.goto(base + url)
        for chart in charts:
            page.wait_for_selector(f"#{chart}[data-rendered] svg")
            names.append(page.get_attribute(f"#{chart}", "aria-label"))
        if url.startswith("/dashboard/"):
            assert page.locator("#light-legend").is_visible(), url
        width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        shot(page, f"60-phone-{n:02d}")
        assert width <= inner, (url, width, inner)
    assert len(names) == len(set(names)), names
    assert page.console_errors == []
