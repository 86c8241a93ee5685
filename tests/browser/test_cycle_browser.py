"""The quarterly cycle in a real browser: an agency editor fills and submits, NDC returns it with a
comment, the editor sees it returned. Screenshots are kept under artifacts/screenshots/."""

from __future__ import annotations

import pytest

from sixcore.progress.choices import SubmissionStatus
from sixcore.progress.models import ReportingPeriod, Submission
from sixcore.progress.services import ensure_submissions
from tests.factories import PASSWORD, editor, ndc_reviewer

pytestmark = pytest.mark.browser


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-button")
    page.wait_for_selector("#nav-reports")


def test_editor_submits_and_ndc_returns(live_server, page, shot, cycle_data, monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-05")  # 111Q2 is open; the live server reads the same env
    period = ReportingPeriod.by_code("111Q2")
    ensure_submissions(period)
    submission = Submission.objects.get(period=period, industry__code="2", agency__code="ncc")
    officer, reviewer = editor("ncc"), ndc_reviewer()
    base = live_server.url

    log_in(page, base, officer.username)
    page.goto(f"{base}/progress/?period=111Q2")
    shot(page, "01-editor-submissions")
    page.click(f"a[href='/progress/submissions/{submission.pk}/']")
    page.fill("textarea[name='measures|2.2|progress']", "本季完成 5G 資安檢測平台建置。")
    page.fill("textarea[name='measures|2.2|highlights']", "取得國際認證 1 項。")
    page.fill("textarea[name='measures|2.2|next_quarter']", "擴充檢測項目。")
    for row in page.query_selector_all("#work-item-table tbody tr"):
        for name in ("lag_reason", "remedy"):
            field = row.query_selector(f"input[name$='|{name}']")
            if field:
                field.fill("依期程辦理")
    shot(page, "02-editor-filled")
    page.click("#save-button")
    page.wait_for_selector(".messages")
    page.click("#submit-button")
    page.wait_for_selector(".status-submitted")
    shot(page, "03-editor-submitted")
    assert Submission.objects.get(pk=submission.pk).status == SubmissionStatus.SUBMITTED
    page.click("#logout-button")

    log_in(page, base, reviewer.username)
    page.goto(f"{base}/progress/submissions/{submission.pk}/")
    assert "本季完成 5G 資安檢測平台建置" in page.content()
    page.fill("#return-comment-input", "請補充國際認證之佐證資料。")
    shot(page, "04-ndc-returning")
    page.click("#return-button")
    page.wait_for_selector(".status-draft")
    page.click("#logout-button")

    log_in(page, base, officer.username)
    page.goto(f"{base}/progress/submissions/{submission.pk}/")
    comment = page.inner_text("#return-comment")
    shot(page, "05-editor-sees-returned")
    assert "請補充國際認證之佐證資料" in comment
    assert Submission.objects.get(pk=submission.pk).status == SubmissionStatus.DRAFT
    assert page.console_errors == []


def test_public_overview_in_the_browser(live_server, page, shot, cycle_data):
    page.goto(live_server.url + "/")
    assert "各產業願景" in page.content() and "1,131.86" in page.content()
    shot(page, "00-overview")
    assert page.console_errors == []
