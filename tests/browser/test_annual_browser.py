"""The year-end evaluation in a real browser (issue #20): an agency officer completes a 自評, the
industry lead does the 初核, NDC completes the 複核, approves and publishes, and the public sees the
grade. Screenshots (1280 and 390 px) are kept under artifacts/screenshots/."""

from __future__ import annotations

import pytest

from sixcore.annual import setup
from sixcore.annual.choices import Stage
from sixcore.annual.models import AnnualEvaluation
from tests.factories import PASSWORD, editor, industry_lead, ndc_admin

pytestmark = pytest.mark.browser


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-button")
    page.wait_for_selector("#nav-annual", state="attached")  # in the folded menu on a phone


def fill_open_scores(page, value: str) -> None:
    """Every score input of the stage that is not fixed by the system's figure, and a comment each."""
    for field in page.query_selector_all("input[name$='|score']:not([readonly])"):
        field.fill(value)
    for field in page.query_selector_all("textarea[name$='|comment']"):
        field.fill("依計畫辦理")


def complete(page) -> None:
    # The keyboard, as in the quarterly journey: the sticky save bar at the end of a long page.
    page.focus("#complete-button")
    page.keyboard.press("Enter")
    page.wait_for_selector(".messages")


def test_self_assessment_to_publication_and_the_public_sees_the_grade(
    live_server, page, shot, cycle_data, monkeypatch
):
    monkeypatch.setenv("SIXCORE_AS_OF", "2023-02-01")  # 111's 自評 is open; the live server reads it too
    setup.ensure_evaluations(111)
    evaluation = AnnualEvaluation.objects.get(year=111, industry__code="1", agency__code="moea")
    officer, lead, admin = editor("moea"), industry_lead("moea"), ndc_admin()
    base = live_server.url
    url = f"{base}/annual/{evaluation.pk}/"
    page.on("dialog", lambda dialog: dialog.accept())  # each stage's completion asks for confirmation

    # 自評: the agency officer, from the 待辦 list.
    log_in(page, base, officer.username)
    page.goto(f"{base}/todo/")
    page.click(f"#annual-todo a[href='/annual/{evaluation.pk}/']")
    fill_open_scores(page, "150")  # out of range: refused, the field named, what was typed kept
    page.fill("textarea[name='text|self_summary']", "本年度依計畫期程辦理，目標大致達成。")
    page.focus("#save-button")
    page.keyboard.press("Enter")
    page.wait_for_selector("#errors")
    assert page.input_value("textarea[name='text|self_summary']") == "本年度依計畫期程辦理，目標大致達成。"
    shot(page, "annual-01-self-refused")
    fill_open_scores(page, "88")
    shot(page, "annual-02-self-filled")
    complete(page)
    assert AnnualEvaluation.objects.get(pk=evaluation.pk).stage == Stage.INITIAL
    shot(page, "annual-03-self-submitted")
    page.click("#logout-button")

    # 初核: the industry lead unit (經濟部 leads industry 1).
    log_in(page, base, lead.username)
    page.goto(url)
    assert "本年度依計畫期程辦理" in page.content()
    fill_open_scores(page, "84")
    page.fill("textarea[name='text|initial_opinion']", "初核同意自評結果。")
    complete(page)
    assert AnnualEvaluation.objects.get(pk=evaluation.pk).stage == Stage.REVIEW
    page.click("#logout-button")

    # 複核, 核定 and 公告: NDC.
    log_in(page, base, admin.username)
    page.goto(url)
    fill_open_scores(page, "82")
    page.fill("textarea[name='text|review_opinion']", "複核：執行情形良好。")
    page.fill("textarea[name='text|improvement_items']", "提高預算執行率")
    shot(page, "annual-04-ndc-review")
    complete(page)
    page.click("#approve-button")
    page.wait_for_selector("#publish-button")
    page.click("#publish-button")
    page.wait_for_selector("#grade")
    evaluation.refresh_from_db()
    assert evaluation.stage == Stage.PUBLISHED and evaluation.grade
    shot(page, "annual-05-published")
    page.click("#logout-button")

    # The public: the grade on the list and on the evaluation, on a phone too.
    page.goto(f"{base}/annual/?year=111")
    assert evaluation.grade in page.inner_text("#evaluations")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "annual-06-public-list-phone")
    page.goto(url)
    assert page.inner_text("#grade") == evaluation.grade
    assert page.query_selector("#save-button") is None
    assert page.console_errors == []
