"""Site search (/search/?q=…): CJK substrings in the plan, narratives and coordination issues, scoped
like every other view — never another agency's draft."""

from __future__ import annotations

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sixcore.progress.choices import SubmissionStatus
from sixcore.progress.models import MeasureReport, Submission
from sixcore.search import fts
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


# --- SQLite: FTS5 trigram indexes, kept current by triggers -------------------------------------------

sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the FTS5 indexes are SQLite's (PostgreSQL has pg_trgm)"
)


def _search_sql(client, query: str) -> tuple[str, str]:
    """(page, the SQL of the search) for ``query``."""
    with CaptureQueriesContext(connection) as captured:
        html = _groups(client, query)
    return html, "\n".join(q["sql"] for q in captured.captured_queries)


@sqlite_only
def test_long_terms_are_looked_up_in_the_trigram_index_short_ones_scanned(client, program):
    html, sql = _search_sql(client, "離岸風電")
    assert "<mark>離岸風電</mark>" in html
    assert "MATCH" in sql and "search_fts_kpi" in sql and "search_fts_measurereport" in sql
    html, sql = _search_sql(client, "5G")  # two characters: no trigram to look up
    assert "<mark>5G</mark>" in html and "MATCH" not in sql
    html, sql = _search_sql(
        client, "離岸風電 5G"
    )  # both at once: the long one indexed, the short one scanned
    assert "MATCH" in sql and "LIKE" in sql


@sqlite_only
def test_every_write_path_keeps_the_index_current(client, draft):
    client.force_login(editor("moea"))
    report = draft.measure_reports.first()
    MeasureReport.objects.filter(pk=report.pk).update(progress="改為陸域風機併網進度說明。")  # bulk UPDATE
    assert "<mark>" not in _groups(client, PHRASE)  # the old text is gone from the index
    assert "<mark>陸域風機併網</mark>" in _groups(client, "陸域風機併網")
    report.refresh_from_db()
    report.highlights = "亮點：浮動式平台示範"  # an ORM save of another field
    report.save()
    assert "<mark>浮動式平台</mark>" in _groups(client, "浮動式平台")
    MeasureReport.objects.filter(pk=report.pk).delete()
    assert "<mark>" not in _groups(client, "浮動式平台")


@sqlite_only
def test_a_match_never_widens_the_scope(client, draft):
    """The index finds the draft's row; the policy still hides it from another agency and the public."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid FROM search_fts_measurereport WHERE search_fts_measurereport MATCH %s",
            [fts.match_expression([PHRASE])],
        )
        assert [row[0] for row in cursor.fetchall()] == [draft.measure_reports.first().pk]
    client.force_login(editor("motc"))
    assert "<mark>" not in _groups(client, PHRASE)
    client.logout()
    assert "<mark>" not in _groups(client, PHRASE)


@sqlite_only
def test_triggers_lost_in_a_table_rebuild_are_reinstalled_after_migrate(client, draft):
    """SQLite alters a table by rebuilding it, which drops its triggers: post_migrate puts them back."""
    with connection.cursor() as cursor:
        cursor.execute('DROP TRIGGER "search_fts_measurereport_au"')
    assert fts.missing_triggers(connection) == ["search_fts_measurereport_au"]
    report = draft.measure_reports.first()
    MeasureReport.objects.filter(pk=report.pk).update(progress="重建後的新文字內容")  # not indexed
    fts.ensure(connection, django_apps)  # what post_migrate runs
    assert fts.missing_triggers(connection) == []
    client.force_login(editor("moea"))
    assert "<mark>重建後的新文字</mark>" in _groups(client, "重建後的新文字")
    assert "<mark>" not in _groups(client, PHRASE)


def test_fts_terms_are_quoted_never_syntax():
    assert fts.match_expression(['a"b', "NEAR(x"]) == '"a""b" AND "NEAR(x"'
