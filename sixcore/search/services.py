"""Site search: CJK substring search over what a user may see, grouped by kind.

Chinese has no spaces between words, so a query is matched as a substring, each whitespace-separated
term required (AND). On PostgreSQL the searched columns carry pg_trgm GIN indexes (migration 0001),
which serve ``icontains`` (``LIKE '%…%'``) for terms of three characters or more. On SQLite, the
embedded default, terms of three characters or more are looked up in FTS5 trigram indexes (``fts.py``,
kept current by triggers); shorter ones (「5G」, 「風電」) have no trigram to look up and are matched
with ``icontains`` (a scan, a few thousand rows). Scope is the one every
view uses: the plan in force is public; narratives come only from submissions the user may read
(``submission_policy.visible``: never another agency's draft); coordination issues through
``coordination_policy``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from operator import and_

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from sixcore.coordination.models import CoordinationIssue
from sixcore.coordination.policy import coordination_policy
from sixcore.plan import models as plan
from sixcore.plan.models import programs_in_force
from sixcore.progress.models import MeasureReport, Submission
from sixcore.progress.policy import submission_policy

from . import fts

MAX_QUERY_LENGTH = 100
PER_GROUP = 50


@dataclass(frozen=True)
class Hit:
    title: str
    text: str  # the text the terms were found in (highlighted on the page)
    url: str
    context: str = ""


@dataclass
class Group:
    key: str
    label: str
    hits: list[Hit] = field(default_factory=list)
    more: bool = False  # more than PER_GROUP matched


def terms_of(query: str) -> list[str]:
    """The query's terms: split on white space (full-width too), at most 100 characters in all."""
    return query.replace("\u3000", " ")[:MAX_QUERY_LENGTH].split()


def _all_terms(model, fields: list[str], terms: list[str]) -> Q:
    """Every term in one of ``model``'s ``fields``.

    On SQLite the terms of three characters or more go to the model's FTS5 trigram index (one MATCH
    of all of them: each in some indexed field); the trigram tokenizer cannot match a shorter term,
    so those stay ``icontains``. Elsewhere every term is ``icontains`` (pg_trgm serves it).
    """
    short = terms
    conditions = []
    if fts.supported(connection):
        long = [t for t in terms if len(t) >= fts.TRIGRAM]
        short = [t for t in terms if len(t) < fts.TRIGRAM]
        if long:
            table = fts.fts_table(model)
            matching = RawSQL(  # noqa: S611 - the term is a parameter
                f'SELECT rowid FROM "{table}" WHERE "{table}" MATCH %s',  # noqa: S608 - our table name
                [fts.match_expression(long)],
            )
            conditions.append(Q(pk__in=matching))
    conditions += [reduce(lambda a, b: a | b, (Q(**{f"{f}__icontains": t}) for f in fields)) for t in short]
    return reduce(and_, conditions)


def _take(queryset, group: Group, make) -> Group:
    rows = list(queryset[: PER_GROUP + 1])
    group.more = len(rows) > PER_GROUP
    group.hits = [make(row) for row in rows[:PER_GROUP]]
    return group


def search(user, query: str) -> list[Group]:
    """The groups of hits for ``query`` as ``user`` may see them (empty groups left out)."""
    terms = terms_of(query)
    if not terms:
        return []
    program = programs_in_force().last()
    groups = []
    if program is not None:
        groups += [
            _take(
                plan.Measure.objects.filter(industry__program=program)
                .filter(_all_terms(plan.Measure, ["code", "name"], terms))
                .select_related("industry")
                .order_by("order"),
                Group("measures", _("Measures")),
                lambda m: Hit(
                    f"{m.code} {m.name}", m.name, reverse("plan:measure", args=[m.code]), m.industry.name
                ),
            ),
            _take(
                plan.WorkItem.objects.filter(schedule__industry__program=program)
                .filter(_all_terms(plan.WorkItem, ["title"], terms))
                .select_related("schedule")
                .prefetch_related("schedule__measures")
                .order_by("schedule__order", "order"),
                Group("work_items", _("Key work items")),
                lambda w: Hit(
                    f"{w.schedule.code}/{w.code}",
                    w.title,
                    _work_item_url(w),
                    w.schedule.title,
                ),
            ),
            _take(
                plan.KPI.objects.filter(measure__industry__program=program)
                .filter(_all_terms(plan.KPI, ["code", "full_term_text"], terms))
                .select_related("measure")
                .order_by("measure__order", "order"),
                Group("kpis", _("Key performance indicators")),
                lambda k: Hit(
                    f"{k.code}",
                    k.full_term_text,
                    reverse("plan:kpi", args=[k.measure.code, k.code]),
                    f"{k.measure.code} {k.measure.name}",
                ),
            ),
        ]
    visible = submission_policy.visible(user, Submission.objects.all())
    narrative_fields = ["progress", "highlights", "next_quarter"]
    groups.append(
        _take(
            MeasureReport.objects.filter(submission__in=visible)
            .filter(_all_terms(MeasureReport, narrative_fields, terms))
            .select_related("submission__period", "submission__agency", "measure")
            .order_by("-submission__period__roc_year", "-submission__period__quarter", "measure__order"),
            Group("narratives", _("Quarterly report narratives")),
            lambda r: Hit(
                f"{r.submission.period.label} {r.submission.agency.name} {r.measure.code}",
                _matching_text(r, narrative_fields, terms),
                reverse("progress:submission", args=[r.submission_id]),
                r.measure.name,
            ),
        )
    )
    groups.append(
        _take(
            coordination_policy.issues(user, CoordinationIssue.objects.all())
            .filter(_all_terms(CoordinationIssue, ["title", "description", "requested_decision"], terms))
            .order_by("-created_at"),
            Group("issues", _("Coordination issues")),
            lambda i: Hit(i.title, i.description, reverse("coordination:issue", args=[i.pk])),
        )
    )
    return [g for g in groups if g.hits]


def _work_item_url(item) -> str:
    measures = list(item.schedule.measures.all())
    return reverse("plan:measure", args=[measures[0].code]) if measures else ""


def _matching_text(report, fields: list[str], terms: list[str]) -> str:
    """The narrative field that holds the first term (the one shown)."""
    for name in fields:
        text = getattr(report, name)
        if terms[0].lower() in text.lower():
            return text
    return getattr(report, fields[0])
