"""The site menu (issue #17 item 2): every section reachable, each entry only for the roles its view
admits (no entry leads to a 403 or a 404), the current section marked with aria-current."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.factories import editor, industry_lead, ndc_admin, ndc_reviewer, open_period, viewer

pytestmark = pytest.mark.django_db

LINK = re.compile(r'<a href="([^"]+)" id="nav-([\w-]+)"( aria-current="page")?>')
PUBLIC = {
    "plan",
    "dashboard",
    "annual",
    "revisions",
    "coordination",
    "fieldwork",
    "followups",
    "supplies",
    "downloads",
    "api",
}
SIGNED_IN = PUBLIC | {"todo", "reports"}
AGENCY = SIGNED_IN | {"agency"}
EXPECTED = {
    "anonymous": PUBLIC,
    "admin": SIGNED_IN | {"attention"},
    "reviewer": SIGNED_IN | {"attention"},
    "editor": AGENCY | {"excel"},
    "viewer": AGENCY,
    "lead": AGENCY | {"excel"},
}


def _client(role: str) -> Client:
    client = Client()
    user = {
        "anonymous": lambda: None,
        "admin": ndc_admin,
        "reviewer": ndc_reviewer,
        "editor": lambda: editor("moea"),
        "viewer": lambda: viewer("moea"),
        "lead": lambda: industry_lead("most"),
    }[role]()
    if user is not None:
        client.force_login(user)
    return client


def _menu(html: str) -> dict[str, tuple[str, bool]]:
    nav = html.split('<nav class="main-nav"', 1)[1].split("</nav>", 1)[0]
    return {key: (url, bool(current)) for url, key, current in LINK.findall(nav)}


@pytest.mark.parametrize("role", EXPECTED)
def test_each_role_sees_its_sections_and_every_entry_opens(role, program, monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-05")
    open_period("111Q2")
    client = _client(role)
    menu = _menu(client.get("/").content.decode())
    assert set(menu) == EXPECTED[role]
    for key, (url, _current) in menu.items():
        response = client.get(url)
        assert response.status_code == 200, (role, key, url, response.status_code)


@pytest.mark.parametrize(
    ("path", "section"),
    [
        ("/", "plan"),
        ("/industries/3/", "plan"),
        ("/dashboard/?period=111Q2", "dashboard"),
        ("/dashboard/attention/?period=111Q2", "attention"),
        ("/progress/?period=111Q2", "reports"),
        ("/revisions/", "revisions"),
        ("/coordination/", "coordination"),
        ("/follow-ups/", "followups"),
        ("/field-verifications/", "fieldwork"),
        ("/supplies/", "supplies"),
        ("/reports/", "downloads"),
        ("/todo/", "todo"),
        ("/annual/", "annual"),
    ],
)
def test_the_current_section_is_marked(path, section, program, client):
    open_period("111Q2")
    client.force_login(ndc_admin())
    menu = _menu(client.get(path).content.decode())
    assert [key for key, (_url, current) in menu.items() if current] == [section]


@pytest.mark.parametrize(("role", "section"), [("editor", "agency"), ("admin", "dashboard")])
def test_an_agency_dashboard_is_marked_as_the_users_menu_has_it(role, section, program, monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-05")
    open_period("111Q2")
    menu = _menu(_client(role).get("/dashboard/agencies/moea/?period=111Q2").content.decode())
    assert [key for key, (_url, current) in menu.items() if current] == [section]


def test_a_user_of_a_non_reporting_agency_has_no_agency_dashboard_entry(client, program):
    from sixcore.accounts.choices import AgencyKind, Role
    from sixcore.accounts.models import Agency
    from tests.factories import make_user

    Agency.objects.create(code="xorg", name="某法人", kind=AgencyKind.OTHER)
    client.force_login(make_user(Role.AGENCY_VIEWER, "xorg"))
    menu = _menu(client.get("/").content.decode())
    assert "agency" not in menu and "reports" in menu


def test_the_menu_is_a_disclosure_in_zh_tw(client, program):
    html = client.get("/").content.decode()
    assert '<details class="site-menu">' in html and "<summary>選單</summary>" in html
    assert '<a class="skip-link" href="#main">跳至主要內容</a>' in html and '<main id="main"' in html
    for word in ("方案", "儀表板", "滾動修正", "協調", "民生及戰備物資", "報表與開放資料", "API"):
        assert f">{word}</a>" in html


def test_the_downloads_page_offers_reports_only_once_published(client, program, monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-05")
    open_period("111Q2")  # drafts: not published
    html = client.get("/reports/").content.decode()
    assert "111 年第 2 季" in html and "尚未公開" in html
    assert "/reports/quarterly/111Q2.pdf" not in html
    client.force_login(ndc_reviewer())
    assert "/reports/quarterly/111Q2.pdf" in client.get("/reports/").content.decode()
