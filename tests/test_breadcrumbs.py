"""Breadcrumbs on the plan, revisions, coordination and reports pages (issue #17 item 2): an ordered
list of links up to the section named as in the menu, the page itself marked aria-current."""

from __future__ import annotations

import re
from datetime import date

import pytest

from sixcore.accounts.models import Agency
from sixcore.coordination import services as coordination
from tests.factories import ndc_admin

pytestmark = pytest.mark.django_db
CRUMB = re.compile(r'<li(?: aria-current="page")?>(?:<a href="([^"]+)">)?(.*?)(?:</a>)?</li>')


def _crumbs(html: str) -> list[tuple[str, str]]:
    nav = html.split('<nav class="breadcrumbs"', 1)[1].split("</nav>", 1)[0]
    assert nav.count('aria-current="page"') == 1 and nav.rstrip().endswith("</ol>")
    return [(url, re.sub(r"<[^>]+>", "", text).strip()) for url, text in CRUMB.findall(nav)]


def test_plan_pages_lead_back_through_industry_and_measure(client, program):
    crumbs = _crumbs(client.get("/measures/1.1/kpis/1.1.1/").content.decode())
    assert crumbs == [
        ("/", "方案"),
        ("/industries/1/", "資訊及數位產業"),
        ("/measures/1.1/", "1.1"),
        ("", "績效指標 1.1.1"),
    ]
    assert _crumbs(client.get("/industries/1/").content.decode())[0] == ("/", "方案")


def test_revisions_pages_lead_back_to_the_list(client, program):
    assert _crumbs(client.get("/revisions/").content.decode()) == [("", "滾動修正")]
    crumbs = _crumbs(client.get("/revisions/kpi/1.1/1.1.1/").content.decode())
    assert (
        crumbs[:2] == [("/revisions/", "滾動修正"), ("/measures/1.1/kpis/1.1.1/", "1.1.1")]
        and len(crumbs) == 3
    )


def test_coordination_pages_lead_back_to_the_index(client, program):
    admin = ndc_admin()
    issue = coordination.raise_issue(
        admin, title="跨部會議題", description="說明", raising_agency=Agency.objects.get(code="moea")
    )
    meeting = coordination.record_meeting(admin, date=date(2022, 7, 1), title="專案會議")
    client.force_login(admin)
    for path, last in (
        (f"/coordination/issues/{issue.pk}/", "跨部會議題"),
        (f"/coordination/meetings/{meeting.pk}/", "專案會議"),
    ):
        assert _crumbs(client.get(path).content.decode()) == [("/coordination/", "協調"), ("", last)]


def test_the_downloads_page_has_its_crumb(client, program):
    assert _crumbs(client.get("/reports/").content.decode()) == [("", "報表與開放資料")]
