"""The quarterly cycle in a real browser: an agency editor fills and submits, NDC returns it with a
comment, the editor sees it returned. Screenshots are kept under artifacts/screenshots/."""

from __future__ import annotations

import pytest

from sixcore.progress.choices import SubmissionStatus
from sixcore.progress.models import ReportingPeriod, Submission
from sixcore.progress.services import ensure_submissions
from tests.factories import PASSWORD, editor, industry_lead, ndc_reviewer

pytestmark = pytest.mark.browser


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-button")
    page.wait_for_selector("#nav-reports", state="attached")  # in the folded menu on a phone


def test_editor_submits_and_ndc_returns(live_server, page, shot, cycle_data, monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-05")  # 111Q2 is open; the live server reads the same env
    period = ReportingPeriod.by_code("111Q2")
    ensure_submissions(period)
    submission = Submission.objects.get(period=period, industry__code="2", agency__code="ncc")
    officer, reviewer = editor("ncc"), ndc_reviewer()
    base = live_server.url

    page.on("dialog", lambda dialog: dialog.accept())  # 送出審查 and 核定 ask for confirmation
    log_in(page, base, officer.username)
    page.goto(f"{base}/progress/?period=111Q2")
    shot(page, "01-editor-submissions")
    page.click(f"a[href='/progress/submissions/{submission.pk}/']")
    page.fill("textarea[name='measures|2.2|progress']", "本季完成 5G 資安檢測平台建置。")
    page.fill("textarea[name='measures|2.2|highlights']", "取得國際認證 1 項。")
    page.fill("textarea[name='measures|2.2|next_quarter']", "擴充檢測項目。")
    for field in page.query_selector_all("#kpi-table input[name$='|value']"):
        field.fill("1")
    for field in page.query_selector_all("#kpi-table select[name$='|done']"):
        field.select_option("1")
    for field in page.query_selector_all("#work-item-table input[name$='|percent']"):
        field.fill("50")
    for row in page.query_selector_all("#work-item-table tbody tr"):
        for name in ("lag_reason", "remedy"):
            field = row.query_selector(f"textarea[name$='|{name}']")
            if field:
                field.fill("依期程辦理")
    shot(page, "02-editor-filled")
    page.click("#save-button")  # the sticky bar, with the page scrolled to the last field typed
    page.wait_for_selector(".messages")
    page.click("#submit-button")  # 儲存並送出審查: saves first, after a confirmation
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
    page.wait_for_selector(".status-returned")
    assert "完成：草稿" not in page.content()
    page.click("#logout-button")

    log_in(page, base, officer.username)
    page.goto(f"{base}/progress/submissions/{submission.pk}/")
    comment = page.inner_text("#return-comment")
    shot(page, "05-editor-sees-returned")
    assert "請補充國際認證之佐證資料" in comment and "已退回" in comment
    assert Submission.objects.get(pk=submission.pk).status == SubmissionStatus.DRAFT
    assert page.console_errors == []


def test_typed_values_survive_errors_and_a_colleagues_save(
    live_server, browser, shot, cycle_data, monkeypatch
):
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-05")
    period = ReportingPeriod.by_code("111Q2")
    ensure_submissions(period)
    submission = Submission.objects.get(period=period, industry__code="2", agency__code="ncc")
    officer, colleague = editor("ncc"), industry_lead("ncc")
    base, url = live_server.url, f"{live_server.url}/progress/submissions/{submission.pk}/"
    errors: list[str] = []
    contexts = [browser.new_context(locale="zh-TW", viewport={"width": 390, "height": 844}) for _ in range(2)]
    mine, theirs = (context.new_page() for context in contexts)
    for tab in (mine, theirs):
        tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    log_in(mine, base, officer.username)
    log_in(theirs, base, colleague.username)
    mine.goto(url)
    theirs.goto(url)
    mine.fill("textarea[name='measures|2.2|progress']", "我寫了很長的辦理情形")
    mine.fill("#kpi-table input[name$='|value']", "abc")
    mine.fill("#work-item-table input[name$='|percent']", "150")
    mine.click("#save-button")
    mine.wait_for_selector("#errors")
    shot(mine, "06-two-errors-390")
    assert mine.input_value("textarea[name='measures|2.2|progress']") == "我寫了很長的辦理情形"
    assert len(mine.query_selector_all(".field-error")) == 2
    mine.fill("#kpi-table input[name$='|value']", "3")
    mine.fill("#work-item-table input[name$='|percent']", "50")
    theirs.fill("textarea[name='measures|2.2|progress']", "同事先存的辦理情形")
    theirs.click("#save-button")
    theirs.wait_for_selector(".messages")
    mine.click("#save-button")
    mine.wait_for_selector("#conflict")
    shot(mine, "07-conflict-390")
    assert mine.input_value("textarea[name='measures|2.2|progress']") == "我寫了很長的辦理情形"
    assert "同事先存的辦理情形" in mine.inner_text(".conflict-choice")
    mine.check("input[name='choose|measures|2.2|progress'][value='mine']")
    mine.click("#save-button")
    mine.wait_for_selector(".messages")
    assert submission.measure_reports.get(measure__code="2.2").progress == "我寫了很長的辦理情形"
    assert errors == []  # a refused save is a 200 page, not a failed resource
    for context in contexts:
        context.close()


def test_public_overview_in_the_browser(live_server, page, shot, cycle_data):
    page.goto(live_server.url + "/")
    assert "各產業願景" in page.content() and "1,131.86" in page.content()
    shot(page, "00-overview")
    assert page.console_errors == []
