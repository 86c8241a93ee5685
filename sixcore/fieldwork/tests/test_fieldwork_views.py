"""The field-verification pages and API: who reaches what, typed input kept and the field named on an
error, evidence served to the parties only, and the recommendations with their follow-up items in the
API (issue #20)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from sixcore.accounts.models import Agency
from sixcore.fieldwork import workflow
from sixcore.fieldwork.demo import _png
from sixcore.fieldwork.models import Evidence, FieldVerification, Recommendation
from sixcore.fieldwork.tests.test_fieldwork import complete, make_world, plan, recommend
from tests.factories import editor, ndc_admin, ndc_reviewer, viewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(program, monkeypatch):
    return make_world(monkeypatch)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def client(user=None) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def api(user=None) -> APIClient:
    c = APIClient()
    if user is not None:
        c.force_authenticate(user)
    return c


def test_candidates_page_lists_reasons_and_filters(world):
    page = client(ndc_reviewer()).get("/field-verifications/candidates/?period=111Q2")
    text = page.content.decode()
    assert page.status_code == 200 and "1.2.2" in text and "績效指標紅燈" in text and "高風險" in text
    only_red = client(ndc_reviewer()).get("/field-verifications/candidates/?period=111Q2&reason=red_kpi")
    assert "高風險：" not in only_red.content.decode() and "1.2.2" in only_red.content.decode()
    bad = client(ndc_reviewer()).get("/field-verifications/candidates/?period=111Q2&lag=-5")
    assert bad.status_code == 400 and "落後門檻（百分點）" in bad.content.decode()
    assert client(editor("moea")).get("/field-verifications/candidates/").status_code == 403
    assert client().get("/field-verifications/candidates/").status_code == 302


def test_planning_keeps_typed_input_and_names_the_field(world):
    data = {
        "period": "111Q2",
        "pick": ["kpi:1.2/1.2.2"],
        "title": "查證一",
        "place": "新竹科學園區",
        "reviewers": "",
        "date": "2022-07-20",
        "agencies": [Agency.objects.get(code="moea").pk],
    }
    page = client(ndc_reviewer()).post("/field-verifications/new/", data)
    text = page.content.decode()
    assert page.status_code == 400 and "查證人員" in text and 'value="新竹科學園區"' in text
    assert 'value="kpi:1.2/1.2.2" checked' in text
    assert not FieldVerification.objects.exists()
    data["reviewers"] = "王專門委員"
    page = client(ndc_reviewer()).post("/field-verifications/new/", data)
    v = FieldVerification.objects.get()
    assert page.status_code == 302 and page["Location"] == f"/field-verifications/{v.pk}/"
    assert client(editor("moea")).post("/field-verifications/new/", data).status_code == 403


def test_picks_join_a_planned_visit_from_the_planning_page(world):
    v = plan(world, picks=("kpi:1.2/1.2.2",))
    page = client(ndc_reviewer()).get("/field-verifications/new/?period=111Q2&pick=measure:1.2")
    assert page.status_code == 200 and f'<option value="{v.pk}"' in page.content.decode()
    data = {"period": "111Q2", "pick": ["measure:1.2"], "into": ""}
    refused = client(ndc_reviewer()).post("/field-verifications/items/add/", data)
    assert refused.status_code == 400 and "請選擇規劃中之實地查證" in refused.content.decode()
    done = client(ndc_reviewer()).post("/field-verifications/items/add/", data | {"into": v.pk})
    assert done.status_code == 302 and v.items.filter(code="1.2").exists()
    assert (
        client(editor("moea")).post("/field-verifications/items/add/", data | {"into": v.pk}).status_code
        == 403
    )


def test_recording_on_the_page(world, media):
    v = plan(world)
    item = v.items.order_by("order").first()
    ndc = client(ndc_admin())
    base = f"/field-verifications/{v.pk}/items/{item.pk}"
    refused = ndc.post(
        f"{base}/recommendations/",
        {f"r{item.pk}-text": "請研提改善措施", f"r{item.pk}-owner": Agency.objects.get(code="moea").pk},
    )
    text = refused.content.decode()
    assert refused.status_code == 400 and "期限" in text and "請研提改善措施" in text
    stale = ndc.post(f"{base}/findings/", {"version": item.version + 5, "findings": "我的查證結果"})
    assert stale.status_code == 409 and "我的查證結果" in stale.content.decode()
    assert ndc.post(f"{base}/findings/", {"version": item.version, "findings": "已查證"}).status_code == 302
    bad_file = SimpleUploadedFile("x.pdf", b"<html></html>", "application/pdf")
    page = ndc.post(f"{base}/evidence/", {"file": bad_file})
    assert page.status_code == 400 and "佐證檔案" in page.content.decode() and not Evidence.objects.exists()
    good = SimpleUploadedFile("site.png", _png((5, 5, 5)), "image/png")
    assert ndc.post(f"{base}/evidence/", {"file": good}).status_code == 302
    assert (
        client(editor("moea")).post(f"{base}/findings/", {"version": 9, "findings": "x"}).status_code == 403
    )


def test_a_verification_is_read_by_its_parties_and_once_published_by_the_public(world, media):
    v = plan(world)
    item = v.items.first()
    from sixcore.fieldwork import services

    evidence = services.add_evidence(ndc_admin(), item, SimpleUploadedFile("a.png", _png((1, 1, 1))))
    url, file_url = f"/field-verifications/{v.pk}/", f"/field-verifications/{v.pk}/evidence/{evidence.pk}/"
    assert client(viewer("moea")).get(url).status_code == 200
    assert client(viewer("moea")).get(file_url).status_code == 200
    assert client(editor("motc")).get(url).status_code == 404
    assert client().get(url).status_code == 404
    recommend(v)
    complete(v)
    workflow.publish(v, ndc_admin())
    public = client().get(url)
    assert public.status_code == 200 and "a.png" not in public.content.decode()
    assert client().get(file_url).status_code == 404  # evidence never public
    assert client(editor("motc")).get(file_url).status_code == 404
    listed = client().get("/field-verifications/").content.decode()
    assert v.title in listed


def test_the_api_scope_writes_and_follow_ups(world, media):
    body = {
        "title": "API 查證",
        "date": "2022-07-20",
        "place": "臺南",
        "reviewers": "李研究員",
        "period": "111Q2",
        "picks": ["kpi:1.2/1.2.2"],
    }
    assert api().post("/api/field-verifications/", body, format="json").status_code == 401
    assert api(editor("moea")).post("/api/field-verifications/", body, format="json").status_code == 403
    bad = api(ndc_admin()).post(
        "/api/field-verifications/", body | {"picks": ["kpi:9.9/9.9.9"]}, format="json"
    )
    assert bad.status_code == 400 and "picks" in bad.json()
    created = api(ndc_admin()).post("/api/field-verifications/", body, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    vid, item = data["id"], data["items"][0]
    assert item["reasons"] and item["kind"] == "kpi"
    base = f"/api/field-verifications/{vid}"
    assert api(editor("motc")).get(f"{base}/").status_code == 404
    assert api(viewer("moea")).get(f"{base}/").status_code == 200
    assert api().get("/api/field-verifications/").json()["count"] == 0
    rec = api(ndc_admin()).post(
        f"{base}/items/{item['id']}/recommendations/",
        {"text": "請改善", "owner": "moea", "due_date": "2022-12-31"},
        format="json",
    )
    assert rec.status_code == 201 and rec.json()["items"][0]["recommendations"][0]["follow_up"] is None
    stale = api(ndc_admin()).post(f"{base}/items/{item['id']}/findings/", {"version": 99, "findings": "x"})
    assert stale.status_code == 409
    ok = api(ndc_admin()).post(f"{base}/items/{item['id']}/findings/", {"version": 1, "findings": "已查證"})
    assert ok.status_code == 200
    refused = api(viewer("moea")).post(f"{base}/complete/", {})
    assert refused.status_code == 403
    done = api(ndc_admin()).post(f"{base}/complete/", {"version": ok.json()["version"]}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "completed"
    follow_up = done.json()["items"][0]["recommendations"][0]["follow_up"]
    assert follow_up["status"] == "tracked" and follow_up["due_date"] == "2022-12-31"
    assert Recommendation.objects.get().follow_up_id == follow_up["id"]
    again = api(ndc_admin()).post(f"{base}/complete/", {}, format="json")
    assert again.status_code == 409
    png = SimpleUploadedFile("p.png", _png((2, 2, 2)), "image/png")
    assert api(ndc_admin()).post(f"{base}/items/{item['id']}/evidence/", {"file": png}).status_code == 409
    assert api(editor("moea")).get("/api/field-verifications/candidates/?period=111Q2").status_code == 403
    cands = api(ndc_reviewer()).get("/api/field-verifications/candidates/?period=111Q2&reason=red_kpi")
    assert cands.status_code == 200 and {c["kind"] for c in cands.json()} == {"kpi"}


def test_the_schema_documents_the_endpoints(world):
    schema = api().get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert "/api/field-verifications/" in paths and "/api/field-verifications/candidates/" in paths
    assert "/api/field-verifications/{id}/items/{item_id}/recommendations/" in paths
