"""``sixcore evaluate --period 111Q2 [--format json|text] [--published-only]`` — the evaluation of a
period for scripts: the same figures as the dashboards (service.evaluate_period)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sixcore.core.roc import RocDateError
from sixcore.evaluation import service
from sixcore.evaluation.rules import LIGHT_LABELS
from sixcore.progress.models import ReportingPeriod

KPI_FIELDS = ("kpi", "measure", "industry", "kind", "expected", "actual", "achievement", "light", "reason")
ITEM_FIELDS = (
    "schedule",
    "code",
    "industry",
    "measures",
    "start",
    "end",
    "planned",
    "reported",
    "lag",
    "light",
    "reason",
)
BUDGET_FIELDS = (
    "key",
    "industry",
    "allocated",
    "executed",
    "annual_budget",
    "execution_rate",
    "achievement_rate",
    "light",
)


def evaluation_json(evaluation: service.Evaluation) -> dict[str, Any]:
    """The JSON document of ``sixcore evaluate`` (numbers as JSON numbers)."""
    plain = service.to_plain

    def pick(obj, names):
        return {name: plain(getattr(obj, name)) for name in names}

    return {
        "period": evaluation.period,
        "revision": evaluation.revision,
        "is_demo": evaluation.is_demo,
        "kpis": [pick(k, KPI_FIELDS) for k in evaluation.kpis],
        "work_items": [pick(w, ITEM_FIELDS) for w in evaluation.work_items],
        "budget": [pick(b, BUDGET_FIELDS) for b in evaluation.budget],
        "budget_by_industry": [pick(b, BUDGET_FIELDS) for b in evaluation.budget_by_industry],
        "rollups": plain(evaluation.rollups),
        "risks": plain(evaluation.risks),
        "flags": plain(evaluation.flags),
        "completeness": plain(evaluation.completeness),
    }


class Command(BaseCommand):
    help = "Print the evaluation of a reporting period (KPI lights, schedules, budget, roll-ups) as JSON or text."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", required=True, help="ROC quarter, e.g. 111Q2")
        parser.add_argument("--format", choices=["json", "text"], default="json")
        parser.add_argument(
            "--published-only", action="store_true", help="Approved submissions only (what the public sees)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            period = ReportingPeriod.by_code(options["period"])
        except RocDateError as exc:
            raise CommandError(f"--period: {exc}") from None
        except ReportingPeriod.DoesNotExist:
            raise CommandError(f"no reporting period {options['period']}") from None
        evaluation = service.evaluate_period(period, published_only=options["published_only"])
        if options["format"] == "json":
            self.stdout.write(json.dumps(evaluation_json(evaluation), ensure_ascii=False, indent=1))
            return
        self._text(evaluation)

    def _text(self, evaluation: service.Evaluation) -> None:
        write = self.stdout.write
        write(
            f"{evaluation.period} (revision {evaluation.revision}){' 示範資料' if evaluation.is_demo else ''}"
        )
        write("\nKPIs")
        for k in evaluation.kpis:
            write(
                f"  {k.measure:<6} {k.kpi:<8} {LIGHT_LABELS[k.light]}  expected {_fmt(k.expected)}  "
                f"actual {_fmt(k.actual)}  achievement {_fmt(k.achievement)}"
            )
        write("\nRoll-up by industry")
        for r in evaluation.rollups["industry"]:
            counts = " ".join(
                f"{LIGHT_LABELS[light]} {n}" for light, n in zip(LIGHT_LABELS, r.counts.values(), strict=True)
            )
            write(f"  {r.key} {r.label}: {counts}; weighted achievement {_fmt(r.weighted_achievement)}")
        write("\nBudget by industry")
        for b in evaluation.budget_by_industry:
            write(f"  {b.key}: 執行率 {_fmt(b.execution_rate)} {LIGHT_LABELS[b.light]}")
        write(
            f"\n{len(evaluation.flags)} data-quality flags; {sum(r.tier == 'high' for r in evaluation.risks)} high-risk measures"
        )


def _fmt(value) -> str:
    return "—" if value is None else str(value)
