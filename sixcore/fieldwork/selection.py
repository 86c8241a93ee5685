"""Selection by exception: the candidates for a field verification and the reason for each.

Built from the evaluation read model (``sixcore.evaluation.read``: the stored results the dashboards
show, in the caller's scope), never from a rule of its own:
a KPI whose light is red, a work item lagging more than the threshold, a measure the early warning
rates high risk, and a reporting unit (industry × agency) whose quarterly reports were repeatedly late
or returned (from the audit trail of ``submission.submit`` / ``submission.return``). The thresholds are
data (``SelectionSettings``); a page may override them for one look. Each reason is a sentence in the
user's language, stored with the item when NDC picks it, so the visit records why it was chosen.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext as _

from sixcore.core.models import ObjectChange
from sixcore.evaluation import read, service
from sixcore.evaluation.rules import Light, RiskTier
from sixcore.progress.clock import today
from sixcore.progress.models import ReportingPeriod, Submission

from .choices import ItemKind, Reason


@dataclass
class Candidate:
    """One item NDC may pick: ``key`` (``kind:code``) identifies it in forms and in the API."""

    kind: str
    code: str
    label: str
    industry: str
    agencies: list[str]
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (Reason, sentence)
    agency_names: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.code}"

    @property
    def kind_label(self) -> str:
        return ItemKind(self.kind).label

    @property
    def reason_codes(self) -> set[str]:
        return {code for code, _text in self.reasons}

    @property
    def reason_text(self) -> str:
        return "\n".join(text for _code, text in self.reasons)


@dataclass(frozen=True)
class Criteria:
    lag_threshold: Decimal
    repeat_threshold: int
    lookback_quarters: int


def default_criteria() -> Criteria:
    from .models import SelectionSettings

    row = SelectionSettings.current()
    return Criteria(Decimal(row.lag_threshold), row.repeat_threshold, row.lookback_quarters)


def number(value: Decimal | None) -> str:
    """20.00 → 20, 23.50 → 23.5 (as people write percentages)."""
    return "—" if value is None else f"{value.normalize():f}"


def candidates(period: ReportingPeriod, user, criteria: Criteria | None = None) -> list[Candidate]:
    """Every candidate of ``period`` within ``user``'s view of the submissions (NDC: all), red KPIs
    first, then lagging work items, high-risk measures and reporting units; each with its reasons."""
    criteria = criteria or default_criteria()
    evaluation = read.evaluation_for(period, user)
    found: list[Candidate] = []
    for k in evaluation.kpis:
        if k.light == Light.RED:
            sentence = _("KPI light is red: %(reason)s") % {"reason": k.reason}
            found.append(
                Candidate(
                    ItemKind.KPI,
                    f"{k.measure}/{k.key}",
                    f"{k.kpi} {k.text}",
                    k.industry,
                    list(k.agencies),
                    [(Reason.RED_KPI, sentence)],
                )
            )
    for w in evaluation.work_items:
        if w.lag is not None and w.lag > criteria.lag_threshold:
            sentence = _(
                "Work item behind schedule by %(lag)s percentage points (threshold %(threshold)s): "
                "planned %(planned)s%%, reported %(reported)s%%"
            ) % {
                "lag": number(w.lag),
                "threshold": number(criteria.lag_threshold),
                "planned": number(w.planned),
                "reported": number(w.reported),
            }
            if w.lag_reason:
                sentence += _("; reason given: %(reason)s") % {"reason": w.lag_reason}
            found.append(
                Candidate(
                    ItemKind.WORK_ITEM,
                    f"{w.schedule}/{w.code}",
                    f"{w.code} {w.title}",
                    w.industry,
                    list(w.agencies),
                    [(Reason.LAGGING, sentence)],
                )
            )
    measure_agencies: dict[str, set[str]] = defaultdict(set)
    for k in evaluation.kpis:
        measure_agencies[k.measure].update(k.agencies)
    for r in evaluation.risks:
        if r.tier == RiskTier.HIGH:
            signals = "；".join(
                (s["message"] or s["label"])
                if s["ref"] == "budget"
                else f"{s['ref']} {s['message'] or s['label']}"
                for s in r.signals
            )
            sentence = _("High risk tier (early warning): %(signals)s") % {"signals": signals}
            found.append(
                Candidate(
                    ItemKind.MEASURE,
                    r.measure,
                    f"{r.measure} {r.name}",
                    r.industry,
                    sorted(measure_agencies.get(r.measure, ())),
                    [(Reason.HIGH_RISK, sentence)],
                )
            )
    found.extend(_reporting_units(period, user, criteria))
    for candidate in found:
        candidate.agency_names = [evaluation.agencies.get(code, code) for code in candidate.agencies]
    return found


def _reporting_units(period: ReportingPeriod, user, criteria: Criteria) -> list[Candidate]:
    """Units late (first submitted after the due date, or not submitted by it) or returned at least
    ``repeat_threshold`` times in the ``lookback_quarters`` quarters up to ``period``."""
    periods = list(
        ReportingPeriod.objects.filter(
            roc_year__lte=period.roc_year,
        )
        .exclude(roc_year=period.roc_year, quarter__gt=period.quarter)
        .order_by("-roc_year", "-quarter")[: max(criteria.lookback_quarters, 1)]
    )
    submissions = list(
        service.scoped_submissions(user)
        .filter(period__in=periods)
        .select_related("period", "industry", "agency")
        .order_by("industry__code", "agency__order", "agency__code")
    )
    content_type = ContentType.objects.get_for_model(Submission)
    # The first submission as the workflow stamped it (``submitted_at`` after the step, on the cycle's
    # as-of clock), not the audit row's own time: a resubmission after a return overwrites the field.
    submitted_first: dict[str, datetime] = {}
    returns: dict[str, int] = defaultdict(int)
    rows = (
        ObjectChange.objects.filter(
            changed_object_type=content_type,
            changed_object_id__in=[str(s.pk) for s in submissions],
            action__in=("submission.submit", "submission.return"),
        )
        .order_by("time")
        .values_list("changed_object_id", "action", "postchange_data")
    )
    for object_id, action, after in rows:
        if action == "submission.return":
            returns[object_id] += 1
        elif object_id not in submitted_first and (after or {}).get("submitted_at"):
            submitted_first[object_id] = datetime.fromisoformat(after["submitted_at"])
    as_of = today()
    late: dict[tuple, list[str]] = defaultdict(list)
    returned: dict[tuple, int] = defaultdict(int)
    units: dict[tuple, Submission] = {}
    for s in submissions:
        unit = (s.industry.code, s.agency.code)
        units.setdefault(unit, s)
        first = submitted_first.get(str(s.pk)) or s.submitted_at
        if first is not None:
            was_late = timezone.localdate(first) > s.period.due_date
        else:
            was_late = as_of > s.period.due_date
        if was_late:
            late[unit].append(s.period.label)
        returned[unit] += returns.get(str(s.pk), 0)
    found = []
    for unit, sample in units.items():
        reasons = []
        if len(late[unit]) >= criteria.repeat_threshold:
            reasons.append(
                (
                    Reason.LATE,
                    _("Quarterly report late %(count)s times in the last %(n)s quarters: %(periods)s")
                    % {"count": len(late[unit]), "n": len(periods), "periods": "、".join(late[unit])},
                )
            )
        if returned[unit] >= criteria.repeat_threshold:
            reasons.append(
                (
                    Reason.RETURNED,
                    _("Quarterly report returned for revision %(count)s times in the last %(n)s quarters")
                    % {"count": returned[unit], "n": len(periods)},
                )
            )
        if reasons:
            found.append(
                Candidate(
                    ItemKind.UNIT,
                    f"{unit[0]}/{unit[1]}",
                    _("Quarterly reports of %(agency)s for %(industry)s")
                    % {"agency": sample.agency.name, "industry": sample.industry.name},
                    unit[0],
                    [unit[1]],
                    reasons,
                )
            )
    return found


def filtered(
    found: list[Candidate], *, industry: str = "", agency: str = "", reason: str = ""
) -> list[Candidate]:
    """The candidates of one industry, one agency (code) or with one reason (``Reason``)."""
    return [
        c
        for c in found
        if (not industry or c.industry == industry)
        and (not agency or agency in c.agencies)
        and (not reason or reason in c.reason_codes)
    ]
