"""``sixcore export plan|submissions|evaluation --format csv|xlsx|json --output FILE``.

Open data: CSV (a zip of UTF-8-with-BOM files, one per table, plus data_dictionary.csv), XLSX or JSON.
Submissions and the evaluation are published (approved) data only unless ``--include-unpublished``.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management import CommandError

from sixcore.core.changelog import ChangeLoggedCommand
from sixcore.progress.models import ReportingPeriod
from sixcore.progress.services import program_in_force
from sixcore.reports import exports


class Command(ChangeLoggedCommand):
    help = "Export the program, the submissions or a period's evaluation as open data."

    def add_arguments(self, parser):
        parser.add_argument("dataset", choices=exports.DATASETS)
        parser.add_argument("--format", dest="fmt", choices=exports.FORMATS, default="json")
        parser.add_argument("--period", default=None, help="ROC quarter (required for evaluation)")
        parser.add_argument("--revision", type=int, default=None, help="plan revision (default: in force)")
        parser.add_argument("--output", "-o", default=None)
        parser.add_argument("--include-unpublished", action="store_true", help="drafts too (NDC use)")

    def handle(self, *args, dataset, fmt, period, revision, output, include_unpublished, **options):
        from sixcore.plan.models import Program, programs_in_force

        the_period = None
        if period:
            try:
                the_period = ReportingPeriod.by_code(period)
            except (ReportingPeriod.DoesNotExist, ValueError) as error:
                raise CommandError(f"--period: no reporting period {period!r}") from error
        published = not include_unpublished
        if dataset == "plan":
            if revision is not None:
                program = Program.objects.filter(revision=revision).first()
            elif the_period is not None:
                program = program_in_force(the_period)
            else:
                program = programs_in_force().order_by("revision").last()
            if program is None:
                raise CommandError("no such program revision: run 'sixcore plan load'")
            tables, prefix = exports.plan_tables(program), f"sixcore-plan-rev{program.revision}"
        elif dataset == "submissions":
            tables = exports.submission_tables(published_only=published, period=the_period)
            prefix = f"sixcore-submissions{'-' + the_period.code if the_period else ''}"
        else:
            if the_period is None:
                raise CommandError("--period is required for the evaluation")
            tables = exports.evaluation_tables(the_period, published_only=published)
            prefix = f"sixcore-evaluation-{the_period.code}"
        content, _, filename = exports.render_dataset(tables, fmt, prefix)
        path = Path(output) if output else Path(filename)
        path.write_bytes(content)
        rows = sum(len(t.rows) for t in tables)
        self.stdout.write(f"{path} ({fmt}: {len(tables)} tables, {rows:,} rows, {len(content):,} bytes)")
