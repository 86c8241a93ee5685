"""Public plan pages carry no English transcription notes and no dead "#" links (issue #17)."""

from __future__ import annotations

import re

import pytest

from sixcore.accounts.choices import Role
from tests.factories import editor, industry_lead, make_user, ndc_reviewer, viewer

pytestmark = pytest.mark.django_db


KPI = "/measures/6.2/kpis/6.2.1/"
NOTE = "The four annual cells"


def test_public_kpi_page_has_no_english_transcription_note(client, program):
    html = client.get(KPI).content.decode()
    assert "6.2.1" in html and NOTE not in html and "謄錄說明" not in html


@pytest.mark.parametrize(
    "user", [lambda: editor("moea"), lambda: viewer("moea"), lambda: industry_lead("moea")]
)
def test_agency_officers_read_the_zh_tw_footnotes_only(client, program, user):
    """The English notes are NDC's internal data notes, not something to show an agency."""
    client.force_login(user())
    html = client.get(KPI).content.decode()
    assert NOTE not in html and "謄錄說明" not in html and 'id="internal-notes"' not in html


def _staff():
    user = make_user(Role.AGENCY_VIEWER, "moea", "staffer")
    user.is_staff = True
    user.save()
    return user


@pytest.mark.parametrize("user", [ndc_reviewer, _staff])
def test_ndc_and_staff_read_them_labelled_as_internal(client, program, user):
    client.force_login(user())
    html = client.get(KPI).content.decode()
    assert NOTE in html and "資料謄錄說明（英文，僅供內部參考）" in html


@pytest.mark.parametrize("url", ["/industries/1/", "/measures/6.2/kpis/6.2.1/"])
def test_public_plan_pages_have_no_hash_links(client, program, url):
    html = client.get(url).content.decode()
    assert client.get(url).status_code == 200
    assert not re.search(r'href="#"', html), url
