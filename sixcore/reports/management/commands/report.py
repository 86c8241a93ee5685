"""``sixcore report quarterly --period 111Q2 --format odt|docx|pdf|ods|xlsx --output FILE``. (The web's background
PDFs are Django tasks, run by ``sixcore db_worker``.)"""

from __future__ import annotations

from pathlib import Path

from django.core.management import CommandError

from sixcore.core.changelog import ChangeLoggedCommand
from sixcore.progress.models import ReportingPeriod
from sixcore.reports.builder import build_quarterly_report
from sixcore.reports.formats import REPORT_FORMATS, render_report, report_filename


class Command(ChangeLoggedCommand):
    help = "Generate the consolidated quarterly report (docx, pdf or xlsx)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["quarterly"], help="the report to generate")
        parser.add_argument("--period", help="ROC quarter, e.g. 111Q2 (required for quarterly)")
        parser.add_argument("--format", dest="fmt", choices=REPORT_FORMATS, default=None)
        parser.add_argument(
            "--output", "-o", default=None, help="file to write (default: a name in the current directory)"
        )
        parser.add_argument(
            "--published-only",
            action="store_true",
            help="build from approved (published) submissions only, as the public sees it",
        )

    def handle(self, *args, **options):
        if not options["period"]:
            raise CommandError("--period is required, e.g. --period 111Q2")
        output = Path(options["output"]) if options["output"] else None
        fmt = options["fmt"] or (output.suffix.lstrip(".") if output else "pdf")
        if fmt not in REPORT_FORMATS:
            raise CommandError(f"--format: choose one of {', '.join(REPORT_FORMATS)}")
        try:
            period = ReportingPeriod.by_code(options["period"])
        except (ReportingPeriod.DoesNotExist, ValueError) as error:
            raise CommandError(f"--period: no reporting period {options['period']!r}") from error
        report = build_quarterly_report(period, published_only=options["published_only"])
        content = render_report(report, fmt)
        output = output or Path(report_filename(report, fmt))
        output.write_bytes(content)
        self.stdout.write(
            f"{output} ({fmt}, {len(content):,} bytes){' — 示範資料' if report.is_demo else ''}"
        )
