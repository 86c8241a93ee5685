"""Time the quarterly report (docx, xlsx, pdf) and the open-data exports for the seed program with demo data.

Usage: ``SIXCORE_HOME=/tmp/bench-reports .venv/bin/python bench/bench_reports.py [--period 111Q2] [--repeat 3]``.
With an empty ``SIXCORE_HOME`` it migrates, loads the plan and generates demo data up to the period first.
Prints the median (and min/max) per format; build = collecting the ``QuarterlyReport`` (evaluation +
narratives), the format figures exclude it. PDF is timed cold (first in the process: fontconfig scan)
and warm.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sixcore.settings")


def timed(fn, repeat):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--period", default="111Q2")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command

    from sixcore.progress.models import ReportingPeriod, Submission

    if not ReportingPeriod.objects.filter(submissions__isnull=False).exists():
        call_command("migrate", verbosity=0)
        call_command("plan", "load")
        call_command("demo", "--until", args.period, "--password", "bench-password-123")
    from sixcore.reports import exports
    from sixcore.reports.builder import build_quarterly_report
    from sixcore.reports.formats import render_report

    print(
        f"period {args.period}: {Submission.objects.filter(period__roc_year=int(args.period[:3])).count()} submissions that year"
    )
    cold, _ = timed(lambda: render_report(build_quarterly_report(args.period), "pdf"), 1)
    print(f"pdf cold (build + render, first in process): {cold[0]:.2f} s")
    build, report = timed(lambda: build_quarterly_report(args.period), args.repeat)
    rows = [("build", build)]
    for fmt in ("docx", "xlsx", "pdf"):
        times, content = timed(lambda fmt=fmt: render_report(report, fmt), args.repeat)
        rows.append((f"{fmt} ({len(content) // 1024} KB)", times))
    for dataset in ("plan", "evaluation"):
        for fmt in ("csv", "xlsx", "json"):
            if dataset == "plan":
                from sixcore.progress.services import program_in_force

                make = lambda: exports.plan_tables(program_in_force(ReportingPeriod.by_code(args.period)))  # noqa: E731
            else:
                make = lambda: exports.evaluation_tables(args.period, published_only=False)  # noqa: E731
            times, _ = timed(
                lambda make=make, fmt=fmt: exports.render_dataset(make(), fmt, "bench"), args.repeat
            )
            rows.append((f"export {dataset}.{fmt}", times))
    for label, times in rows:
        print(
            f"{label:28} median {statistics.median(times):6.2f} s  (min {min(times):.2f}, max {max(times):.2f})"
        )


if __name__ == "__main__":
    main()
