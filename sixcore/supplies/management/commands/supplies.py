"""``sixcore supplies seed|status|import|demo|alerts`` — the strategic supplies watch from the command line."""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Any

from django.core.management.base import CommandError, CommandParser

from sixcore.core.changelog import ChangeLoggedCommand
from sixcore.core.dates import parse_iso
from sixcore.supplies.registry import ensure_seeded, seed_registry
from sixcore.supplies.services import STATUS_LABELS, compute_statuses, measure_label


def _as_of(value: str | None) -> date:
    if value:
        try:
            return parse_iso(value)
        except ValueError as exc:
            raise CommandError(f"--as-of {value!r}: {exc}") from None
    from sixcore.progress.clock import today

    return today()


class Command(ChangeLoggedCommand):
    help = "Strategic supplies watch (民生及戰備): registry seed, statuses, imports, demo data, alerts."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{seed,status,import,demo,alerts}")
        sub.add_parser("seed", help="Create the monitored items of the program document that are missing.")
        status = sub.add_parser("status", help="Every item's cover against its minimum.")
        status.add_argument("--as-of", default=None, help="Judge as of this date (default: today).")
        status.add_argument("--format", choices=["json", "text"], default="text")
        imp = sub.add_parser("import", help="Import observations from a CSV or XLSX file (all or nothing).")
        imp.add_argument("file")
        demo = sub.add_parser("demo", help="Write the deterministic two-year demo observations (示範資料).")
        demo.add_argument("--as-of", default=None)
        alerts = sub.add_parser("alerts", help="Recompute the alerts and e-mail new breaches once.")
        alerts.add_argument("--as-of", default=None)
        alerts.add_argument("--no-email", action="store_true", help="Record the alerts without e-mailing.")

    def handle(self, *args: Any, **options: Any) -> None:
        # ChangeLoggedCommand has opened the change context (source "command", user from --as).
        getattr(self, f"handle_{options['action']}")(options)

    def handle_seed(self, options: dict[str, Any]) -> None:
        created = seed_registry()
        self.stdout.write(f"{created} item(s) created")

    def handle_status(self, options: dict[str, Any]) -> None:
        ensure_seeded()
        as_of = _as_of(options["as_of"])
        rows = [s.as_row() for s in compute_statuses(as_of)]
        if options["format"] == "json":
            sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
            return
        self.stdout.write(f"as of {as_of.isoformat()}")
        for row in rows:
            unit = measure_label(row["measure"])
            cover = "—" if row["cover"] is None else f"{row['cover']:g}"
            minimum = "—" if row["minimum"] is None else f"{row['minimum']:g}"
            forecast = f"  forecast breach {row['forecast_breach']}" if row["forecast_breach"] else ""
            overdue = f"  overdue reporters {row['overdue_reporters']}" if row["overdue_reporters"] else ""
            price = "  price warning" if row["price_warning"] else ""
            self.stdout.write(
                f"{row['status']:<6} {row['item']:<26} {row['name']}: {cover} {unit} (minimum {minimum} {unit})"
                f"  [{STATUS_LABELS[row['status']]}]{forecast}{overdue}{price}"
            )

    def handle_import(self, options: dict[str, Any]) -> None:
        from sixcore.core.changelog import current_context
        from sixcore.supplies.importer import ImportFailed, import_file

        ensure_seeded()
        context = current_context()
        user = context.resolve_user() if context is not None else None
        try:
            result = import_file(options["file"], user=user)
        except FileNotFoundError:
            raise CommandError(f"no such file: {options['file']}") from None
        if result.errors:
            for error in result.errors[:200]:
                self.stderr.write(str(error))
            if len(result.errors) > 200:
                self.stderr.write(f"… and {len(result.errors) - 200} more")
            raise CommandError(str(ImportFailed(result)))  # the importer's (zh-Hant) message
        self.stdout.write(
            f"{result.file}: {result.rows} row(s), {result.created} observation(s) written, "
            f"{result.unchanged} already recorded"
        )

    def handle_demo(self, options: dict[str, Any]) -> None:
        from sixcore.supplies.alerts import recompute_alerts
        from sixcore.supplies.demo import load_demo

        as_of = _as_of(options["as_of"])
        count = load_demo(as_of)
        run = recompute_alerts(as_of, send=False)
        self.stdout.write(
            f"{count} demo observations (示範資料) up to {as_of.isoformat()}; {len(run.opened)} alert(s) opened"
        )

    def handle_alerts(self, options: dict[str, Any]) -> None:
        from sixcore.supplies.alerts import recompute_alerts

        ensure_seeded()
        as_of = _as_of(options["as_of"])
        run = recompute_alerts(as_of, send=not options["no_email"])
        for alert in run.opened:
            self.stdout.write(f"new: {alert.message}")
        self.stdout.write(
            f"as of {as_of.isoformat()}: {len(run.opened)} opened, {run.still_open} still open, {len(run.closed)} closed"
        )
