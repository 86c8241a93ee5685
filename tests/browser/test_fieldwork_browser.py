"""Field verification (實地查證) in a real browser, issue #20: NDC picks a red KPI from the candidates,
plans and records the visit (findings, a site photo, a recommendation) and completes it; the
recommendation, now a follow-up item, appears in the agency's next quarterly report, the agency answers
(辦理情形), NDC closes it (解除列管) and the visit shows it closed. At 390 px as well as 1280 px."""

from __future__ import annotations

import pytest

from sixcore.evaluation import store
from sixcore.fieldwork.demo import _png
from sixcore.fieldwork.models import FieldVerification
from sixcore.followups.choices import FollowUpStatus
from sixcore.followups.services import carrying_submission
from sixcore.progress.models import KPIReport, ReportingPeriod, Submission
from sixcore.progress.services import ensure_submissions
from tests.browser.test_cycle_browser import log_in
from tests.factories import editor, ndc_reviewer

pytestmark = pytest.mark.browser


def _phone(page, browser):
    """A 390 px page for the phone screenshots; ``_same(phone, page)`` gives it the page's session."""
    context = browser.new_context(locale="zh-TW", viewport={"width": 390, "height": 844})
    return context.new_page()


def _same(phone, page) -> None:
    phone.context.clear_cookies()
    phone.context.add_cookies(page.context.cookies())
    phone.goto(page.url)


def test_ndc_verifies_the_agency_answers_and_ndc_closes(
    live_server, page, browser, shot, cycle_data, monkeypatch
):
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-05")  # the live server reads the same environment
    q2 = ReportingPeriod.by_code("111Q2")
    ensure_submissions(q2)
    report = Submission.objects.get(period=q2, industry__code="1", agency__code="moea")
    KPIReport.objects.filter(submission=report, kpi__measure__code="1.2", kpi__code="1.2.2").update(value=1)
    store.rebuild([q2])  # written beside the write path (which refreshes the store): what is read
    officer, reviewer = editor("moea"), ndc_reviewer()
    base = live_server.url
    page.on("dialog", lambda dialog: dialog.accept())

    # NDC: the candidates, by reason; pick the red KPI and plan the visit.
    log_in(page, base, reviewer.username)
    page.click("#nav-fieldwork")
    page.click("#fieldwork-candidates")
    page.select_option("#id_period", "111Q2")
    page.select_option("#id_reason", "red_kpi")
    page.click("#candidate-filter-apply")
    row = page.locator("#candidate-table tr", has_text="1.2.2")
    assert "績效指標紅燈" in row.inner_text()
    shot(page, "fieldwork-01-candidates")
    phone = _phone(page, browser)
    _same(phone, page)
    shot(phone, "fieldwork-01-candidates-390")
    row.locator("input[name=pick]").check()
    page.click("#candidate-plan")
    page.fill("#id_place", "新竹科學園區")
    page.fill("#id_date", "2022-07-01")
    page.click("#plan-save")  # reviewers missing: refused, what was typed is kept
    assert "查證人員" in page.inner_text("#form-errors")
    assert page.input_value("#id_place") == "新竹科學園區"
    shot(page, "fieldwork-02-plan-refused")
    page.console_errors.clear()  # the refused form's 400, wanted: the browser logs it as a failed load
    page.fill("#id_reviewers", "王專門委員、陳教授")
    page.click("#plan-save")
    page.wait_for_selector("#verification-status")
    verification = FieldVerification.objects.get()
    item = verification.items.get()

    # Record: findings, a photo, a recommendation; then complete (the recommendation is tracked).
    page.fill(f"#findings-{item.pk}", "現地查核：驗證場域尚未完成，進度落後。")
    page.click(f"#findings-save-{item.pk}")
    page.set_input_files(
        f"#evidence-file-{item.pk}",
        {"name": "現場照片.png", "mimeType": "image/png", "buffer": _png((9, 120, 200))},
    )
    page.click(f"#evidence-upload-{item.pk}")
    assert "現場照片.png" in page.inner_text(f"#evidence-{item.pk}")
    page.fill(f"#id_r{item.pk}-text", "請經濟部於年底前完成驗證場域並按季填報辦理情形")
    page.select_option(f"#id_r{item.pk}-owner", label="經濟部")
    page.fill(f"#id_r{item.pk}-due_date", "2022-12-31")
    page.click(f"#recommendation-add-{item.pk}")
    page.click("#verification-complete")
    page.wait_for_selector(".status-completed")
    shot(page, "fieldwork-03-completed")
    _same(phone, page)
    shot(phone, "fieldwork-03-completed-390")
    follow_up = verification.items.get().recommendations.get().follow_up
    assert follow_up is not None and follow_up.status == FollowUpStatus.TRACKED
    page.click("#logout-button")

    # The next quarter: the item is in 經濟部's 111Q3 report; the officer answers it.
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-10-05")
    q3 = ReportingPeriod.by_code("111Q3")
    ensure_submissions(q3)
    carrier = carrying_submission(follow_up, q3)
    log_in(page, base, officer.username)
    page.goto(f"{base}/progress/submissions/{carrier.pk}/")
    section = page.locator(f"#follow-up-{follow_up.pk}")
    assert "請經濟部於年底前完成驗證場域" in section.inner_text()
    section.locator("textarea").fill("已完成驗證場域建置，並已開放業者申請驗證。")
    shot(page, "fieldwork-04-agency-answers")
    page.focus("#save-button")
    page.keyboard.press("Enter")
    page.wait_for_selector(".messages")
    assert follow_up.responses.get().text == "已完成驗證場域建置，並已開放業者申請驗證。"
    page.click("#logout-button")

    # NDC reads the answer and closes the item; the visit shows it closed with the latest answer.
    log_in(page, base, reviewer.username)
    page.goto(f"{base}/field-verifications/{verification.pk}/")
    page.click(f"#recommendations-{item.pk} a.status")
    page.fill("#id_comment", "已改善，解除列管")
    page.click("#close-button")
    page.wait_for_selector("#follow-up-status")
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.CLOSED
    page.goto(f"{base}/field-verifications/{verification.pk}/")
    table = page.inner_text(f"#recommendations-{item.pk}")
    assert "解除列管" in table and "已完成驗證場域建置" in table
    shot(page, "fieldwork-05-closed")
    _same(phone, page)
    assert "解除列管" in phone.inner_text(f"#recommendations-{item.pk}")
    shot(phone, "fieldwork-05-closed-390")
    phone.context.close()
    assert page.console_errors == []
