"""Deleting an item or a reporter that observations refer to: 409 with a message, nothing deleted."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from sixcore.supplies.models import Assignment, Observation, Reporter, SupplyItem
from sixcore.supplies.registry import seed_registry
from tests.factories import editor, ndc_admin

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorded():
    """Natural gas with one reporter and one observation; oil with an assigned reporter and none."""
    seed_registry()
    gas = SupplyItem.objects.get(code="natural-gas")
    oil = SupplyItem.objects.get(code="oil")
    gas_co = Reporter.objects.create(code="gas-co", name="天然氣業者")
    oil_co = Reporter.objects.create(code="oil-co", name="油品業者")
    Assignment.objects.create(item=gas, reporter=gas_co)
    Assignment.objects.create(item=oil, reporter=oil_co)
    Observation.objects.create(item=gas, reporter=gas_co, date=date(2023, 6, 30), stock=Decimal(8000))
    return gas, gas_co


def _counts() -> tuple[int, int, int, int]:
    return (
        SupplyItem.objects.count(),
        Reporter.objects.count(),
        Assignment.objects.count(),
        Observation.objects.count(),
    )


def test_deleting_an_item_with_observations_is_a_conflict(client, recorded):
    client.force_login(ndc_admin())
    before = _counts()
    response = client.delete("/api/supplies/items/natural-gas/")
    assert response.status_code == 409
    assert response.json() == {"detail": "品項「natural-gas」無法刪除：已有 1 筆申報資料或其他紀錄引用它"}
    assert _counts() == before


def test_deleting_a_reporter_with_observations_is_a_conflict(client, recorded):
    client.force_login(ndc_admin())
    before = _counts()
    response = client.delete("/api/supplies/reporters/gas-co/")
    assert response.status_code == 409
    assert response.json() == {"detail": "申報者「gas-co」無法刪除：已有 1 筆申報資料或其他紀錄引用它"}
    assert _counts() == before


def test_an_item_or_reporter_without_observations_is_deleted(client, recorded):
    client.force_login(ndc_admin())
    assert client.delete("/api/supplies/reporters/oil-co/").status_code == 204
    assert not Reporter.objects.filter(code="oil-co").exists()
    assert client.delete("/api/supplies/items/oil/").status_code == 204
    assert not SupplyItem.objects.filter(code="oil").exists()
    assert Observation.objects.count() == 1  # natural gas's, untouched


def test_only_ndc_administrators_delete(client, recorded):
    client.force_login(editor("moea"))
    before = _counts()
    assert client.delete("/api/supplies/items/oil/").status_code == 403
    assert client.delete("/api/supplies/reporters/oil-co/").status_code == 403
    assert _counts() == before


def test_the_conflict_is_documented_in_the_schema(client):
    schema = json.loads(client.get("/api/schema/?format=json").content)
    for path in ("/api/supplies/items/{code}/", "/api/supplies/reporters/{code}/"):
        responses = schema["paths"][path]["delete"]["responses"]
        assert {"204", "403", "404", "409"} <= set(responses), (path, sorted(responses))
        assert responses["409"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
