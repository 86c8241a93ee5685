"""``sixcore evaluate --period 111Q2 [--format json|text] [--published-only]`` — the evaluation of a
period for scripts: the same stored figures as the dashboards (``read.evaluation_for``).

``sixcore evaluate --rebuild`` recomputes the stored evaluation of every period from the inputs
(after a change of thresholds, or to repair); ``sixcore evaluate --check`` recomputes and compares
with what is stored, lists every difference and exits with status 1 when there is one."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sixcore.core.roc import RocDateError
from sixcore.evaluation import read, service, store
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
        parser.add_argument("--period", help="ROC quarter, e.g. 111Q2 (with --rebuild/--check: only it)")
        parser.add_argument("--format", choices=["json", "text"], default="json")
        parser.add_argument(
            "--published-only", action="store_true", help="Approved submissions only (what the public sees)."
        )
        action = parser.add_mutually_exclusive_group()
        action.add_argument(
            "--rebuild", action="store_true", help="Recompute the stored evaluation from the inputs."
        )
        action.add_argument(
            "--check",
            action="store_true",
            help="Recompute and compare with the stored evaluation; exit status 1 on any difference.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        period = self._period(options["period"]) if options["period"] else None
        if options["rebuild"] or options["check"]:
            self._maintain(period, options)
            return
        if period is None:
            raise CommandError("--period is required (or --rebuild / --check)")
        evaluation = read.evaluation_for(period, published_only=options["published_only"])
        if options["format"] == "json":
            self.stdout.write(json.dumps(evaluation_json(evaluation), ensure_ascii=False, indent=1))
            return
        self._text(evaluation)

    def _period(self, code: str) -> ReportingPeriod:
        try:
            return ReportingPeriod.by_code(code)
        except RocDateError as exc:
            raise CommandError(f"--period: {exc}") from None
        except ReportingPeriod.DoesNotExist:
            raise CommandError(f"no reporting period {code}") from None

    def _maintain(self, period: ReportingPeriod | None, options: dict) -> None:
        periods = [period] if period else None
        bar = self._bar if options["verbosity"] >= 1 else None
        if options["rebuild"]:
            stored = store.rebuild(periods, progress=bar)
            self.stderr.write("")
            self.stdout.write(f"rebuilt: {stored} results written")
            return
        differences = store.check(periods, progress=bar)
        self.stderr.write("")
        for line in differences:
            self.stdout.write(line)
        self.stdout.write(f"{len(differences)} differences")
        if differences:
            raise SystemExit(1)

    def _bar(self, done: int, total: int) -> None:
        """A progress bar on stderr (stdout stays the result)."""
        width = 30
        filled = width * done // total
        self.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", ending="")
        self.stderr.flush()

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
