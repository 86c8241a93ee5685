"""Web views of the cycle: the role × view matrix, conflicts, attachments, the audit trail from the web."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sixcore.core.changelog import history_for
from sixcore.progress.choices import SubmissionStatus
from sixcore.progress.models import Attachment, Submission
from sixcore.progress.services import save_lines
from tests.factories import PASSWORD, editor, industry_lead, ndc_admin, ndc_reviewer, open_period, viewer


@pytest.fixture
def period(db, monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-05")
    return open_period("111Q2")


@pytest.fixture
def moea_sub(period):
    return Submission.objects.get(period=period, industry__code="1", agency__code="moea")


def login(client, user):
    # force_login: django-axes needs a request to authenticate; the real login form is tested below.
    client.force_login(user)
    return client


ROLES = {
    "anonymous": None,
    "moea_viewer": lambda: viewer("moea"),
    "moea_editor": lambda: editor("moea"),
    "most_editor": lambda: editor("most"),
    "moea_lead": lambda: industry_lead("moea"),
    "ndc_reviewer": ndc_reviewer,
    "ndc_admin": ndc_admin,
}
# Reading 經濟部's DRAFT report for industry 1: who gets the page (200), who is told it doesn't exist (404).
READ_DRAFT = {
    "anonymous": 302,
    "moea_viewer": 200,
    "moea_editor": 200,
    "most_editor": 404,
    "moea_lead": 200,
    "ndc_reviewer": 200,
    "ndc_admin": 200,
}
# Writing it (POST of the edit form).
WRITE_DRAFT = {
    "anonymous": 302,
    "moea_viewer": 403,
    "moea_editor": 302,
    "most_editor": 404,
    "moea_lead": 302,
    "ndc_reviewer": 403,
    "ndc_admin": 403,
}


@pytest.mark.parametrize("role", ROLES)
def test_read_draft_matrix(client, moea_sub, role):
    if ROLES[role]:
        login(client, ROLES[role]())
    assert client.get(reverse("progress:submission", args=[moea_sub.pk])).status_code == READ_DRAFT[role]


@pytest.mark.parametrize("role", ROLES)
def test_write_draft_matrix(client, moea_sub, role):
    if ROLES[role]:
        login(client, ROLES[role]())
    response = client.post(
        reverse("progress:submission", args=[moea_sub.pk]),
        {"version": moea_sub.version, "measures|1.2|progress": f"由 {role} 寫入"},
    )
    assert response.status_code == WRITE_DRAFT[role]
    written = moea_sub.measure_reports.get(measure__code="1.2").progress
    assert (written == f"由 {role} 寫入") == (WRITE_DRAFT[role] == 302 and role != "anonymous")


def test_list_shows_only_what_the_user_may_see(client, period):
    login(client, editor("most"))
    html = client.get(reverse("progress:submissions") + "?period=111Q2").content.decode()
    assert "科技部" in html
    visible = {s.agency.code for s in period.submissions.all() if f'/progress/submissions/{s.pk}/"' in html}
    assert visible == {"most"}


def test_approved_reports_are_readable_by_other_agencies(client, moea_sub):
    owner = editor("moea")
    save_lines(
        moea_sub,
        owner,
        1,
        {
            "work_items": {
                f"{r.work_item.schedule.code}/{r.work_item.code}": {"lag_reason": "原因", "remedy": "對策"}
                for r in moea_sub.work_item_reports.select_related("work_item__schedule")
            }
        },
    )
    moea_sub.submit(owner)
    moea_sub.approve(ndc_reviewer())
    login(client, editor("most"))
    assert client.get(reverse("progress:submission", args=[moea_sub.pk])).status_code == 200


def test_edit_form_saves_and_records_source_web(client, moea_sub):
    login(client, editor("moea"))
    response = client.post(
        reverse("progress:submission", args=[moea_sub.pk]),
        {"version": "1", "measures|1.2|progress": "網頁填寫的辦理情形"},
    )
    assert response.status_code == 302
    change = history_for(moea_sub).filter(action="update").first()
    assert change.source == "web" and change.user.username == "moea_editor"
    assert change.postchange_data["progress"] == "網頁填寫的辦理情形"


def test_stale_form_gets_409_with_the_other_changes(client, moea_sub):
    save_lines(moea_sub, industry_lead("moea"), 1, {"measures": {"1.2": {"progress": "同事先存的內容"}}})
    login(client, editor("moea"))
    response = client.post(
        reverse("progress:submission", args=[moea_sub.pk]),
        {"version": "1", "measures|1.2|progress": "我的內容"},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "同事先存的內容" in html and 'id="conflict"' in html
    assert moea_sub.measure_reports.get(measure__code="1.2").progress == "同事先存的內容"


def test_bad_value_gets_400_naming_the_field(client, moea_sub):
    login(client, editor("moea"))
    kpi = moea_sub.kpi_reports.select_related("kpi").first().kpi.code
    response = client.post(
        reverse("progress:submission", args=[moea_sub.pk]),
        {"version": "1", f"kpis|{kpi}|value": "abc", "measures|1.2|progress": "不應寫入"},
    )
    assert response.status_code == 400
    assert f"kpis {kpi}" in response.content.decode()
    assert moea_sub.measure_reports.get(measure__code="1.2").progress == ""


def test_web_transitions_and_return_comment(client, moea_sub):
    owner = editor("moea")
    login(client, owner)
    client.post(
        reverse("progress:submission", args=[moea_sub.pk]),
        {
            "version": "1",
            **{
                f"work_items|{r.work_item.schedule.code}/{r.work_item.code}|{f}": "x"
                for r in moea_sub.work_item_reports.select_related("work_item__schedule")
                for f in ("lag_reason", "remedy")
            },
        },
    )
    client.post(reverse("progress:transition", args=[moea_sub.pk, "submit"]))
    assert Submission.objects.get(pk=moea_sub.pk).status == SubmissionStatus.SUBMITTED
    client.logout()
    login(client, ndc_reviewer())
    client.post(reverse("progress:transition", args=[moea_sub.pk, "return"]), {"comment": "請補充"})
    assert Submission.objects.get(pk=moea_sub.pk).status == SubmissionStatus.DRAFT
    client.logout()
    login(client, owner)
    assert "請補充" in client.get(reverse("progress:submission", args=[moea_sub.pk])).content.decode()


def test_bulk_approve_is_ndc_only(client, period):
    subs = list(period.submissions.filter(industry__code="2"))
    for s in subs:
        Submission.objects.filter(pk=s.pk).update(status=SubmissionStatus.SUBMITTED)
    login(client, editor("moea"))
    assert client.post(reverse("progress:bulk_approve"), {"ids": [s.pk for s in subs]}).status_code == 403
    client.logout()
    login(client, ndc_reviewer())
    client.post(reverse("progress:bulk_approve"), {"ids": [s.pk for s in subs], "period": "111Q2"})
    assert set(Submission.objects.filter(pk__in=[s.pk for s in subs]).values_list("status", flat=True)) == {
        "approved"
    }


def test_list_query_count_is_bounded(client, period, django_assert_max_num_queries):
    login(client, ndc_admin())
    with django_assert_max_num_queries(20):
        assert client.get(reverse("progress:submissions") + "?period=111Q2").status_code == 200


@pytest.mark.parametrize(
    ("name", "content", "ok"),
    [
        ("evidence.pdf", b"%PDF-1.7 real pdf", True),
        ("page.pdf", b"<html><script>alert(1)</script></html>", False),  # HTML pretending to be a PDF
        ("tool.exe", b"MZ...", False),
        ("macro.xlsm", b"PK\x03\x04", False),
    ],
)
def test_attachment_types(client, moea_sub, name, content, ok):
    login(client, editor("moea"))
    client.post(
        reverse("progress:attachment_upload", args=[moea_sub.pk]), {"file": SimpleUploadedFile(name, content)}
    )
    assert Attachment.objects.filter(submission=moea_sub).exists() == ok


def test_attachment_size_limit_and_download_headers(client, moea_sub, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.ATTACHMENT_MAX_BYTES = 1000
    login(client, editor("moea"))
    client.post(
        reverse("progress:attachment_upload", args=[moea_sub.pk]),
        {"file": SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * 2000)},
    )
    assert not Attachment.objects.exists()
    client.post(
        reverse("progress:attachment_upload", args=[moea_sub.pk]),
        {"file": SimpleUploadedFile("ok.pdf", b"%PDF-small")},
    )
    attachment = Attachment.objects.get()
    response = client.get(reverse("progress:attachment", args=[moea_sub.pk, attachment.pk]))
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    client.logout()
    login(client, editor("most"))
    assert client.get(reverse("progress:attachment", args=[moea_sub.pk, attachment.pk])).status_code == 404


def test_login_lockout_after_repeated_failures(client, db):
    user = editor("moea")
    for _ in range(5):
        client.post(reverse("login"), {"username": user.username, "password": "wrong"})
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 429 or "_auth_user_id" not in client.session
