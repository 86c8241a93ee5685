"""Public plan pages carry no English transcription notes and no dead "#" links (issue #17)."""

from __future__ import annotations

import re

import pytest

from tests.factories import ndc_reviewer

pytestmark = pytest.mark.django_db


def test_public_kpi_page_has_no_english_transcription_note(client, program):
    html = client.get("/measures/6.2/kpis/6.2.1/").content.decode()
    assert "6.2.1" in html and "The four annual cells" not in html and "謄錄說明" not in html
    client.force_login(ndc_reviewer())  # officers auditing the transcription still read it
    assert "The four annual cells" in client.get("/measures/6.2/kpis/6.2.1/").content.decode()


@pytest.mark.parametrize("url", ["/industries/1/", "/measures/6.2/kpis/6.2.1/"])
def test_public_plan_pages_have_no_hash_links(client, program, url):
    html = client.get(url).content.decode()
    assert client.get(url).status_code == 200
    assert not re.search(r'href="#"', html), url
