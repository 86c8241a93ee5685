"""How the dashboards explain themselves: the 燈號說明 with the thresholds in force, each chart's own
name, agency names for codes.  Presentation only; the judging stays in ``rules`` and ``service``."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from sixcore.accounts.models import Agency
from sixcore.core.templatetags.roc import amount
from sixcore.progress.models import ReportingPeriod

from . import rules
from .rules import LIGHT_LABELS, Light, Thresholds


def thresholds_in_force() -> Thresholds:
    """The thresholds the dashboards judge with, read when the page is built (not when this module
    was imported), so that the legend and the lights can never disagree."""
    return rules.DEFAULT_THRESHOLDS


def percent(ratio: Decimal) -> str:
    return amount(ratio * 100)


def light_legend(thresholds: Thresholds) -> dict:
    """燈號說明: what each light means, with the numbers of ``thresholds`` (never written by hand)."""
    kpi_green, kpi_yellow = percent(thresholds.kpi_green), percent(thresholds.kpi_yellow)
    budget_green, budget_yellow = percent(thresholds.budget_green), percent(thresholds.budget_yellow)
    lag_green, lag_yellow = amount(thresholds.lag_green), amount(thresholds.lag_yellow)
    kpi, budget, lag = _("KPI achievement"), _("Budget execution rate"), _("Work-item lag")

    def at_least(value):
        return _("%(value)s%% or more") % {"value": value}

    def between(low, high):
        return _("%(low)s%% to under %(high)s%%") % {"low": low, "high": high}

    def under(value):
        return _("under %(value)s%%") % {"value": value}

    rows = [
        (
            Light.GREEN,
            [
                (kpi, at_least(kpi_green)),
                (budget, at_least(budget_green)),
                (lag, _("at most %(points)s points") % {"points": lag_green}),
            ],
        ),
        (
            Light.YELLOW,
            [
                (kpi, between(kpi_yellow, kpi_green)),
                (budget, between(budget_yellow, budget_green)),
                (lag, _("over %(low)s, at most %(high)s points") % {"low": lag_green, "high": lag_yellow}),
            ],
        ),
        (
            Light.RED,
            [
                (kpi, under(kpi_yellow)),
                (budget, under(budget_yellow)),
                (lag, _("over %(points)s points") % {"points": lag_yellow}),
            ],
        ),
        (
            Light.WHITE,
            [("", _("Not judged: nothing to judge yet (no target this period, or no figure reported)."))],
        ),
    ]
    return {
        "rows": [
            {"light": str(light), "label": LIGHT_LABELS[light], "rules": rules_} for light, rules_ in rows
        ],
        "cap": percent(thresholds.achievement_cap),
    }


def chart_names(scope: str, period: ReportingPeriod, group_kind: str, budget_kind: str) -> dict:
    """Each chart's own title, for its accessible name and its table's caption (one text per chart,
    naming what it shows, where and when)."""
    values = {"scope": scope, "period": period.label, "line": percent(thresholds_in_force().budget_green)}
    lights = (
        _("%(scope)s, %(period)s: KPI lights per industry")
        if group_kind == "industry"
        else _("%(scope)s, %(period)s: KPI lights per measure")
    ) % values
    budget = (
        _("%(scope)s, %(period)s: budget execution rate per industry against the %(line)s%% line")
        if budget_kind == "industry"
        else _("%(scope)s, %(period)s: budget execution rate per measure against the %(line)s%% line")
    ) % values
    return {
        "budget_line": values["line"],
        "lights_caption": lights,
        "lights_label": chart_label(lights),
        "budget_caption": budget,
        "budget_label": chart_label(budget),
    }


def chart_label(title: str) -> str:
    """A chart's accessible name: its title, and where its figures are for those who cannot see it."""
    return _("%(title)s (chart; the same figures are in the table below)") % {"title": title}


def agency_namer(evaluation):
    """``codes → "經濟部、數位部"``: people read agency names, not codes.  The evaluation knows the
    reporting agencies; any other code (a sub-unit) is looked up once, in one query."""
    names = dict(evaluation.agencies)
    loaded = False

    def name(codes: str | list[str] | None) -> str:
        nonlocal loaded
        wanted = [c for c in ([codes] if isinstance(codes, str) else codes or []) if c]
        if not loaded and any(c not in names for c in wanted):
            names.update(Agency.objects.values_list("code", "name"))
            loaded = True
        return "、".join(names.get(c, c) for c in wanted)

    return name
