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


def test_stale_form_shows_the_other_changes(client, moea_sub):
    save_lines(moea_sub, industry_lead("moea"), 1, {"measures": {"1.2": {"progress": "同事先存的內容"}}})
    login(client, editor("moea"))
    response = client.post(
        reverse("progress:submission", args=[moea_sub.pk]),
        {"version": "1", "measures|1.2|progress": "我的內容"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "同事先存的內容" in html and 'id="conflict"' in html
    assert moea_sub.measure_reports.get(measure__code="1.2").progress == "同事先存的內容"


def test_bad_value_is_named_as_the_form_shows_it(client, moea_sub):
    login(client, editor("moea"))
    kpi = moea_sub.kpi_reports.select_related("kpi").first().kpi.code
    response = client.post(
        reverse("progress:submission", args=[moea_sub.pk]),
        {"version": "1", f"kpis|{kpi}|value": "abc", "measures|1.2|progress": "不應寫入"},
    )
    assert response.status_code == 200
    assert f"績效指標 {kpi} 實際值" in response.content.decode()
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


# --- the form never loses input (issue 17) -----------------------------------------------------------


def _kpi_field(submission) -> tuple[str, str]:
    report = submission.kpi_reports.select_related("kpi__measure").first()
    return f"kpis|{report.kpi.measure.code}/{report.kpi.code}|value", report.kpi.code


def _item_field(submission, name: str) -> tuple[str, str]:
    report = submission.work_item_reports.select_related("work_item__schedule").first()
    code = f"{report.work_item.schedule.code}/{report.work_item.code}"
    return f"work_items|{code}|{name}", code


def test_a_save_with_two_errors_keeps_every_typed_value_and_names_the_fields(client, moea_sub):
    login(client, editor("moea"))
    kpi_field, kpi_code = _kpi_field(moea_sub)
    percent_field, item_code = _item_field(moea_sub, "percent")
    reason_field, _code = _item_field(moea_sub, "lag_reason")
    typed = {
        "version": "1",
        "measures|1.2|progress": "本季辦理情形：完成三場說明會",
        "measures|1.2|next_quarter": "下一季將擴大辦理",
        kpi_field: "abc",
        percent_field: "150",
        reason_field: "受疫情影響延後",
        "budget|1.2|executed": "3.5",
    }
    response = client.post(reverse("progress:submission", args=[moea_sub.pk]), typed)
    assert response.status_code == 200
    html = response.content.decode()
    for value in (
        "本季辦理情形：完成三場說明會",
        "下一季將擴大辦理",
        'value="abc"',
        'value="150"',
        "受疫情影響延後",
        'value="3.5"',
    ):
        assert value in html
    # Each message named as the user sees the field, and shown at the field itself.
    assert f"績效指標 {kpi_code} 實際值" in html and f"重點工作項目 {item_code} 完成百分比" in html
    assert "kpis 1." not in html
    errors = response.context["errors"]
    assert len(errors) == 2
    for error in errors:
        assert f'<p class="field-error" id="{error["anchor"]}-error">' in html
    # All or nothing: not even the valid narrative was written.
    moea_sub.refresh_from_db()
    assert moea_sub.version == 1
    assert moea_sub.measure_reports.get(measure__code="1.2").progress == ""
    assert moea_sub.budget_reports.get(measure__code="1.2").executed is None


def test_a_conflict_keeps_typed_values_and_shows_the_colleagues_beside_them(client, moea_sub):
    login(client, editor("moea"))
    page = client.get(reverse("progress:submission", args=[moea_sub.pk]))
    originals = page.context["originals"]
    # A colleague saves 1.2 and 1.3 after the page was loaded.
    save_lines(
        moea_sub,
        industry_lead("moea"),
        1,
        {"measures": {"1.2": {"progress": "同事的辦理情形"}, "1.3": {"progress": "同事補的 1.3"}}},
    )
    response = client.post(
        reverse("progress:submission", args=[moea_sub.pk]),
        {
            "version": "1",
            "originals": originals,
            "measures|1.2|progress": "我的辦理情形",  # both changed it: the user chooses
            "measures|1.3|progress": "",  # only the colleague changed it: theirs is kept
            "measures|1.4|progress": "只有我改的",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "我的辦理情形" in html and "同事的辦理情形" in html and "只有我改的" in html
    assert 'name="choose|measures|1.2|progress"' in html
    assert 'name="choose|measures|1.3|progress"' not in html and "同事補的 1.3" in html
    assert [c.name for c in response.context["conflicts"]] == ["measures|1.2|progress"]
    assert 'name="version" value="2"' in html
    # Take theirs for 1.2, keep the rest: saved against the new version.
    response = client.post(
        reverse("progress:submission", args=[moea_sub.pk]),
        {
            "version": "2",
            "originals": response.context["originals"],
            "measures|1.2|progress": "我的辦理情形",
            "choose|measures|1.2|progress": "theirs",
            "measures|1.3|progress": "同事補的 1.3",
            "measures|1.4|progress": "只有我改的",
        },
    )
    assert response.status_code == 302
    saved = dict(moea_sub.measure_reports.values_list("measure__code", "progress"))
    assert (
        saved["1.2"] == "同事的辦理情形" and saved["1.3"] == "同事補的 1.3" and saved["1.4"] == "只有我改的"
    )


def test_save_and_submit_saves_first(client, moea_sub):
    login(client, editor("moea"))
    lagging = {
        f"work_items|{r.work_item.schedule.code}/{r.work_item.code}|{f}": "依期程辦理"
        for r in moea_sub.work_item_reports.select_related("work_item__schedule")
        for f in ("lag_reason", "remedy")
    }
    response = client.post(
        reverse("progress:submission", args=[moea_sub.pk]),
        {"version": "1", "then": "submit", "measures|1.2|highlights": "最後一刻補上的亮點", **lagging},
    )
    assert response.status_code == 302
    moea_sub.refresh_from_db()
    assert moea_sub.status == SubmissionStatus.SUBMITTED
    assert moea_sub.measure_reports.get(measure__code="1.2").highlights == "最後一刻補上的亮點"
    assert "已送出審查" in client.get(response["Location"]).content.decode()


def test_submitting_an_incomplete_report_lists_what_is_missing(client, period, moea_sub):
    open_period("111Q2", completeness=True)
    login(client, editor("moea"))
    response = client.post(
        reverse("progress:submission", args=[moea_sub.pk]),
        {"version": "1", "then": "submit", "measures|1.2|progress": "只填了辦理情形"},
        follow=True,
    )
    moea_sub.refresh_from_db()
    assert moea_sub.status == SubmissionStatus.DRAFT and moea_sub.version == 2  # saved, not submitted
    html = response.content.decode()
    assert "具體措施 1.2 下一季重點工作：送出審查前必須填寫" in html
    assert "具體措施 1.2 辦理情形：送出審查前必須填寫" not in html
    kpi = moea_sub.kpi_reports.select_related("kpi").first().kpi.code
    assert f"績效指標 {kpi} 實際值：送出審查前必須填寫" in html


def test_inputs_fit_figures_units_milestones_and_roc_dates(client, moea_sub):
    user = editor("moea")
    login(client, user)
    page = client.get(reverse("progress:submission", args=[moea_sub.pk]))
    reports = page.context["kpi_reports"]
    milestone = next(r for r in reports if r.is_milestone)
    counted = next(r for r in reports if not r.is_milestone and r.unit)
    html = page.content.decode()
    assert f'name="kpis|{milestone.form_code}|done"' in html
    assert f'name="kpis|{milestone.form_code}|value"' not in html
    assert f'name="kpis|{counted.form_code}|done"' not in html
    assert f'<span class="unit">{counted.unit}</span>' in html
    date_field, _code = _item_field(moea_sub, "completed_on")
    response = client.post(
        reverse("progress:submission", args=[moea_sub.pk]),
        {"version": "1", f"kpis|{counted.form_code}|value": "4", date_field: "111/6/15"},
    )
    assert response.status_code == 302
    html = client.get(reverse("progress:submission", args=[moea_sub.pk])).content.decode()
    assert 'value="4"' in html and "4.0000" not in html
    assert 'value="111/6/15"' in html
    assert moea_sub.work_item_reports.filter(completed_on="2022-06-15").exists()


def test_the_budget_unit_shows_its_label_and_keeps_its_stored_value(client, moea_sub, settings):
    """The unit options read as the choices' labels (English here, to tell label from value); the
    stored values 億元/千元 are what the form posts."""
    settings.LANGUAGE_CODE = "en"
    login(client, editor("moea"))
    html = client.get(reverse("progress:submission", args=[moea_sub.pk])).content.decode()
    assert '<option value="億元" selected>100 million NTD (億元)</option>' in html
    assert '<option value="千元" >thousand NTD (千元)</option>' in html
    assert ">億元<" not in html and ">千元<" not in html


def test_a_negative_count_is_refused(client, moea_sub):
    login(client, editor("moea"))
    kpi_field, kpi_code = _kpi_field(moea_sub)
    response = client.post(
        reverse("progress:submission", args=[moea_sub.pk]), {"version": "1", kpi_field: "-5"}
    )
    assert response.status_code == 200
    assert f"績效指標 {kpi_code} 實際值" in response.content.decode()
    assert 'value="-5"' in response.content.decode()


def test_returned_report_reads_returned_with_the_comment(client, moea_sub):
    owner = editor("moea")
    moea_sub.submit(owner)
    login(client, ndc_reviewer())
    response = client.post(
        reverse("progress:transition", args=[moea_sub.pk, "return"]), {"comment": "請補充佐證"}, follow=True
    )
    html = response.content.decode()
    assert "已退回修正" in html and "完成：草稿" not in html
    client.logout()
    login(client, owner)
    listing = client.get(reverse("progress:submissions") + "?period=111Q2").content.decode()
    assert 'class="status status-returned">已退回<' in listing
    page = client.get(reverse("progress:submission", args=[moea_sub.pk])).content.decode()
    assert "已退回" in page and "請補充佐證" in page


def test_history_reads_in_peoples_terms(client, moea_sub):
    owner = editor("moea")
    owner.first_name, owner.last_name = "小明", "王"
    owner.save()
    login(client, owner)
    kpi_field, _code = _kpi_field(moea_sub)
    done_field = kpi_field.replace("|value", "|done")
    url = reverse("progress:submission", args=[moea_sub.pk])
    client.post(url, {"version": "1", kpi_field: "4", done_field: "1"})
    client.post(reverse("progress:transition", args=[moea_sub.pk, "submit"]))
    html = client.get(url).content.decode()
    history = html[html.index('id="history"') :]
    assert "送出審查" in history and "修改" in history and owner.get_full_name() in history
    for machine in (
        "submission.submit",
        ">update<",
        "True",
        "False",
        "4.0000",
        "moea_editor",
        "submitted_at",
    ):
        assert machine not in history
    # The status by its label, the field by its verbose name.
    assert "<strong>狀態</strong>：草稿 → 已送出" in history
    assert "— → 是" in history and "送出時間" in history


def test_bulk_approve_has_select_all_a_confirmation_and_refuses_nothing_selected(client, period):
    login(client, ndc_reviewer())
    html = client.get(reverse("progress:submissions") + "?period=111Q2").content.decode()
    assert 'data-select-all="ids"' in html and 'id="bulk-approve" data-confirm="' in html
    response = client.post(reverse("progress:bulk_approve"), {"period": "111Q2"}, follow=True)
    assert "請至少勾選一份季報再核定" in response.content.decode()


def test_the_list_counts_returned_reports_apart(client, moea_sub):
    moea_sub.submit(editor("moea"))
    moea_sub.return_for_revision(ndc_reviewer(), "請補充")
    login(client, ndc_reviewer())
    response = client.get(reverse("progress:submissions") + "?period=111Q2")
    drafts = Submission.objects.filter(period=moea_sub.period, status="draft").count()
    assert response.context["returned"] == 1 and response.context["counts"]["draft"] == drafts - 1
    assert "<b>已退回：</b>" in response.content.decode()


def test_a_return_stamped_before_the_submission_still_reads_returned(client, moea_sub):
    """Under the as-of clock of the demo a return can carry an earlier time than the submission."""
    from datetime import timedelta

    moea_sub.submit(editor("moea"))
    moea_sub.return_for_revision(ndc_reviewer(), "請補充")
    Submission.objects.filter(pk=moea_sub.pk).update(submitted_at=moea_sub.returned_at + timedelta(days=3))
    login(client, ndc_reviewer())
    html = client.get(reverse("progress:submission", args=[moea_sub.pk])).content.decode()
    assert 'class="status status-returned">已退回<' in html
    listing = client.get(reverse("progress:submissions") + "?period=111Q2")
    assert listing.context["returned"] == 1


def test_the_version_counter_is_a_lock_token_never_shown(client, moea_sub):
    """People read who changed the report last and when; the counter stays a hidden input."""
    import re

    url = reverse("progress:submission", args=[moea_sub.pk])
    login(client, editor("moea"))
    response = client.post(url, {"version": "1", "measures|1.2|progress": "本季辦理情形"}, follow=True)
    html = response.content.decode()
    assert 'name="version" value="2"' in html  # the lock token
    shown = re.sub(r"<input[^>]*>", "", html)
    assert "版本" not in shown and not re.search(r"第 ?\d+ ?版", shown)
    assert "已儲存。" in shown
    assert re.search(
        r'id="last-change">最後更新：<time datetime="[^"]+">\d+/\d+/\d+ \d+:\d\d</time> moea_editor', shown
    )

    from sixcore.core.changelog.context import change_context

    colleague = industry_lead("moea")
    with change_context(colleague, "web"):
        save_lines(moea_sub, colleague, 2, {"measures": {"1.3": {"progress": "同事的內容"}}})
    stale = client.post(url, {"version": "2", "measures|1.2|progress": "我的內容"}).content.decode()
    assert "此季報在您開啟後已被他人修改" in stale and not re.search(r"第 ?\d+ ?版", stale)
    assert "moea_lead" in stale[stale.index('id="last-change"') :][:200]  # the colleague, named

    listing = client.get(reverse("progress:submissions"), {"period": moea_sub.period.code}).content.decode()
    assert '<th scope="col">最後更新</th>' in listing and "版本" not in listing


def test_after_a_refused_save_the_completeness_box_never_contradicts_the_typed_values(client, moea_sub):
    """The box lists the saved report's gaps; after a refused save the form shows what was typed, so the
    box gives way to a note until the next save (then it lists the saved values' gaps again)."""
    from sixcore.progress.models import CycleSettings

    CycleSettings.objects.filter(pk=1).update(require_narratives=True)
    url = reverse("progress:submission", args=[moea_sub.pk])
    login(client, editor("moea"))
    assert "1.2 辦理情形" in client.get(url).content.decode().split('id="problems"')[1].split("</div>")[0]
    kpi_field, _code = _kpi_field(moea_sub)
    typed = {"version": "1", "measures|1.2|progress": "本季已完成三場說明會", kpi_field: "abc"}
    html = client.post(url, typed).content.decode()
    assert "本季已完成三場說明會" in html  # typed, on screen
    assert 'id="problems"' not in html and 'id="problems-deferred"' in html
    assert "儲存後依儲存內容重新列出" in html
    typed[kpi_field] = ""
    html = client.post(url, typed, follow=True).content.decode()
    box = html.split('id="problems"')[1].split("</div>")[0]
    assert "1.2 辦理情形" not in box and "1.3 辦理情形" in box  # the saved values' gaps
    assert 'id="problems-deferred"' not in html
