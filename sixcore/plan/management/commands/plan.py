"""``sixcore plan load|export|audit`` — the program as data, from the command line."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import CommandError, CommandParser
from rich.console import Console
from rich.progress import Progress

from sixcore.core.changelog import ChangeLoggedCommand
from sixcore.plan.audit import CHECKS, audit_program
from sixcore.plan.datafiles import DataError, read_plan_files
from sixcore.plan.export import export_program
from sixcore.plan.loader import load_program
from sixcore.plan.models import Program, programs_in_force


def dumps(data: Any) -> str:
    """Stable, human-readable JSON (Chinese kept as characters)."""
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False)


class Command(ChangeLoggedCommand):
    help = "Load, export and audit the program data (六大核心戰略產業推動方案)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{load,export,audit}")
        load = sub.add_parser(
            "load", help="Validate the data files and load them as revision 0 (idempotent)."
        )
        load.add_argument(
            "--force", action="store_true", help="Re-sync even if the data files are unchanged."
        )
        export = sub.add_parser("export", help="Print the whole program of a revision.")
        export.add_argument("--format", choices=["json"], default="json")
        export.add_argument(
            "--revision", type=int, default=None, help="Revision number (default: the latest)."
        )
        audit = sub.add_parser("audit", help="Report contradictions and gaps in the program data.")
        audit.add_argument("--format", choices=["json", "text"], default="text")
        audit.add_argument("--revision", type=int, default=None)
        audit.add_argument("--list-checks", action="store_true", help="List the checks and exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"handle_{options['action']}")(options)

    def _program(self, revision: int | None) -> Program:
        # A number names any revision (drafts included, for review); the default is the latest in force.
        programs = Program.objects.all() if revision is not None else programs_in_force().order_by("revision")
        program = programs.filter(revision=revision).first() if revision is not None else programs.last()
        if program is None:
            raise CommandError(
                f"revision {revision} does not exist"
                if revision is not None
                else "no program loaded: run 'sixcore plan load'"
            )
        return program

    def handle_load(self, options: dict[str, Any]) -> None:
        console = Console(stderr=True)
        started = time.perf_counter()
        with Progress(console=console, transient=True, disable=not console.is_terminal) as progress:
            task = progress.add_task("讀取並驗證資料檔 (reading data files)", total=2)
            try:
                data = read_plan_files()
            except DataError as exc:
                for problem in exc.problems:
                    self.stderr.write(str(problem))
                raise CommandError(
                    f"{len(exc.problems)} problem(s) in the data files; nothing was loaded"
                ) from None
            progress.update(task, advance=1, description="寫入資料庫 (writing the database)")
            program, stats = load_program(data, force=options["force"])
            progress.update(task, advance=1)
        elapsed = time.perf_counter() - started
        if stats.unchanged:
            self.stdout.write(f"{program}: data files unchanged, nothing to do ({elapsed:.2f} s)")
            return
        summary = ", ".join(
            f"{label} {sum(counter.values())}"
            for label, counter in (
                ("created", stats.created),
                ("updated", stats.updated),
                ("deleted", stats.deleted),
            )
        )
        counts = {
            "industries": program.industries.count(),
            "measures": sum(i.measures.count() for i in program.industries.all()),
            "kpis": Program.objects.filter(pk=program.pk).values("industries__measures__kpis").count(),
        }
        self.stdout.write(
            f"loaded {program}: {counts['industries']} industries, {counts['measures']} measures, "
            f"{counts['kpis']} KPIs ({summary}) in {elapsed:.2f} s"
        )

    def handle_export(self, options: dict[str, Any]) -> None:
        data = export_program(self._program(options["revision"]))
        self.stdout.write(dumps(data))

    def handle_audit(self, options: dict[str, Any]) -> None:
        if options["list_checks"]:
            for name, description in CHECKS.items():
                self.stdout.write(f"{name}: {description}")
            return
        program = self._program(options["revision"])
        report = audit_program(export_program(program))
        findings = report.sorted()
        if options["format"] == "json":
            self.stdout.write(
                dumps(
                    {
                        "program": program.name,
                        "revision": program.revision,
                        "counts": report.counts(),
                        "by_check": report.by_check(),
                        "quantified_share": round(report.quantified_share, 4),
                        "reading": report.reading,
                        "findings": [f.to_dict() for f in findings],
                    }
                )
            )
            return
        for f in findings:
            where = f"seed line {f.line}" if f.line else "—"
            self.stdout.write(f"[{f.severity}] {f.check} ({where}): {f.message}")
        counts = report.counts()
        self.stdout.write(
            f"\n{len(findings)} findings: {counts['error']} errors, {counts['warning']} warnings, {counts['info']} info"
        )
