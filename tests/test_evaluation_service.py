"""The evaluation service against the real program and generated reports: figures of known KPIs,
the lead agency's actual, the revision in force, scope (anonymous sees approved only), early warning."""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser

from sixcore.evaluation import rules, service
from sixcore.evaluation.rules import Light
from sixcore.progress.choices import SubmissionStatus
from sixcore.progress.models import KPIReport, ReportingPeriod, Submission
from tests.factories import editor, open_period

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from portfolio import build_portfolio  # noqa: E402


def report(period, agency: str, value, status=SubmissionStatus.APPROVED, kpi="1.2.2", industry="1"):
    """Set one agency's actual of a KPI and the submission's status (directly: the workflow is tested elsewhere)."""
    submission = Submission.objects.get(period=period, industry__code=industry, agency__code=agency)
    KPIReport.objects.filter(
        submission=submission, kpi__code=kpi, kpi__measure__code=kpi.rsplit(".", 1)[0]
    ).update(value=value)
    Submission.objects.filter(pk=submission.pk).update(status=status)
    return submission


def kpi(evaluation, code="1.2.2", measure="1.2"):
    return next(k for k in evaluation.kpis if k.kpi == code and k.measure == measure)


@pytest.fixture
def q2(program):
    return open_period("111Q2")


def test_expected_actual_and_light_of_a_known_kpi(q2):
    # 1.2.2: 110 per period 4 項, 111 cumulative 9 項 → the first cumulative year starts from 0: 9 × 2/4.
    report(q2, "moea", "4.5")
    result = kpi(service.evaluate_period(q2))
    assert (result.expected, result.actual, result.achievement, result.light) == (
        Decimal("4.5"),
        Decimal("4.5"),
        Decimal("1.0000"),
        Light.GREEN,
    )
    assert result.kind == "cumulative" and result.reported_by == "moea"
    assert result == kpi(service.evaluate_period("111Q2"))  # a code works as well as the period


def test_the_lead_agencys_actual_counts(q2):
    report(q2, "moea", "4")  # 經濟部 is 1.2.2's first agency
    report(q2, "most", "9")
    result = kpi(service.evaluate_period(q2))
    assert (
        result.actual == Decimal(4)
        and result.achievement == Decimal("0.8889")
        and result.light == Light.YELLOW
    )


def test_scope_anonymous_sees_approved_only(q2):
    report(q2, "moea", "4", status=SubmissionStatus.DRAFT)
    report(q2, "most", "4.5")
    everything = kpi(service.evaluate_period(q2))
    public = kpi(service.evaluate_period(q2, AnonymousUser()))
    assert everything.actual == Decimal(4)  # the lead's draft, for NDC and scripts
    assert public.actual == Decimal("4.5") and public.light == Light.GREEN  # the approved report only
    assert kpi(service.evaluate_period(q2, published_only=True)).actual == Decimal("4.5")
    assert kpi(service.evaluate_period(q2, editor("moea"))).actual == Decimal(4)  # its own draft
    assert service.evaluate_period(q2, AnonymousUser()).completeness.visible == 1


def test_nothing_reported_is_white(q2):
    result = kpi(service.evaluate_period(q2, AnonymousUser()))
    assert result.light == Light.WHITE and result.actual is None and result.expected == Decimal("4.5")


def test_revision_in_force(q2):
    assert service.evaluate_period(q2).revision == 0
    later = build_portfolio(1, effective_from="112Q1")
    assert service.evaluate_period(q2).revision == 0
    assert service.evaluate_period(open_period("112Q1")).revision == later.revision


def test_red_streak_makes_the_measure_high_risk(q2):
    q1 = open_period("111Q1")
    report(q1, "moea", "1")  # expected 2.25: red
    report(q2, "moea", "1")  # expected 4.5: red
    evaluation = service.evaluate_period(q2)
    risk = next(r for r in evaluation.risks if r.measure == "1.2")
    assert risk.tier == rules.RiskTier.HIGH and rules.RED_STREAK in {s["rule"] for s in risk.signals}
    assert evaluation.risks[0].tier == rules.RiskTier.HIGH
    assert kpi(evaluation).forecast is not None


def test_rollups_count_every_kpi(q2):
    report(q2, "moea", "4.5")
    evaluation = service.evaluate_period(q2)
    for by in service.ROLLUP_KINDS:
        assert evaluation.rollups[by]
    industry = {r.key: r for r in evaluation.rollups["industry"]}
    assert sum(r.items for r in industry.values()) == len(evaluation.kpis)
    assert industry["1"].counts["green"] >= 1
    assert industry["1"].weighted_achievement == Decimal("1.0000")


def test_data_quality_flags(q2):
    from sixcore.progress.models import WorkItemReport

    # An item that started by 111/01 and runs past 111/06 is planned above 0 % at the end of 111Q2.
    line = WorkItemReport.objects.filter(
        submission__period=q2, work_item__start__lte=date(2022, 1, 1), work_item__end__gte=date(2022, 12, 1)
    ).first()
    WorkItemReport.objects.filter(pk=line.pk).update(percent=0, lag_reason="")
    evaluation = service.evaluate_period(q2)
    ref = f"{line.work_item.schedule.code}/{line.work_item.code}"
    item = next(w for w in evaluation.work_items if f"{w.schedule}/{w.code}" == ref)
    assert item.lag > 0 and item.light != Light.WHITE
    assert any(f.code == rules.LAG_WITHOUT_REASON and f.ref == ref for f in evaluation.flags)


def test_kpi_history_over_every_period(q2):
    report(q2, "moea", "4.5")
    history = service.kpi_history("1.2", "1.2.2")
    assert len(history["rows"]) == 16
    row = next(r for r in history["rows"] if r["period"] == "111Q2")
    assert row["light"] == Light.GREEN and row["actual"] == Decimal("4.5")
    assert service.kpi_history("1.2", "9.9.9") is None


# --- KPI lights of many periods (evaluate_kpi_lights) ---------------------------------------------


def _same_as_evaluate_period(lights, period, user=None, published_only=False):
    evaluation = service.evaluate_period(period, user, published_only=published_only)
    by_kpi = lights[(period.roc_year, period.quarter)]
    assert list(by_kpi) == [(k.measure, k.key) for k in evaluation.kpis]  # the revision's KPIs, in plan order
    for k in evaluation.kpis:
        result = by_kpi[(k.measure, k.key)]
        expected = (k.expected, k.actual, k.achievement, k.light)
        assert tuple(result) == expected, (k.measure, k.key)
        # Identical, not merely equal: the same Decimal digits and exponent (1.0000 is not 1).
        assert [repr(v) for v in result] == [repr(v) for v in expected], (k.measure, k.key)


def test_kpi_lights_of_many_periods_match_evaluate_period(q2):
    from portfolio import generate_reports

    q1, q4 = ReportingPeriod.by_code("111Q1"), ReportingPeriod.by_code("112Q4")
    assert generate_reports([q1, q4])  # seeded figures for every KPI (no submission there yet)
    report(q2, "moea", "4")
    report(q2, "most", "9")  # the lead's (moea) actual counts
    report(q1, "moea", None)
    report(q1, "most", "3", status=SubmissionStatus.DRAFT)  # no lead figure: the next report's
    lights = service.evaluate_kpi_lights([q1, "111Q2", q4])
    assert list(lights) == [(111, 1), (111, 2), (112, 4)]
    assert lights[(111, 2)][("1.2", "1.2.2")].actual == Decimal(4)
    assert lights[(111, 1)][("1.2", "1.2.2")].actual == Decimal(3)
    for period in (q1, q2, q4):
        _same_as_evaluate_period(lights, period)
    public = service.evaluate_kpi_lights([q1, q2, q4], AnonymousUser())
    assert public[(111, 1)][("1.2", "1.2.2")].actual != Decimal(3)  # the draft is not public
    for period in (q1, q2, q4):
        _same_as_evaluate_period(public, period, AnonymousUser())
        _same_as_evaluate_period(
            service.evaluate_kpi_lights([period], published_only=True), period, published_only=True
        )


def test_kpi_lights_use_the_revision_in_force_and_a_fixed_number_of_queries(q2):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from portfolio import generate_reports

    generate_reports([q2])
    with CaptureQueriesContext(connection) as seed:
        service.evaluate_kpi_lights([q2])
    later = build_portfolio(3, effective_from="112Q1")
    q5 = open_period("112Q1")
    generate_reports([q5])
    with CaptureQueriesContext(connection) as both:
        lights = service.evaluate_kpi_lights([q2, q5])
    assert len(seed.captured_queries) == len(both.captured_queries) == 8
    assert ("1.2x2", "1.2.2") in lights[(112, 1)] and ("1.2x2", "1.2.2") not in lights[(111, 2)]
    assert service.evaluate_period(q5).revision == later.revision
    for period in (q2, q5):
        _same_as_evaluate_period(lights, period)
    with pytest.raises(service.ReportingPeriod.DoesNotExist):
        service.evaluate_kpi_lights(["099Q1"])


def _same_rollups(rollups, period, user=None, published_only=False):
    evaluation = service.evaluate_period(period, user, published_only=published_only)
    ours = rollups[(period.roc_year, period.quarter)]
    assert ours == evaluation.rollups
    assert repr(ours) == repr(evaluation.rollups)  # the same Decimal digits of every average


def test_kpi_rollups_of_many_periods_match_evaluate_period(q2):
    from portfolio import generate_reports

    q1, q4 = ReportingPeriod.by_code("111Q1"), ReportingPeriod.by_code("112Q4")
    assert generate_reports([q1, q4])  # seeded figures for every KPI (no submission there yet)
    report(q2, "moea", "4")
    report(q2, "most", "9")
    report(q1, "most", "3", status=SubmissionStatus.DRAFT)
    rollups = service.evaluate_kpi_rollups([q1, q2, q4])
    assert list(rollups) == [(111, 1), (111, 2), (112, 4)]
    assert set(rollups[(112, 4)]) == set(service.ROLLUP_KINDS)
    assert all(r.weighted_achievement is not None for r in rollups[(112, 4)]["industry"])
    assert {light for r in rollups[(112, 4)]["measure"] for light, n in r.counts.items() if n} >= {
        "green",
        "red",
    }
    for period in (q1, q2, q4):
        _same_rollups(rollups, period)
    public = service.evaluate_kpi_rollups([q1, q2, q4], AnonymousUser())
    for period in (q1, q2, q4):
        _same_rollups(public, period, AnonymousUser())
    later = build_portfolio(2, effective_from="112Q1")  # a revision in force for 112Q4 only
    q5 = ReportingPeriod.by_code("112Q1")
    assert generate_reports([q5])
    assert service.evaluate_period(q4).revision == later.revision
    both = service.evaluate_kpi_rollups([q2, q4, q5])
    for period in (q2, q4, q5):
        _same_rollups(both, period)


def test_a_revision_in_force_without_kpis_evaluates_to_nothing(q2):
    """Its periods have no KPI to judge (as ``evaluate_period`` finds), even with reports filed under the
    revision before: the batch reads used to fail looking up its KPIs' lead agencies."""
    from portfolio import generate_reports

    from sixcore.plan.models import Program

    q1 = ReportingPeriod.by_code("113Q1")
    assert generate_reports([q1])
    Program.objects.create(
        name="六大核心戰略產業推動方案",
        revision=9,
        title="測試：無指標的修正",
        revision_date=date(2024, 1, 1),
        start_year=110,
        end_year=113,
        effective_from="113Q1",
    )
    assert service.evaluate_period(q1).kpis == []
    lights = service.evaluate_kpi_lights([q2, q1])
    assert lights[(113, 1)] == {} and len(lights[(111, 2)]) == len(service.evaluate_period(q2).kpis)
    rollups = service.evaluate_kpi_rollups([q1])
    assert rollups[(113, 1)] == {by: [] for by in service.ROLLUP_KINDS}
    _same_rollups(rollups, q1)


# --- the fast reads of evaluate_kpi_lights against the ORM -----------------------------------------


def _outcome(call):
    try:
        return repr(call())
    except (TypeError, ValueError) as exc:
        return (type(exc), str(exc))


def test_target_keys_are_read_as_the_orm_decodes_them(program):
    """``_target_fields`` (the keys ``rules`` reads, taken out of the JSON by the database) gives what
    decoding the whole target gives: the same values of the same types, so the same ``TargetSeries``
    (``from_fields``) as the whole targets, or the same error; numbers keep their JSON reading (0.1 a
    float, 10**20 an int, "3" a str)."""
    from django.db import connection
    from django.db.models import JSONField, Value

    from sixcore.plan.models import AnnualTarget

    assert connection.vendor in ("sqlite", "postgresql")  # the extracting path, not the fallback
    shapes = [
        {"kind": "cumulative", "value": 0.1, "min": 1e-05, "max": 10**20, "by_year": None, "unit": "家"},
        {"kind": "cumulative", "value": None, "min": 2.5, "max": 3, "by_year": 113, "basis": "範圍 2.5~3"},
        {"kind": "per_period", "value": "3", "min": None, "max": None},
        {"kind": "per_period", "value": -0.0, "max": 1e-07},
        {"kind": "milestone", "by_year": "114", "components": [{"value": 1, "text": "x"}]},
        {"kind": "milestone"},
        {"kind": "cumulative", "value": True},
        {"kind": "cumulative", "value": [1]},
        {"kind": "cumulativ", "value": 1},
        {"kind": 1},
        {"value": 1},
        {},
        ["cumulative"],
        "cumulative",
        5,
        None,
        Value(None, JSONField()),  # JSON null, not SQL NULL
    ]
    rows = list(
        AnnualTarget.objects.filter(kpi__measure__industry__program=program).order_by("pk")[: len(shapes)]
    )
    for row, shape in zip(rows, shapes, strict=True):
        AnnualTarget.objects.filter(pk=row.pk).update(target=shape)
    queryset = AnnualTarget.objects.filter(pk__in=[row.pk for row in rows]).order_by("pk")
    fast = service._target_fields(queryset)
    orm = [
        (kpi, year, None if target is None else service._whole_target(target))
        for kpi, year, target in queryset.values_list("kpi_id", "year", "target")
    ]
    assert [repr(row) for row in fast] == [repr(row) for row in orm]
    # The extracted keys read as the ORM's whole targets: the same series, or the same error.
    for (_, year, mine), (_, _, whole), shape in zip(
        fast, queryset.values_list("kpi_id", "year", "target"), shapes, strict=True
    ):
        assert _outcome(lambda m=mine, y=year: rules.TargetSeries.from_fields({y: m})) == _outcome(
            lambda w=whole, y=year: rules.TargetSeries({y: w})
        ), shape


def test_report_values_are_converted_as_the_orm_converts_them(q2):
    """``_DecimalColumn``: the conversion ``_kpi_lights`` inlines gives the ORM's ``Decimal`` (digits
    included) for figures of every size the field holds."""
    import random

    rng = random.Random(4)
    lines = list(KPIReport.objects.filter(submission__period=q2).order_by("pk")[:200])
    assert len(lines) == 200
    values = ["0", "0.0001", "-0.0001", "0.1", "0.3", "2.5", "99999999999.9999", "-123456789012.3456"]
    values += [f"{rng.randint(0, 10 ** rng.randint(1, 12))}.{rng.randint(0, 9999):04d}" for _ in range(192)]
    for line, value in zip(lines, values, strict=True):
        line.value = Decimal(value)
    KPIReport.objects.bulk_update(lines, ["value"])
    queryset = KPIReport.objects.filter(pk__in=[line.pk for line in lines]).order_by("pk")
    raw = service._RawRows(queryset.values_list("pk", "value"))
    column = service._DecimalColumn(raw, 1, KPIReport._meta.get_field("value"))
    if column.inline:
        mine = [column.make(v).quantize(column.places, None, column.context) for _, v in raw.rows]
    else:
        mine = [column.convert(v) for _, v in raw.rows]
    theirs = list(queryset.values_list("value", flat=True))
    assert [repr(v) for v in mine] == [repr(v) for v in theirs]


def test_sqlite_booleans_convert_as_django_does():
    from django.db.backends.sqlite3.base import DatabaseWrapper  # its operations, whatever the database

    convert = DatabaseWrapper.ops_class.convert_booleanfield_value
    booleans = service._SqliteBooleans({0: False, 1: True})
    for raw in (0, 1, 0.0, 1.0, 2, 0.5, "1", True, False):
        assert repr(booleans[raw]) == repr(convert(None, raw, None, None)), raw
