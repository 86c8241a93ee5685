"""Reading only the stored results a page shows, not the whole evaluation of the period.

``read.evaluation_for`` decodes every ``StoredResult`` of a period (at 10× the seed: 1,400 KPIs,
3,500 work items, the flags and 450 warnings) for pages that show all of them.  A page that shows a
few, such as NDC's needs-attention list (red KPIs, work items and budget lines, every data-quality
flag), filters by ``kind`` and by the ``light`` column in SQL, orders the matching rows by their place
in the plan (the ``_sort`` the writes store, read alone), and decodes only the rows of the page asked
for with ``store.decode``: its cost follows what needs attention, not the program's size.  Which view
(published or working) stays the caller's choice, from ``read.view_for``.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce

from django.db.models import OuterRef, Q, QuerySet, Subquery

from sixcore.plan import models as plan
from sixcore.progress.models import ReportingPeriod
from sixcore.progress.services import program_in_force

from .models import ResultKind, StoredResult
from .rules import Light
from .store import decode

# The needs-attention list's kinds, in the order the page lists them (reds first, then the flags).
ATTENTION_KINDS = (ResultKind.KPI, ResultKind.WORK_ITEM, ResultKind.BUDGET, ResultKind.FLAG)
RED_ONLY = frozenset({ResultKind.KPI, ResultKind.WORK_ITEM, ResultKind.BUDGET})


@dataclass
class PeriodHeading:
    """What a page shows around the results of a period (the ``evaluation`` of the base template):
    the revision in force, its industries, whether any stored result in the view is demo data.
    ``agencies`` is left empty: ``explain.agency_namer`` then looks every code up in one query."""

    revision: int
    industries: dict[str, str]
    is_demo: bool
    program: plan.Program
    agencies: dict[str, str] = field(default_factory=dict)


def period_heading(period: ReportingPeriod, view: str) -> PeriodHeading:
    """Three queries; ``plan.Program.DoesNotExist`` when no program is loaded (as ``read``)."""
    program = program_in_force(period)
    return PeriodHeading(
        revision=program.revision,
        industries=dict(program.industries.values_list("code", "name")),
        is_demo=StoredResult.objects.filter(period=period, view=view, is_demo=True).exists(),
        program=program,
    )


def attention_results(period: ReportingPeriod, view: str, *, kind: str = "", industry: str = "") -> QuerySet:
    """The stored rows that can be on the needs-attention list: red KPIs, work items and budget
    lines and every data-quality flag of ``period`` in ``view`` (only ``kind``'s, only
    ``industry``'s when given).  Nothing is read yet."""
    kinds = [k for k in ATTENTION_KINDS if not kind or k == kind]
    reds = [k for k in kinds if k in RED_ONLY]
    wanted = [Q(kind__in=reds, light=Light.RED)] if reds else []
    if ResultKind.FLAG in kinds:
        wanted.append(Q(kind=ResultKind.FLAG))
    if not wanted:
        return StoredResult.objects.none()
    rows = StoredResult.objects.filter(reduce(operator.or_, wanted), period=period, view=view)
    if industry:
        rows = rows.filter(data__industry=industry)
    return rows


def in_list_order(results: QuerySet) -> list[int]:
    """The rows' ids in the list's order: by kind (``ATTENTION_KINDS``), then by place in the plan,
    as ``read.stored_evaluation`` sorts them.  Reads only each row's kind, key and ``_sort``."""
    rank = {k: i for i, k in enumerate(ATTENTION_KINDS)}
    keyed = sorted(
        (rank[kind], place or [], key, pk)
        for pk, kind, key, place in results.values_list("pk", "kind", "key", "data___sort")
    )
    return [pk for *_, pk in keyed]


def decoded(pks: Iterable[int], program: plan.Program) -> list[tuple[str, object, str]]:
    """``(kind, result, measure name)`` of the rows ``pks``, in that order, in one query; the name is
    a budget line's measure in ``program`` (empty for other kinds, or a code not in the plan)."""
    pks = list(pks)
    if not pks:
        return []
    name = plan.Measure.objects.filter(industry__program=program, code=OuterRef("key")).values("name")[:1]
    rows = {
        pk: (
            kind,
            decode(kind, data, is_demo=demo, group=group),
            (measure or "") if kind == ResultKind.BUDGET else "",
        )
        for pk, kind, group, demo, data, measure in StoredResult.objects.filter(pk__in=pks)
        .annotate(measure_name=Subquery(name))
        .values_list("pk", "kind", "group", "is_demo", "data", "measure_name")
    }
    return [rows[pk] for pk in pks]
