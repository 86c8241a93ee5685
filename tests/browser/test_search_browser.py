"""Site search from the header, on a phone: the public types a CJK term, gets grouped results with the
term marked, nothing scrolls sideways, no console error (issue #17)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_header_search_on_a_phone(live_server, page, shot, cycle_data):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/")
    page.fill("#site-search-q", "離岸風電")
    page.press("#site-search-q", "Enter")
    page.wait_for_url("**/search/?q=*")
    assert page.locator("h2#group-kpis").is_visible()
    marks = page.locator(".search-hits mark")
    assert marks.count() > 3 and marks.first.inner_text() == "離岸風電"
    assert "共找到" in page.locator(".search-summary").inner_text()
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    shot(page, "70-search-phone")
    assert width <= inner
    page.locator(".search-hits a").first.click()  # a hit leads to its page
    assert "/measures/" in page.url
    assert page.console_errors == []
