"""Public plan pages: content, ROC display, bounded queries, 404s."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sixcore.plan import models as plan


@pytest.mark.parametrize(
    ("url", "max_queries"),
    [("/", 10), ("/industries/4/", 10), ("/measures/1.1/", 12), ("/measures/6.1/kpis/6.2.2/", 8)],
)
def test_pages_render_in_bounded_queries(client, program, django_assert_max_num_queries, url, max_queries):
    with django_assert_max_num_queries(max_queries):
        response = client.get(url)
    assert response.status_code == 200


def test_overview_shows_budget_table_and_totals(client, program):
    html = client.get("/").content.decode()
    assert "資訊及數位產業" in html and "確保關鍵物資供應。" in html
    assert "93.45" in html and "1,131.86" in html
    assert 'id="budget-data"' in html  # chart data, also readable as the table
    assert "≠" not in html  # the stated subtotals agree with the cells


def test_overview_query_count_does_not_grow_with_industries(client, program, django_assert_num_queries):
    with django_assert_num_queries(8):
        client.get("/")


def test_industry_page(client, program):
    html = client.get(reverse("plan:industry", args=["4"])).content.decode()
    assert "航空與船艦產業" in html and "太空產業" in html and "4.10" in html


def test_measure_page_timeline_in_roc(client, program):
    html = client.get(reverse("plan:measure", args=["1.1"])).content.decode()
    assert "109/12~110/4" in html  # the period as printed
    assert "109/12–110/4" in html  # the bar's ROC label
    assert "開發次奈米半導體元件與晶片關鍵技術探索" in html


def test_measure_sharing_a_schedule(client, program):
    html = client.get(reverse("plan:measure", args=["2.5"])).content.decode()
    assert "2-4" in html and reverse("plan:measure", args=["2.4"]) in html


def test_kpi_page_shows_five_cells_verbatim_and_quantified(client, program):
    html = client.get(reverse("plan:kpi", args=["1.2", "1.2.4"])).content.decode()
    for text in [
        "113 年推動 2~3 家國際級領導廠商在臺前瞻研究布局",
        "推動 1 家國際級領導廠商在臺前瞻研究布局",
        "累計推動 2~3 家國際級領導廠商在臺前瞻研究布局",
    ]:
        assert text in html
    assert "2~3 家" in html


def test_kpi_page_names_merged_cells(client, program):
    html = client.get(reverse("plan:kpi", args=["6.2", "6.2.3"])).content.decode()
    assert reverse("plan:kpi", args=["6.2", "6.2.1"]) in html


@pytest.mark.parametrize(
    "url", ["/industries/9/", "/measures/9.9/", "/measures/1.1/kpis/1.1.9/", "/?revision=5", "/?revision=x"]
)
def test_not_found(client, program, url):
    assert client.get(url).status_code == 404


def test_text_is_escaped(client, program):
    plan.KPI.objects.filter(code="1.1.1").update(full_term_text="<script>alert(1)</script>")
    html = client.get(reverse("plan:measure", args=["1.1"])).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_language_is_traditional_chinese_whatever_the_browser_asks(client, program):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-Hant-TW"' in html and "各產業願景" in html


def test_budget_figures_as_printed(client, program):
    html = client.get("/").content.decode()
    assert ">14.2<" in html and ">43.2<" in html and ">54.7<" in html and "14.20" not in html


def test_amount_filter():
    from decimal import Decimal

    from sixcore.core.templatetags.roc import amount

    assert [amount(Decimal(v)) for v in ("14.20", "1131.86", "100.00", "0.5")] == [
        "14.2",
        "1,131.86",
        "100",
        "0.5",
    ]
    assert amount(None) == ""


def test_basis_in_chinese(client, program):
    html = client.get(reverse("plan:kpi", args=["1.2", "1.2.4"])).content.decode()
    assert "依「累計」判讀" in html and "keyword" not in html


def test_admin_registers_every_plan_model():
    from django.contrib import admin

    from sixcore.accounts.models import Agency

    models = [
        m
        for m in plan.__dict__.values()
        if isinstance(m, type)
        and issubclass(m, plan.models.Model)
        and m.__module__ == plan.__name__
        and not m.__name__.endswith("Agency")
    ]
    missing = [m.__name__ for m in models if m not in admin.site._registry]
    assert missing == []
    assert Agency in admin.site._registry


def test_admin_changelists_load(admin_client, program):
    from django.contrib import admin

    for model in admin.site._registry:
        if model._meta.app_label in ("plan", "accounts"):
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            assert admin_client.get(url).status_code == 200, url


def test_labels_are_translated(client, program):
    html = client.get("/").content.decode()
    assert "各產業願景" in html and "各產業各年度經費（表 3）" in html


def test_every_message_has_a_translation():
    """The zh-Hant catalogue is complete: an untranslated label would show in English."""
    import re
    from pathlib import Path

    po = Path(__file__).resolve().parents[3] / "sixcore" / "locale" / "zh_Hant" / "LC_MESSAGES" / "django.po"
    entries = re.findall(
        r'msgid ((?:"[^"\n]*"\n)+)msgstr ((?:"[^"\n]*"\n?)+)', po.read_text(encoding="utf-8")
    )
    untranslated = [m for m, s in entries[1:] if s.strip() == '""']
    assert len(entries) > 100 and untranslated == []
    # A fuzzy entry is not compiled (the page shows English) and is usually another message's text.
    assert "#, fuzzy" not in po.read_text(encoding="utf-8")
    placeholder = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")
    mismatched = [m for m, s in entries[1:] if set(placeholder.findall(m)) != set(placeholder.findall(s))]
    assert mismatched == []


def test_kpi_history_only_for_ndc(client, program):
    from tests.factories import editor, ndc_reviewer

    url = reverse("plan:kpi", args=["1.2", "1.2.4"])
    assert "history-heading" not in client.get(url).content.decode()
    client.force_login(editor("moea"))
    assert "history-heading" not in client.get(url).content.decode()
    client.force_login(ndc_reviewer())
    assert "history-heading" in client.get(url).content.decode()
