"""Supplies pages, API, permissions, query counts, alerts (one per breach), demo and the CLI."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sixcore.accounts.choices import Role
from sixcore.core.changelog import history_for
from sixcore.supplies.alerts import recompute_alerts
from sixcore.supplies.choices import AlertKind
from sixcore.supplies.demo import load_demo
from sixcore.supplies.models import Alert, Assignment, Minimum, Observation, Reporter, SupplyItem
from sixcore.supplies.services import compute_statuses
from tests.factories import editor, make_user, ndc_admin, ndc_reviewer, viewer

AS_OF = date(2023, 6, 30)
pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(monkeypatch):
    monkeypatch.setenv("SIXCORE_AS_OF", AS_OF.isoformat())
    load_demo(AS_OF)
    recompute_alerts(AS_OF, send=False)  # as `sixcore supplies demo` does
    return AS_OF


def login(client, user):
    client.force_login(user)  # django-axes refuses login() without a request
    return client


# --- statuses over the demo --------------------------------------------------------------------


def test_demo_has_a_breach_and_an_overdue_reporter(demo):
    statuses = {s.item.code: s for s in compute_statuses(AS_OF)}
    gas = statuses["natural-gas"]
    assert gas.status == "red" and gas.minimum == Decimal(8)
    assert [r.code for r in statuses["pulp"].overdue_reporters] == ["demo-paper-b"]
    assert statuses["wheat"].status == "yellow"
    assert statuses["sand-gravel"].price_warning
    assert statuses["ppe"].minimum == Decimal(100)
    assert all(r.name.endswith("（示範資料）") for r in Reporter.objects.filter(demo=True))
    assert set(Observation.objects.values_list("source", flat=True)) == {"demo"}


def test_demo_is_deterministic(demo):
    first = sorted(Observation.objects.values_list("item__code", "reporter__code", "date", "stock"))
    load_demo(AS_OF)
    assert sorted(Observation.objects.values_list("item__code", "reporter__code", "date", "stock")) == first


def test_minimum_in_force_follows_the_as_of_date(demo):
    def gas_minimum(day):
        return next(s for s in compute_statuses(day) if s.item.code == "natural-gas").minimum

    assert gas_minimum(date(2021, 12, 31)) == 7
    assert gas_minimum(date(2023, 6, 30)) == 8
    assert gas_minimum(date(2025, 1, 1)) == 11


# --- alerts --------------------------------------------------------------------------------------


def test_one_alert_and_one_email_per_breach(demo):
    Alert.objects.all().delete()  # the demo recorded its own without e-mail
    mail.outbox.clear()
    first = recompute_alerts(AS_OF)
    kinds = sorted(a.kind for a in first.opened)
    assert kinds == sorted([AlertKind.BREACH, AlertKind.PRICE, AlertKind.OVERDUE])
    assert len(mail.outbox) == 3
    gas_mail = next(m for m in mail.outbox if "天然氣" in m.subject)
    assert set(gas_mail.to) == {"supplies-moea@localhost", "ndc-sixcore@localhost"}
    # Recomputing while the breach lasts sends nothing and opens nothing.
    again = recompute_alerts(AS_OF)
    assert again.opened == [] and len(mail.outbox) == 3
    assert Alert.objects.filter(kind=AlertKind.BREACH).count() == 1
    # Recovery closes the episode; a new breach opens a new one and mails again.
    gas = SupplyItem.objects.get(code="natural-gas")
    Minimum.objects.filter(item=gas).update(value=Decimal(1))
    recovered = recompute_alerts(AS_OF)
    assert [a.kind for a in recovered.closed] == [AlertKind.BREACH]
    Minimum.objects.filter(item=gas).update(value=Decimal(8))
    relapse = recompute_alerts(AS_OF)
    assert [a.kind for a in relapse.opened] == [AlertKind.BREACH]
    assert len(mail.outbox) == 4
    assert Alert.objects.filter(kind=AlertKind.BREACH).count() == 2


# --- pages ---------------------------------------------------------------------------------------


def test_dashboard_public_with_stable_ids_and_bounded_queries(client, demo):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/supplies/")
    assert response.status_code == 200
    html = response.content.decode()
    for element in (
        "supplies-dashboard",
        "supplies-status-table",
        "item-natural-gas",
        "supplies-overdue",
        "supplies-dashboard-chart",
    ):
        assert f'id="{element}"' in html
    assert 'data-status="red"' in html
    assert "vendor/echarts/echarts.min.js" in html and "supplies/charts.js" in html
    # Anonymous users see that a pulp reporter is overdue but not which company.
    assert "示範紙廠乙" not in html
    assert len(queries) <= 8, [q["sql"] for q in queries.captured_queries]


def test_dashboard_query_count_does_not_grow_with_reporters(client, demo):
    with CaptureQueriesContext(connection) as before:
        client.get("/supplies/")
    gas = SupplyItem.objects.get(code="natural-gas")
    for n in range(5):
        reporter = Reporter.objects.create(code=f"extra-{n}", name=f"extra {n}")
        Assignment.objects.create(item=gas, reporter=reporter)
        Observation.objects.create(
            item=gas, reporter=reporter, date=AS_OF, stock=Decimal(1), consumption=Decimal(1)
        )
    with CaptureQueriesContext(connection) as after:
        client.get("/supplies/")
    assert len(after) == len(before)


def test_item_page_chart_table_and_minimum_steps(client, demo):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/supplies/items/natural-gas/?start=2021-07-01")
    assert response.status_code == 200
    html = response.content.decode()
    for element in ("supplies-item-chart", "supplies-item-table", "supplies-minimums", "supplies-item-data"):
        assert f'id="{element}"' in html
    data = json.loads(html.split('id="supplies-item-data" type="application/json">')[1].split("</script>")[0])
    assert data["minimum"][:2] == [["2021-07-01", 7.0], ["2022-01-01", 8.0]]
    assert len(data["dates"]) == len(data["cover"]) > 20
    assert "supplies-reporters" not in html  # companies' figures: not for the public
    assert len(queries) <= 10


def test_item_page_details_for_ndc_and_responsible_agency_only(client, demo):
    login(client, viewer("moea"))
    assert 'id="supplies-reporters"' in client.get("/supplies/items/pulp/").content.decode()
    client.logout()
    login(client, viewer("mohw"))
    assert 'id="supplies-reporters"' not in client.get("/supplies/items/pulp/").content.decode()
    assert 'id="supplies-reporters"' in client.get("/supplies/items/ppe/").content.decode()


def test_unknown_item_is_404(client, demo):
    assert client.get("/supplies/items/unobtainium/").status_code == 404


def test_alerts_page_hides_reporter_alerts_from_the_public(client, demo):
    html = client.get("/supplies/alerts/").content.decode()
    assert 'id="supplies-alerts"' in html and "天然氣" in html and "逾期未報" not in html.split("<tbody>")[1]
    login(client, ndc_reviewer())
    assert "示範紙廠乙" in client.get("/supplies/alerts/").content.decode()


@pytest.mark.parametrize(
    ("user_factory", "expected"),
    [
        (lambda: None, 302),
        (lambda: viewer("moea"), 403),
        (lambda: ndc_reviewer(), 403),
        (lambda: editor("mohw"), 403),
        (lambda: editor("moea"), 302),
        (lambda: ndc_admin(), 302),
    ],
)
def test_registry_edit_permissions(client, demo, user_factory, expected):
    user = user_factory()
    if user is not None:
        login(client, user)
    response = client.post(
        "/supplies/items/natural-gas/edit/",
        {
            "form": "minimum",
            "minimum-effective_from": "2027-01-01",
            "minimum-value": "14",
            "minimum-basis_text": "test",
        },
    )
    assert response.status_code == expected
    assert Minimum.objects.filter(effective_from=date(2027, 1, 1)).exists() is (
        expected == 302 and user is not None
    )


def test_registry_edit_is_audited(client, demo):
    login(client, editor("moea"))
    gas = SupplyItem.objects.get(code="natural-gas")
    data = {
        f"item-{k}": v
        for k, v in {
            "name": "天然氣",
            "unit": "公噸",
            "price_unit": "",
            "frequency": "monthly",
            "grace_days": 12,
            "minimum_kind": "days",
            "basis": "trailing",
            "window_days": 90,
            "forecast_points": 6,
            "price_warning_pct": "",
            "price_window": 6,
            "notes": "",
        }.items()
    }
    response = client.post("/supplies/items/natural-gas/edit/", {"form": "item", **data})
    assert response.status_code == 302
    gas.refresh_from_db()
    assert gas.grace_days == 12
    change = history_for(gas).first()
    assert change.user_name == "moea_editor" and change.source == "web"
    assert change.prechange_data["grace_days"] == 10 and change.postchange_data["grace_days"] == 12


def test_web_observation_entry(client, demo):
    login(client, editor("moea"))
    gas = SupplyItem.objects.get(code="natural-gas")
    reporter = Reporter.objects.get(code="demo-gas-a")
    form = {"item": gas.pk, "reporter": reporter.pk, "date": "2023-06-15", "stock": "-1"}
    assert "不得為負數" in client.post("/supplies/observations/new/", form).content.decode()
    # Within max_digits=20, but more significant digits than SQLite keeps: refused, as by the importer.
    form["stock"] = "9999999999999999.9999"
    response = client.post("/supplies/observations/new/", form)
    assert response.context["form"].errors["stock"] == [
        "存量 9999999999999999.9999 超過 15 位有效數字，無法精確儲存"
    ]
    assert not Observation.objects.filter(item=gas, date=date(2023, 6, 15)).exists()
    form["stock"] = "1000"
    form["date"] = "2023-07-15"
    assert "晚於今天" in client.post("/supplies/observations/new/", form).content.decode()
    form["date"] = "2023-06-15"
    assert client.post("/supplies/observations/new/", form).status_code == 302
    observation = Observation.objects.get(item=gas, date=date(2023, 6, 15))
    assert observation.source == "web"
    assert history_for(observation).first().action == "create"
    login(client, editor("mohw"))
    assert client.get("/supplies/observations/new/").status_code == 200  # PPE is theirs
    form["date"] = "2023-06-16"
    assert "item" in client.post("/supplies/observations/new/", form).context["form"].errors


def test_web_import_lists_errors(client, demo):
    login(client, editor("moea"))
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = "item,reporter,date,unit,stock\nnatural-gas,demo-gas-a,2023-06-20,公噸,-3\n".encode()
    response = client.post("/supplies/import/", {"file": SimpleUploadedFile("x.csv", content)})
    html = response.content.decode()
    assert 'id="supplies-import-errors"' in html and "存量為負數（-3）" in html
    login(client, editor("mohw"))
    response = client.post("/supplies/import/", {"file": SimpleUploadedFile("x.csv", content)})
    assert 'id="supplies-import-forbidden"' in response.content.decode()


# --- API -----------------------------------------------------------------------------------------


def test_status_api_is_public(client, demo):
    with CaptureQueriesContext(connection) as queries:
        rows = client.get("/api/supplies/status/?as_of=2023-06-30").json()
    gas = next(r for r in rows if r["item"] == "natural-gas")
    assert {"item", "days_of_cover", "minimum", "status", "forecast_breach"} <= set(gas)
    assert gas["minimum"] == 8 and gas["status"] == "red"
    assert len(queries) <= 6
    assert client.get("/api/supplies/status/?as_of=nonsense").status_code == 400


def test_items_api_read_public_write_restricted(client, demo):
    items = client.get("/api/supplies/items/").json()
    gas = next(i for i in items if i["code"] == "natural-gas")
    assert [m["value"] for m in gas["minimums"]] == ["7.00", "8.00", "11.00"]
    assert client.patch(
        "/api/supplies/items/natural-gas/", {"grace_days": 3}, content_type="application/json"
    ).status_code in (401, 403)
    login(client, editor("mohw"))
    assert (
        client.patch(
            "/api/supplies/items/natural-gas/", {"grace_days": 3}, content_type="application/json"
        ).status_code
        == 403
    )
    login(client, editor("moea"))
    assert (
        client.patch(
            "/api/supplies/items/natural-gas/", {"grace_days": 3}, content_type="application/json"
        ).status_code
        == 200
    )
    change = history_for(SupplyItem.objects.get(code="natural-gas")).first()
    assert change.source == "api" and change.user_name == "moea_editor"
    # Moving an item to another agency, or creating one, is NDC's.
    assert (
        client.patch(
            "/api/supplies/items/natural-gas/",
            {"responsible_agency": "mohw"},
            content_type="application/json",
        ).status_code
        == 403
    )


def test_observations_api_scope(client, demo):
    assert client.get("/api/supplies/observations/").status_code in (401, 403)
    login(client, viewer("mohw"))
    codes = {o["item"] for o in client.get("/api/supplies/observations/?limit=1000").json()["results"]}
    assert codes == {"ppe"}
    login(client, ndc_reviewer())
    assert client.get("/api/supplies/observations/?item=pulp").json()["count"] > 0
    body = {
        "item": "natural-gas",
        "reporter": "demo-gas-a",
        "date": "2023-06-20",
        "stock": "10",
        "unit": "公噸",
    }
    assert (
        client.post("/api/supplies/observations/", body, content_type="application/json").status_code == 403
    )
    login(client, editor("moea"))
    assert (
        client.post(
            "/api/supplies/observations/", {**body, "unit": "公秉"}, content_type="application/json"
        ).status_code
        == 400
    )
    assert (
        client.post(
            "/api/supplies/observations/", {**body, "stock": "-1"}, content_type="application/json"
        ).status_code
        == 400
    )
    # Within max_digits=20, but more significant digits than SQLite keeps: refused on every database.
    rounded = client.post(
        "/api/supplies/observations/",
        {**body, "stock": "9999999999999999.9999"},
        content_type="application/json",
    )
    assert rounded.status_code == 400
    assert rounded.json() == {"stock": ["存量 9999999999999999.9999 超過 15 位有效數字，無法精確儲存"]}
    created = client.post("/api/supplies/observations/", body, content_type="application/json")
    assert created.status_code == 201 and created.json()["source"] == "api"
    duplicate = client.post("/api/supplies/observations/", body, content_type="application/json")
    assert duplicate.status_code == 400


def test_api_import(client, demo):
    from django.core.files.uploadedfile import SimpleUploadedFile

    login(client, editor("moea"))
    content = (
        "item,reporter,date,unit,stock,consumption\nnatural-gas,demo-gas-a,2023-06-20,公噸,5,1\n".encode()
    )
    response = client.post("/api/supplies/import/", {"file": SimpleUploadedFile("a.csv", content)})
    assert response.status_code == 201 and response.json()["created"] == 1
    again = client.post("/api/supplies/import/", {"file": SimpleUploadedFile("a.csv", content)})
    assert again.status_code == 200 and again.json()["unchanged"] == 1
    bad = client.post(
        "/api/supplies/import/", {"file": SimpleUploadedFile("b.csv", content.replace(b",5,", b",-5,"))}
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["row"] == 2
    assert bad.json()["errors"][0]["reason"] == "存量為負數（-5）"  # zh-Hant, the default language


def test_alerts_api_scope(client, demo):
    public = client.get("/api/supplies/alerts/").json()["results"]
    assert public and all(a["reporter"] is None for a in public)
    login(client, make_user(Role.NDC_ADMIN, "ndc", "ndc"))
    assert any(a["reporter"] == "demo-paper-b" for a in client.get("/api/supplies/alerts/").json()["results"])


def test_api_messages_are_the_importers(client, demo):
    """The API says what the importer says, in zh-Hant: unit, negative, future date, reporter, duplicate."""
    login(client, editor("moea"))
    body = {"item": "natural-gas", "reporter": "demo-gas-a", "date": "2023-06-21", "stock": "10"}

    def errors(**changes):
        response = client.post(
            "/api/supplies/observations/", {**body, **changes}, content_type="application/json"
        )
        assert response.status_code == 400
        return response.json()

    assert errors(unit="公秉") == {"unit": ["單位「公秉」與品項的單位「公噸」不符"]}
    assert errors(stock="-1") == {"stock": ["存量為負數（-1）"]}
    assert errors(date="2023-07-01") == {"date": ["日期 2023-07-01 晚於今天（今天是 2023-06-30）"]}
    assert errors(reporter="demo-paper-b") == {
        "reporter": ["申報者「demo-paper-b」不負責申報品項「natural-gas」"]
    }
    assert (
        client.post("/api/supplies/observations/", body, content_type="application/json").status_code == 201
    )
    assert errors() == {"date": ["重複的申報：品項、申報者與日期相同的紀錄已存在"]}


def test_api_refuses_what_the_database_would(client, demo):
    """400, not the database's error (a 500): a negative minimum (CHECK), a NUL in a code (PostgreSQL)."""
    login(client, ndc_admin())
    minimum = Minimum.objects.filter(item__code="natural-gas").first()
    body = {"item": "natural-gas", "effective_from": "2020-01-01", "value": "-1"}
    for method, url in [
        ("put", f"/api/supplies/minimums/{minimum.pk}/"),
        ("post", "/api/supplies/minimums/"),
    ]:
        response = getattr(client, method)(url, body, content_type="application/json")
        assert response.status_code == 400 and set(response.json()) == {"value"}
    minimum.refresh_from_db()
    assert minimum.value >= 0
    nul = {"item": "natural-gas", "reporter": "demo-gas-a\x00", "active": True}
    response = client.post("/api/supplies/assignments/", nul, content_type="application/json")
    assert response.status_code == 400 and set(response.json()) == {"reporter"}
    assert client.get("/api/supplies/observations/?item=ppe%00").status_code == 400
    for url in ("/api/supplies/items/ppe%00/", "/api/supplies/reporters/x%00/"):
        assert client.get(url).status_code == 404


def test_api_import_without_a_file_answers_an_import_result(client, demo):
    login(client, editor("moea"))
    response = client.post("/api/supplies/import/", {})
    assert response.status_code == 400
    assert response.json() == {
        "file": "",
        "rows": 0,
        "created": 0,
        "unchanged": 0,
        "errors": [{"file": "", "row": 0, "reason": "請附上 CSV 或 XLSX 檔案"}],
    }


# --- CLI -----------------------------------------------------------------------------------------


def test_status_command_json_and_text(demo, capsys):
    call_command("supplies", "status", "--as-of", "2023-06-30", "--format", "json")
    rows = json.loads(capsys.readouterr().out)
    gas = next(r for r in rows if r["item"] == "natural-gas")
    assert gas["minimum"] == 8 and gas["status"] == "red"
    call_command("supplies", "status", "--as-of", "2023-06-30", "--format", "text")
    text = capsys.readouterr().out
    assert "natural-gas" in text and "minimum 8 天" in text


def test_demo_and_alerts_commands(monkeypatch, capsys):
    monkeypatch.setenv("SIXCORE_AS_OF", AS_OF.isoformat())
    call_command("supplies", "demo")
    assert "示範資料" in capsys.readouterr().out
    call_command("supplies", "alerts")
    out = capsys.readouterr().out
    assert "0 opened" in out  # the demo opened them already; recomputing sends nothing new


# --- what the dashboard says about itself (issue #17, item 8) ---------------------------------------


def _cells(html: str, table_id: str) -> list[str]:
    table = re.search(rf'id="{table_id}".*?</table>', html, re.S).group(0)
    return re.findall(r"<tr id=[^>]*>.*?</tr>", table, re.S)


def test_items_without_a_statutory_minimum_are_neutral_not_green(client, demo):
    assert compute_statuses(AS_OF, [SupplyItem.objects.get(code="industry-steel")])[0].minimum is None
    html = client.get("/supplies/").content.decode()
    row = re.search(r'<tr id="item-industry-steel".*?</tr>', html, re.S).group(0)
    assert 'data-status="none"' in row and "無法定下限" in row and "正常" not in row
    page = client.get("/supplies/items/industry-steel/").content.decode()
    assert 'data-status="none"' in page and "正常" not in page and "無法定下限" in page
    assert "No minimum in the document" not in page  # the registry's English note: officers only
    # An item with a minimum and a comfortable cover is still 正常.
    assert 'data-status="green"' in re.search(r'<tr id="item-oil".*?</tr>', html, re.S).group(0)


@pytest.mark.parametrize("as_of", ["2023-06-30", "112/6/30", "2022-12-31"])
def test_counters_count_the_rows_of_the_tables_beneath_them(client, demo, as_of):
    """逾期未報 said 0 while its table listed a late reporter: the counter counted grey items, the table
    listed late reporters.  Each counter is now the length of the rows it stands for."""
    login(client, ndc_reviewer())
    html = client.get(f"/supplies/?as_of={as_of}").content.decode()
    counters = dict(re.findall(r'<li id="count-([a-z]+)">.*?<strong>(\d+)</strong>', html, re.S))
    overdue_rows = _cells(html, "supplies-overdue-table") if 'id="supplies-overdue-table"' in html else []
    assert int(counters["overdue"]) == len(overdue_rows)
    statuses = re.findall(r'<tr id="item-[^"]+" class="[^"]*" data-status="(\w+)"', html)
    for key in ("red", "yellow", "green", "none", "grey"):
        assert int(counters[key]) == statuses.count(key), key
    assert sum(int(counters[k]) for k in ("red", "yellow", "green", "none", "grey")) == len(statuses)
    if as_of != "2022-12-31":
        assert overdue_rows and "示範紙廠乙" in overdue_rows[0]  # the demo's late pulp reporter


def test_supplies_dates_read_in_the_roc_calendar(client, demo):
    html = client.get("/supplies/?as_of=112/6/30").content.decode()
    assert 'value="112/6/30"' in html and ">112/6/30</time>" in html
    login(client, ndc_reviewer())
    alerts = client.get("/supplies/alerts/?state=all").content.decode()
    body = alerts.split("<tbody>")[1]
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", _visible(body)), _visible(body)[:300]
    item = client.get("/supplies/items/natural-gas/?as_of=112/6/30&start=111/1/1").content.decode()
    item = item.split('<section class="history"')[0]  # the change log's own page part is not this page's
    assert 'value="111/1/1"' in item and not re.search(r"\b20\d\d-\d\d-\d\d\b", _visible(item))


def _visible(html: str) -> str:
    """Text a person reads (no attributes, no JSON of the charts)."""
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_observation_date_is_typed_in_the_roc_calendar(client, demo):
    login(client, editor("moea"))
    gas = SupplyItem.objects.get(code="natural-gas")
    reporter = Reporter.objects.get(code="demo-gas-a")
    form = {"item": gas.pk, "reporter": reporter.pk, "date": "112/7/15", "stock": "1000"}
    page = client.post("/supplies/observations/new/", form).content.decode()
    assert "日期 112/7/15 晚於今天（今天是 112/6/30）" in page and 'value="112/7/15"' in page
    form["date"] = "112/6/14"
    assert client.post("/supplies/observations/new/", form).status_code == 302
    assert Observation.objects.filter(item=gas, date=date(2023, 6, 14)).exists()
    form["date"] = "6/14"
    errors = client.post("/supplies/observations/new/", form).context["form"].errors
    assert errors["date"] == ["日期請以民國年/月/日填寫，例如 112/8/1"]
