"""Time the quarterly report (docx, xlsx, pdf) and the open-data exports, at N× the seed program.

    .venv/bin/python bench/bench_reports.py                      # N = 1: the seed program + `sixcore demo`
    .venv/bin/python bench/bench_reports.py --scale 10 --json out.json
    .venv/bin/python bench/bench_reports.py --scale 10 --exports-only --repeat 3
    .venv/bin/python bench/bench_reports.py --database-url postgres://postgres@127.0.0.1:5432/bench_reports

Every run starts from a fresh database: a new SQLite file in a temporary SIXCORE_HOME, or the PostgreSQL
database named by ``--database-url`` (dropped and recreated; its name must start with ``bench``).
N = 1 is the target of issue #5: the seed program with ``sixcore demo --until PERIOD`` (narratives,
demo submissions). N > 1 is ``bench/portfolio.py``'s synthetic portfolio (a plan revision holding N
copies of every measure, its seeded submissions for the periods up to PERIOD).

Each format is timed end to end, as a download does it: ``build_quarterly_report`` (evaluation +
narratives, from the database) and rendering, median of ``--repeat`` runs (default 5; the PDF at N > 1
defaults to 3 runs, ``--pdf-repeat``). Wall and CPU time (``time.process_time``) are printed; the
machine is shared, so CPU is the steadier figure. The PDF's first generation in the process (fontconfig
scans the CJK fonts) is timed separately. Nothing is cached between runs. The open-data exports are
built as the download view builds them, with the cyclic GC paused; ``--exports-only`` times them alone.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"docx": 2.0, "xlsx": 2.0, "pdf": 10.0}  # issue #5, for the seed program (N = 1)


def timed(fn, repeat: int) -> tuple[list[float], list[float], object]:
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        result = None
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return walls, cpus, result


def setup(scale: int, period_code: str, database_url: str | None, home: Path) -> str:
    """A fresh database with the plan and the submissions; returns the vendor name."""
    os.environ["SIXCORE_HOME"] = str(home)
    os.environ["DATABASE_URL"] = database_url or ""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sixcore.settings")
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    if database_url:
        from _db import recreate_postgres_database

        recreate_postgres_database(database_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from sixcore.core.roc import parse_quarter
    from sixcore.progress.models import ReportingPeriod

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("plan", "load", stdout=open(os.devnull, "w"))  # noqa: SIM115 - closed at exit
    if scale == 1:
        call_command(
            "demo", "--until", period_code, "--password", "bench-password-123", stdout=open(os.devnull, "w")
        )
    else:
        from portfolio import build_portfolio, generate_reports

        build_portfolio(scale)
        last = parse_quarter(period_code)
        periods = [p for p in ReportingPeriod.objects.all() if (p.roc_year, p.quarter) <= last]
        generate_reports(periods)
    print(f"set up {connection.vendor}, N = {scale}, in {time.perf_counter() - started:.1f} s", flush=True)
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


def pdf_pages(content: bytes) -> int | None:
    pdfinfo = shutil.which("pdfinfo")
    if pdfinfo is None:
        return None
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(content)
        file.flush()
        out = subprocess.run([pdfinfo, file.name], capture_output=True, text=True, check=True).stdout  # noqa: S603
    return next((int(line.split()[1]) for line in out.splitlines() if line.startswith("Pages:")), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=1, help="N× the seed program (1 = seed + demo data)")
    parser.add_argument("--period", default="111Q2", help="the report's period (ROC quarter)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per format (median)")
    parser.add_argument(
        "--pdf-repeat", type=int, default=None, help="runs of the PDF (default 5, 3 at N > 1)"
    )
    parser.add_argument("--database-url", default=None, help="PostgreSQL database bench_* to recreate")
    parser.add_argument("--exports-only", action="store_true", help="time the open-data exports alone")
    parser.add_argument("--json", dest="json_path", default=None, help="write the result rows here")
    args = parser.parse_args()
    if args.scale < 1:
        parser.error("--scale must be at least 1")
    pdf_repeat = args.pdf_repeat or (args.repeat if args.scale == 1 else min(args.repeat, 3))
    from _db import command_line  # bench/ is the script's directory, first on sys.path

    command = command_line()  # without --json PATH

    home = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    try:
        database = setup(args.scale, args.period, args.database_url, home)
        rows = run(args, pdf_repeat, database, command)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"wrote {len(rows)} rows to {args.json_path}")


def run(args, pdf_repeat: int, database: str, command: str) -> list[dict]:
    from sixcore.progress.models import ReportingPeriod, Submission
    from sixcore.progress.services import program_in_force
    from sixcore.reports import exports
    from sixcore.reports.builder import build_quarterly_report
    from sixcore.reports.pdf import has_harfbuzz_subset

    period = ReportingPeriod.by_code(args.period)
    program = program_in_force(period)
    scale_text = "seed program + demo data" if args.scale == 1 else f"{args.scale}× seed (bench/portfolio.py)"
    probe = build_quarterly_report(period)
    print(
        f"{scale_text}, plan revision {program.revision}, period {args.period}: "
        f"{Submission.objects.filter(period=period).count()} submissions, {len(probe.chapters)} chapters, "
        f"{sum(len(s.rows) for c in probe.chapters for s in c.kpi_sections)} KPI rows, "
        f"{len(probe.work_items)} work items, {len(probe.flags)} flags; "
        f"font subsetting: {'HarfBuzz-Subset' if has_harfbuzz_subset() else 'fontTools (slow)'}",
        flush=True,
    )
    del probe

    results: list[tuple[str, str, list[float], list[float], str | None, float | None]] = []
    if not args.exports_only:
        _time_reports(args, pdf_repeat, period, scale_text, results)
    for dataset in ("plan", "evaluation"):
        for fmt in ("csv", "xlsx", "json"):
            if dataset == "plan":
                make = lambda: exports.plan_tables(program_in_force(period))  # noqa: E731
            else:
                make = lambda: exports.evaluation_tables(period, published_only=False)  # noqa: E731

            def export(make=make, fmt=fmt):
                return exports.render_dataset(make(), fmt, "bench")

            walls, cpus, (content, _type, _name) = timed(export, args.repeat)
            results.append(
                (
                    f"export {dataset}.{fmt}",
                    f"{scale_text}; {len(content) // 1024} KB",
                    walls,
                    cpus,
                    None,
                    None,
                )
            )
    return _rows(results, database, command, args)


def _time_reports(args, pdf_repeat: int, period, scale_text: str, results: list) -> None:
    """The quarterly report: the first PDF of the process, then each format ``--repeat`` times."""
    from sixcore.reports.builder import build_quarterly_report
    from sixcore.reports.formats import render_report

    walls, cpus, content = timed(lambda: render_report(build_quarterly_report(period), "pdf"), 1)
    pages = pdf_pages(content)
    size = f"{scale_text}; {pages or '?'} pages, {len(content) // 1024} KB"
    results.append(
        ("report pdf, first in the process (fontconfig scan), build + render", size, walls, cpus, None, None)
    )
    for fmt in ("docx", "xlsx", "pdf"):
        repeat = pdf_repeat if fmt == "pdf" else args.repeat
        walls, cpus, content = timed(
            lambda fmt=fmt: render_report(build_quarterly_report(period), fmt), repeat
        )
        detail = f"{len(content) // 1024} KB"
        if fmt == "pdf":
            detail = f"{pdf_pages(content) or '?'} pages, {detail}"
        target = TARGETS[fmt] if args.scale == 1 else None
        what = f"report {fmt} {args.period}, build + render"
        if fmt == "pdf" and repeat < args.repeat:
            what += f" ({repeat} runs only: slow at this size)"
        results.append(
            (what, f"{scale_text}; {detail}", walls, cpus, f"< {target:g} s" if target else None, target)
        )
    walls, cpus, _ = timed(lambda: build_quarterly_report(period), args.repeat)
    results.append(
        (f"report build only (evaluation + narratives) {args.period}", scale_text, walls, cpus, None, None)
    )


def _rows(results: list, database: str, command: str, args) -> list[dict]:
    """Medians of each timing as rows of the suite's format (printed too)."""
    load = os.getloadavg()[0]
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {database}")
    rows = []
    for what, size, walls, cpus, target_text, target in results:
        wall = statistics.median(walls)
        print(
            f"{what:78} wall {wall:6.2f} s (min {min(walls):.2f}, max {max(walls):.2f})  "
            f"cpu {statistics.median(cpus):6.2f} s  runs {len(walls)}  [{size}]"
        )
        rows.append(
            {
                "what": what,
                # CPU and load travel with the wall time: on this shared 2-core machine wall time
                # depends mostly on the other jobs.
                "size": f"{size}; CPU {statistics.median(cpus):.2f} s, load {load:.1f}",
                "database": database,
                "ours_s": round(wall, 4),
                "runs": len(walls),
                "reference": None,
                "reference_s": None,
                "ratio": None,
                "target": target_text,
                "met": None if target is None else wall < target,
                "command": command,
            }
        )
    return rows


if __name__ == "__main__":
    main()
