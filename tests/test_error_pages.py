"""403, 404 and 500 in zh-TW inside the site frame, each with a way back (issue #17 item 2)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.views.defaults import server_error

from tests.factories import editor


@pytest.mark.django_db
def test_404_is_in_zh_tw_inside_the_frame(client):
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "<h1>找不到此頁面</h1>" in html and "Not Found" not in html
    assert 'class="site-menu"' in html and 'id="back-home"' in html
    assert 'id="back-todo"' not in html  # the public has no to-do list


@pytest.mark.django_db
def test_403_is_in_zh_tw_with_the_reason_and_a_way_back(client, program):
    client.force_login(editor("moea"))
    response = client.get("/dashboard/attention/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "<h1>您沒有權限檢視此頁面</h1>" in html and "403 Forbidden" not in html
    assert 'id="back-todo"' in html and 'id="nav-todo"' in html  # the menu of the signed-in user
    assert "Only NDC" not in html


def test_500_renders_without_a_database_or_a_request_context():
    """No django_db mark: any query would raise. Django's server_error renders with an empty context."""
    response = server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "<h1>系統發生錯誤</h1>" in html and 'id="back-home"' in html
    assert "site.css" in html  # inside the frame
