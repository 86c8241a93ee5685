"""The year-end evaluation pages (issue #20) by role: who reads and writes what, typed input kept on
every refusal with the field named as the page shows it, a stale version detected, every step from
自評 to 公告 through the pages, the set-up of indicators and grades, 待辦 and the report downloads."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from sixcore.annual import services, setup
from sixcore.annual.choices import ScoreStage, Stage
from sixcore.annual.models import AnnualEvaluation, GradeThreshold, Indicator
from tests.factories import editor, industry_lead, ndc_admin, ndc_reviewer, viewer

pytestmark = pytest.mark.django_db

YEAR = 111
SELF_DAY = "2023-02-01"  # inside 111's 自評 window (112/1/10–112/3/25); later deadlines not passed


@pytest.fixture
def evaluations(monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", SELF_DAY)
    return setup.ensure_evaluations(YEAR)


@pytest.fixture
def moea(evaluations):
    """經濟部's evaluation for industry 1 (which 經濟部 leads: moea_lead does its 初核)."""
    return AnnualEvaluation.objects.get(year=YEAR, industry__code="1", agency__code="moea")


@pytest.fixture
def motc(evaluations):
    return AnnualEvaluation.objects.get(year=YEAR, industry__code="1", agency__code="motc")


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def open_fields(evaluation, stage) -> dict[str, str]:
    """The form's fields for ``stage`` with every open score filled (a rule's score stays as given)."""
    data = {"version": str(evaluation.version)}
    for row in services.stage_scores(evaluation, stage):
        code = row.indicator.code
        fixed = stage == ScoreStage.SELF and row.prefilled_score is not None
        data[f"score|{code}|score"] = str(row.prefilled_score if fixed else 85)
        data[f"score|{code}|comment"] = "依計畫辦理"
    return data


def page_url(evaluation) -> str:
    return reverse("annual:evaluation", args=[evaluation.pk])


def walk_to_published(evaluation) -> None:
    """Through the pages: 自評 → 初核 → 複核 → 核定 → 公告, each step by its role."""
    officer, lead, admin = editor(evaluation.agency.code), industry_lead("moea"), ndc_admin()
    for user, stage, text in (
        (officer, ScoreStage.SELF, {"text|self_summary": "年度目標大致達成。"}),
        (lead, ScoreStage.INITIAL, {"text|initial_opinion": "初核同意。"}),
        (
            admin,
            ScoreStage.REVIEW,
            {"text|review_opinion": "複核同意。", "text|improvement_items": "提高執行率"},
        ),
    ):
        evaluation.refresh_from_db()
        data = {
            **open_fields(evaluation, stage),
            **text,
            "then": {
                ScoreStage.SELF: "submit_self",
                ScoreStage.INITIAL: "complete_initial",
                ScoreStage.REVIEW: "complete_review",
            }[stage],
        }
        response = client_for(user).post(page_url(evaluation), data)
        assert response.status_code == 302, response.content.decode()[:2000]
    for action in ("approve", "publish"):
        client_for(admin).post(reverse("annual:step", args=[evaluation.pk, action]))
    evaluation.refresh_from_db()
    assert evaluation.stage == Stage.PUBLISHED, evaluation.stage


# --- reading: scope --------------------------------------------------------------------------------


def test_the_list_is_scoped_by_role(moea, motc):
    html = client_for(None).get(reverse("annual:list") + "?year=111").content.decode()
    assert "本年度評核尚未公告" in html and page_url(moea) not in html
    html = client_for(editor("moea")).get(reverse("annual:list") + "?year=111").content.decode()
    assert page_url(moea) in html and page_url(motc) not in html
    html = client_for(ndc_reviewer()).get(reverse("annual:list") + "?year=111").content.decode()
    assert page_url(moea) in html and page_url(motc) in html and 'id="stage-counts"' in html


def test_another_agencys_draft_is_not_found_to_read_or_write(moea):
    other = client_for(editor("motc"))
    assert other.get(page_url(moea)).status_code == 404
    before = moea.version
    assert other.post(page_url(moea), open_fields(moea, ScoreStage.SELF)).status_code == 404
    assert other.post(reverse("annual:step", args=[moea.pk, "submit_self"])).status_code == 404
    assert client_for(None).get(page_url(moea)).status_code == 404
    moea.refresh_from_db()
    assert moea.version == before and moea.stage == Stage.SELF


def test_a_viewer_reads_its_draft_without_inputs_and_cannot_post(moea):
    client = client_for(viewer("moea"))
    html = client.get(page_url(moea)).content.decode()
    assert "年度評核" in html and 'id="save-button"' not in html
    assert client.post(page_url(moea), open_fields(moea, ScoreStage.SELF)).status_code == 403


def test_the_editor_sees_the_prefilled_figure_and_a_fixed_score(moea):
    html = client_for(editor("moea")).get(page_url(moea)).content.decode()
    assert "系統帶入數據" in html or "由評核人員評分" in html
    assert 'id="save-button"' in html and "儲存並送出自評" in html


# --- writing: refusals keep what was typed ---------------------------------------------------------


def test_a_score_out_of_range_is_refused_with_the_field_named_and_the_input_kept(moea):
    manual = Indicator.objects.get(year=YEAR, code="planning")
    data = open_fields(moea, ScoreStage.SELF)
    data["score|planning|score"] = "150"
    data["score|planning|evidence"] = "佐證：會議紀錄 3 份"
    response = client_for(editor("moea")).post(page_url(moea), data)
    html = response.content.decode()
    assert response.status_code == 200 and 'id="errors"' in html
    errors = html.split('id="errors"', 1)[1].split("</div>", 1)[0]
    assert manual.name in errors
    assert 'value="150"' in html and "佐證：會議紀錄 3 份" in html
    moea.refresh_from_db()
    assert not moea.scores.filter(stage="self", score=150).exists()
    assert not moea.scores.filter(stage="self", evidence__startswith="佐證").exists()


def test_an_argued_score_needs_its_reason(moea):
    data = open_fields(moea, ScoreStage.SELF)
    data["score|kpi|argued_score"] = "95"
    html = client_for(editor("moea")).post(page_url(moea), data).content.decode()
    assert 'id="errors"' in html and 'value="95"' in html
    assert not moea.scores.filter(argued_score=95).exists()


def test_a_stale_version_is_a_conflict_and_nothing_is_lost(moea):
    officer = editor("moea")
    first = open_fields(moea, ScoreStage.SELF)
    first["score|planning|comment"] = "同事的說明"
    assert client_for(officer).post(page_url(moea), first).status_code == 302
    mine = open_fields(moea, ScoreStage.SELF)  # the version this user loaded, before the colleague
    mine["version"] = first["version"]
    mine["score|planning|comment"] = "我的說明"
    html = client_for(officer).post(page_url(moea), mine).content.decode()
    assert 'id="conflict"' in html and "我的說明" in html and "同事的說明" in html
    assert moea.scores.get(stage="self", indicator__code="planning").comment == "同事的說明"


def test_the_whole_workflow_through_the_pages_and_the_public_sees_the_grade(moea):
    walk_to_published(moea)
    public = client_for(None)
    html = public.get(reverse("annual:list") + "?year=111").content.decode()
    assert page_url(moea) in html and moea.grade in html
    # The distribution counts the one published unit, in its industry and for the program.
    table = html.split('id="distribution"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr[^>]*><th scope=\"row\">([^<]+)</th>((?:<td[^>]*>[^<]*</td>)+)</tr>", table)
    cells = {label: re.findall(r">([^<]*)</td>", tds) for label, tds in rows}
    grades = list(GradeThreshold.objects.filter(year=YEAR).values_list("label", flat=True))
    expected = ["1" if g == moea.grade else "0" for g in grades] + ["1"]
    assert cells["全方案"][: len(grades) + 1] == expected
    assert cells[f"1 {moea.industry.name}"][: len(grades) + 1] == expected
    detail = public.get(page_url(moea)).content.decode()
    assert moea.grade in detail and "複核同意" in detail and 'id="save-button"' not in detail


def test_return_needs_a_comment_and_goes_back_one_stage(moea):
    data = {**open_fields(moea, ScoreStage.SELF), "then": "submit_self"}
    client_for(editor("moea")).post(page_url(moea), data)
    moea.refresh_from_db()
    assert moea.stage == Stage.INITIAL
    lead = client_for(industry_lead("moea"))
    lead.post(reverse("annual:step", args=[moea.pk, "return"]), {"comment": " "})
    moea.refresh_from_db()
    assert moea.stage == Stage.INITIAL
    lead.post(reverse("annual:step", args=[moea.pk, "return"]), {"comment": "請補充佐證"})
    moea.refresh_from_db()
    assert moea.stage == Stage.SELF and moea.is_returned
    html = client_for(editor("moea")).get(page_url(moea)).content.decode()
    assert "請補充佐證" in html


def test_only_an_ndc_administrator_reopens_a_published_evaluation(moea):
    walk_to_published(moea)
    url = reverse("annual:step", args=[moea.pk, "reopen"])
    assert client_for(ndc_reviewer()).post(url, {"comment": "更正"}).status_code == 403
    assert client_for(editor("moea")).post(url, {"comment": "更正"}).status_code == 403
    client_for(ndc_admin()).post(url, {"comment": "更正分數"})
    moea.refresh_from_db()
    assert moea.stage == Stage.REVIEW and moea.reopen_reason == "更正分數"
    assert client_for(None).get(page_url(moea)).status_code == 404


def test_a_step_out_of_order_is_refused_with_a_message(moea):
    response = client_for(ndc_admin()).post(reverse("annual:step", args=[moea.pk, "publish"]), follow=True)
    moea.refresh_from_db()
    assert moea.stage == Stage.SELF
    assert any("自評" in str(m) or "Self" in str(m) for m in response.context["messages"])


# --- set-up ----------------------------------------------------------------------------------------


def _setup_post(year: int, rows: list[dict]) -> dict:
    data = {"part": "indicators", "rows": str(len(rows))}
    for i, row in enumerate(rows):
        for name, value in row.items():
            data[f"ind-{i}-{name}"] = value
    return data


@pytest.mark.parametrize(
    ("user", "status"), [(None, 302), ("editor", 403), ("reviewer", 403), ("admin", 200)]
)
def test_only_ndc_administrators_open_the_set_up(user, status, evaluations):
    who = {None: None, "editor": editor("moea"), "reviewer": ndc_reviewer(), "admin": ndc_admin()}[user]
    assert client_for(who).get(reverse("annual:setup", args=[112])).status_code == status


def test_weights_that_do_not_sum_to_100_are_refused_and_kept(monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", SELF_DAY)
    setup.ensure_year(113)
    rows = [
        {"code": "plan", "category": "計畫作業", "name": "規劃", "weight": "30", "rule": "manual"},
        {
            "code": "kpi",
            "category": "目標達成",
            "name": "KPI 達成",
            "weight": "60",
            "rule": "kpi_achievement",
        },
    ]
    client = client_for(ndc_admin())
    html = client.post(reverse("annual:setup", args=[113]), _setup_post(113, rows)).content.decode()
    assert 'id="errors"' in html and "100" in html.split('id="errors"', 1)[1].split("</div>", 1)[0]
    assert 'value="KPI 達成"' in html and 'value="60"' in html
    assert not Indicator.objects.filter(year=113, code="plan").exists()
    rows[1]["weight"] = "70"
    assert client.post(reverse("annual:setup", args=[113]), _setup_post(113, rows)).status_code == 302
    assert sorted(Indicator.objects.filter(year=113).values_list("code", flat=True)) == ["kpi", "plan"]


def test_grade_thresholds_are_saved_or_refused_with_the_grade_named(monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", SELF_DAY)
    setup.ensure_year(113)
    client = client_for(ndc_admin())
    data = {
        "part": "grades",
        "rows": "2",
        "grade-0-label": "優等",
        "grade-0-min": "90",
        "grade-1-label": "甲等",
        "grade-1-min": "八十",
    }
    html = client.post(reverse("annual:setup", args=[113]), data).content.decode()
    assert "甲等" in html.split('id="grade-errors"', 1)[1].split("</div>", 1)[0] and 'value="八十"' in html
    data["grade-1-min"] = "0"
    assert client.post(reverse("annual:setup", args=[113]), data).status_code == 302
    assert list(GradeThreshold.objects.filter(year=113).values_list("label", flat=True)) == ["優等", "甲等"]


# --- 待辦 and downloads ----------------------------------------------------------------------------


def test_due_stages_appear_on_the_to_do_list_of_who_acts(moea, motc):
    html = client_for(editor("moea")).get(reverse("workbench:home")).content.decode()
    section = html.split('id="annual-todo"', 1)[1].split("</section>", 1)[0]
    assert page_url(moea) in section and "待填自評" in section and page_url(motc) not in section
    data = {**open_fields(moea, ScoreStage.SELF), "then": "submit_self"}
    client_for(editor("moea")).post(page_url(moea), data)
    html = client_for(industry_lead("moea")).get(reverse("workbench:home")).content.decode()
    assert "待辦初核" in html and page_url(moea) in html


def test_an_overdue_self_assessment_is_marked(moea, monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", "2023-03-30")
    html = client_for(editor("moea")).get(reverse("workbench:home")).content.decode()
    item = re.search(r'<li class="overdue">\s*<a href="' + re.escape(page_url(moea)) + r'"', html)
    assert item is not None


def test_the_report_is_downloadable_once_published(moea):
    url = reverse("reports:annual", args=["111", "xlsx"])
    assert client_for(None).get(url).status_code == 403
    downloads = client_for(None).get(reverse("reports:index")).content.decode()
    row = downloads.split('id="annual-reports"', 1)[1].split("</table>", 1)[0]
    assert "111 年度評核" in row and url not in row
    assert url in client_for(ndc_reviewer()).get(reverse("reports:index")).content.decode()
    assert client_for(ndc_reviewer()).get(url).status_code == 200
    walk_to_published(moea)
    response = client_for(None).get(url)
    assert response.status_code == 200 and response["Content-Disposition"].endswith('.xlsx"')
    index = client_for(None).get(reverse("annual:list") + "?year=111").content.decode()
    assert url in index
    assert url in client_for(None).get(reverse("reports:index")).content.decode()


def test_an_administrator_opens_a_year_from_the_set_up(monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", SELF_DAY)
    url = reverse("annual:setup", args=[112])
    html = client_for(ndc_admin()).get(url).content.decode()
    assert 'id="start-year"' in html
    assert client_for(ndc_reviewer()).post(url, {"part": "start"}).status_code == 403
    assert not AnnualEvaluation.objects.filter(year=112).exists()
    assert client_for(ndc_admin()).post(url, {"part": "start"}).status_code == 302
    assert AnnualEvaluation.objects.filter(year=112, stage=Stage.SELF).count() > 0
    assert Indicator.objects.filter(year=112).exists()
    assert 'id="start-year"' not in client_for(ndc_admin()).get(url).content.decode()


def test_ndc_extends_a_stage_deadline_and_others_may_not(moea, monkeypatch):
    url = reverse("annual:step", args=[moea.pk, "extend"])
    assert client_for(editor("moea")).post(url, {"until": "2023-04-30", "reason": "展延"}).status_code == 403
    response = client_for(ndc_reviewer()).post(url, {"until": "明天", "reason": "展延"}, follow=True)
    assert any("明天" in str(m) for m in response.context["messages"])
    client_for(ndc_reviewer()).post(url, {"until": "2023-04-30", "reason": "颱風停班"})
    moea.refresh_from_db()
    assert str(moea.extended_until) == "2023-04-30"
    monkeypatch.setenv("SIXCORE_AS_OF", "2023-04-20")  # past 3/25, within the extension
    data = open_fields(moea, ScoreStage.SELF)
    assert client_for(editor("moea")).post(page_url(moea), data).status_code == 302
