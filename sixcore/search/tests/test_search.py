"""Site search (/search/?q=…): CJK substrings in the plan, narratives and coordination issues, scoped
like every other view — never another agency's draft."""

from __future__ import annotations

import pytest

from sixcore.progress.choices import SubmissionStatus
from sixcore.progress.models import MeasureReport, Submission
from sixcore.search.highlight import excerpt
from tests.factories import editor, ndc_reviewer, open_period

PHRASE = "風場海纜鋪設延宕檢討"


@pytest.fixture
def draft(program, monkeypatch):
    """An agency draft whose narrative holds a phrase no plan text has."""
    monkeypatch.setenv("SIXCORE_AS_OF", "2022-07-05")
    period = open_period("111Q2")
    submission = Submission.objects.filter(
        period=period, agency__code="moea", measure_reports__isnull=False
    ).first()
    report = submission.measure_reports.first()
    report.progress = f"本季進度：{PHRASE}，並<script>alert(1)</script>追蹤。"
    report.save()
    return submission


def _groups(client, query: str) -> str:
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    return response.content.decode()


def test_the_plan_is_found_by_chinese_substrings_and_ascii(client, program):
    html = _groups(client, "離岸風電")
    assert 'id="group-kpis"' in html and "<mark>離岸風電</mark>" in html
    html = _groups(client, "5G")
    assert 'id="group-work_items"' in html or 'id="group-kpis"' in html
    assert "<mark>5G</mark>" in html
    assert "找不到" not in html


def test_every_term_must_match(client, program):
    both = _groups(client, "離岸風電 測試場域")
    assert "<mark>測試場域</mark>" in both
    assert "找不到" in _groups(client, "離岸風電 不存在的詞彙組合")


def test_a_draft_narrative_is_found_by_its_agency_and_ndc_only(client, draft):
    client.force_login(editor("moea"))
    mine = _groups(client, PHRASE)
    assert 'id="group-narratives"' in mine and f"<mark>{PHRASE}</mark>" in mine
    assert f"/progress/submissions/{draft.pk}/" in mine
    assert "&lt;script&gt;" in mine and "<script>alert" not in mine  # the narrative is text, never markup

    client.force_login(editor("motc"))  # another agency: its draft does not exist for them
    assert "group-narratives" not in (theirs := _groups(client, PHRASE)) and "<mark>" not in theirs
    client.logout()  # the public: approved reports only
    assert "group-narratives" not in (public := _groups(client, PHRASE)) and "<mark>" not in public

    client.force_login(ndc_reviewer())
    assert f"<mark>{PHRASE}</mark>" in _groups(client, PHRASE)

    Submission.objects.filter(pk=draft.pk).update(status=SubmissionStatus.APPROVED)
    client.logout()
    assert f"<mark>{PHRASE}</mark>" in _groups(client, PHRASE)  # published: the public sees it


def test_queries_are_bounded_whatever_the_results(client, draft, django_assert_max_num_queries):
    client.force_login(editor("moea"))
    MeasureReport.objects.update(progress=f"{PHRASE}。")  # every narrative matches
    with django_assert_max_num_queries(14):
        html = _groups(client, PHRASE)
    assert 'id="group-narratives"' in html


def test_an_empty_or_huge_query_is_harmless(client, program):
    assert "group-" not in _groups(client, "")
    assert "group-" not in _groups(client, "　 ")
    assert _groups(client, "離" * 5000)  # cut to 100 characters, answered


def test_excerpt_marks_terms_and_escapes_the_rest():
    text = "前文" * 40 + "<b>離岸風電</b> 與 5g 測試" + "後文" * 100
    html = excerpt(text, ["離岸風電", "5G"])
    assert html.startswith("…") and html.endswith("…")
    assert "&lt;b&gt;<mark>離岸風電</mark>&lt;/b&gt;" in html and "<mark>5g</mark>" in html
    assert excerpt("a<b", []) == "a&lt;b"
