"""The KPI list's fast path: the same answer as DRF's generic serialization, in queries that do not grow
with the page (plan/api/serializers.read_kpi_lines and KPISerializer.to_representation)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from sixcore.plan.api.serializers import KPISerializer
from sixcore.plan.models import KPI

URL = "/api/plan/kpis/"


def queries(url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert APIClient().get(url).status_code == 200
    return len(ctx.captured_queries)


def ordered(text: str | bytes) -> list:
    """JSON with its objects as lists of pairs: equal only if keys come in the same order too."""
    return json.loads(text, object_pairs_hook=list)


def generic(kpi: KPI) -> list:
    """The KPI as DRF's field-by-field serialization writes it (no fast path: nothing attached)."""
    return ordered(json.dumps(KPISerializer(KPI.objects.get(pk=kpi.pk)).data))


def test_list_is_the_generic_serialization_of_every_kpi(program):
    listed = dict(ordered(APIClient().get(f"{URL}?limit=10000").content))
    kpis = KPI.objects.filter(measure__industry__program=program).order_by(
        "measure__industry__code", "measure__order", "order"
    )
    assert listed["count"] == kpis.count() > 100
    assert listed["results"] == [generic(kpi) for kpi in kpis]


def test_detail_is_the_generic_serialization(program):
    kpi = KPI.objects.get(measure__industry__program=program, measure__code="6.2", code="6.2.2")
    answer = ordered(APIClient().get("/api/plan/kpis/6.2/6.2.2/").content)
    assert answer == generic(kpi)
    fields = dict(answer)
    assert fields["agencies"] and len(fields["annual"]) == 4


@pytest.mark.parametrize("filters", ["", "&industry=6", "&agency=moea", "&measure=1.2"])
def test_list_queries_do_not_grow_with_the_page(program, filters):
    # Token/session lookups aside: the revision, the count, the page, its agencies, its annual targets.
    one, all_ = queries(f"{URL}?limit=1{filters}"), queries(f"{URL}?limit=10000{filters}")
    assert one == all_ <= 5


def test_detail_queries(program):
    assert queries("/api/plan/kpis/1.2/1.2.2/") <= 4
