"""``sixcore report quarterly --period 111Q2 --format odt|docx|pdf|ods|xlsx --output FILE`` and
``sixcore report annual --year 111 --format …`` (the year-end evaluation report). (The web's background
PDFs are Django tasks, run by ``sixcore db_worker``.)"""

from __future__ import annotations

from pathlib import Path

from django.core.management import CommandError

from sixcore.core.changelog import ChangeLoggedCommand
from sixcore.progress.models import ReportingPeriod
from sixcore.reports.builder import build_quarterly_report
from sixcore.reports.formats import REPORT_FORMATS, render_report, report_filename


class Command(ChangeLoggedCommand):
    help = "Generate the consolidated quarterly report or the annual evaluation report (odt, docx, pdf, ods, xlsx)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["quarterly", "annual"], help="the report to generate")
        parser.add_argument("--period", help="ROC quarter, e.g. 111Q2 (required for quarterly)")
        parser.add_argument("--year", type=int, help="ROC year, e.g. 111 (required for annual)")
        parser.add_argument("--format", dest="fmt", choices=REPORT_FORMATS, default=None)
        parser.add_argument(
            "--output", "-o", default=None, help="file to write (default: a name in the current directory)"
        )
        parser.add_argument(
            "--published-only",
            action="store_true",
            help="build from approved (published) submissions / published evaluations only, as the public sees it",
        )

    def handle(self, *args, **options):
        if options["kind"] == "annual":
            self._annual(options)
            return
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

    def _annual(self, options) -> None:
        from sixcore.annual.choices import Stage
        from sixcore.annual.models import AnnualEvaluation
        from sixcore.reports.annual.build import build_annual_report
        from sixcore.reports.annual.render import annual_filename, render_annual

        year = options["year"]
        if not year:
            raise CommandError("--year is required, e.g. --year 111")
        output = Path(options["output"]) if options["output"] else None
        fmt = options["fmt"] or (output.suffix.lstrip(".") if output else "pdf")
        if fmt not in REPORT_FORMATS:
            raise CommandError(f"--format: choose one of {', '.join(REPORT_FORMATS)}")
        evaluations = AnnualEvaluation.objects.all()
        if options["published_only"]:
            evaluations = evaluations.filter(stage=Stage.PUBLISHED)
        if not evaluations.filter(year=year).exists():
            raise CommandError(f"--year: no year-end evaluation of {year}")
        report = build_annual_report(year, evaluations, published_only=options["published_only"])
        content = render_annual(report, fmt)
        output = output or Path(annual_filename(report, fmt))
        output.write_bytes(content)
        self.stdout.write(
            f"{output} ({fmt}, {len(content):,} bytes){' — 示範資料' if report.is_demo else ''}"
        )
