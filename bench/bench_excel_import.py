"""Benchmark importing 1,000 agency Excel uploads (target: under 10 s in total on SQLite).

Setup, in a fresh process on a temporary, migrated SQLite database (as bench_plan_load.py does): the real
program is loaded, every period's submissions are created, every period is made writable, and one editor
per reporting agency is created; the database is then snapshotted. The 1,000 workbooks are generated
deterministically, round after round over every (period, agency) of the program: each is the agency's
download with every input cell filled with seeded random values (narratives, KPI actuals, work-item
progress with 落後原因/因應對策 where an item lags, budget execution), and is imported before the next is
generated, so that later rounds are corrections built on the versions the earlier ones produced.

Each timed run starts a fresh process on a copy of the snapshot and imports the 1,000 files in order
(reading, validating everything, writing through ``save_lines``); only ``import_workbook`` is timed.
Reports the median of ``--repeat`` runs.

    python bench/bench_excel_import.py --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2025-01-20"  # after the last quarter: with long grace days every period is in its grace days

GENERATE = r"""
import json, os, random, sys, time
from pathlib import Path
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sixcore.settings")
django.setup()
from datetime import date
from decimal import Decimal
from django.core.management import call_command
from django.db import connection, transaction
call_command("migrate", "--noinput", verbosity=0)
from sixcore.accounts.choices import Role
from sixcore.accounts.models import Agency, User
from sixcore.plan.loader import load_program
from sixcore.progress import excel
from sixcore.progress.models import (BudgetReport, KPIReport, MeasureReport, ReportingPeriod, Submission,
                                     WorkItemReport)
from sixcore.progress.services import ensure_submissions
from sixcore.progress.workflow import planned_percent

out, count = Path(sys.argv[1]), int(sys.argv[2])
load_program()
ReportingPeriod.objects.update(grace_days=3650)
periods = list(ReportingPeriod.objects.order_by("roc_year", "quarter"))
for period in periods:
    ensure_submissions(period)
agency_ids = sorted(set(Submission.objects.values_list("agency_id", flat=True)))
agencies = {a.pk: a for a in Agency.objects.filter(pk__in=agency_ids)}
users = {}
for pk, agency in agencies.items():
    users[pk] = User.objects.create(username=f"bench_{agency.code}", role=Role.AGENCY_EDITOR, agency=agency)
combos = [(p, agencies[a]) for p in periods for a in agency_ids if Submission.objects.filter(period=p, agency_id=a).exists()]
connection.close()
with connection.cursor() as cursor:
    cursor.execute("VACUUM INTO %s", [str(out / "snapshot.sqlite3")])

STATUSES = ["not_started", "on_track", "ahead", "lagging", "done", "suspended"]
WORDS = "完成 補助 審查 計畫 推動 研發 驗證 廠商 合作 技術 人才 培育 國際 標準 試驗 場域 建置 投資 產值 輔導".split()


def text(rng, low, high):
    return "".join(rng.choice(WORDS) for _ in range(rng.randint(low, high))) + "。"


def fill(rng, period, agency):
    # Fill every input line in the database (rolled back by the caller): the download then carries them.
    subs = Submission.objects.filter(period=period, agency=agency)
    at = min(period.end, date.fromisoformat(os.environ["SIXCORE_AS_OF"]))
    measures = list(MeasureReport.objects.filter(submission__in=subs))
    for r in measures:
        r.progress, r.highlights, r.next_quarter = text(rng, 10, 60), text(rng, 5, 30), text(rng, 5, 30)
    MeasureReport.objects.bulk_update(measures, ["progress", "highlights", "next_quarter"])
    kpis = list(KPIReport.objects.filter(submission__in=subs))
    for r in kpis:
        r.value = Decimal(rng.randint(0, 50000)) / 100
        r.done = rng.random() < 0.5
        r.evidence, r.note = text(rng, 3, 15), ""
    KPIReport.objects.bulk_update(kpis, ["value", "done", "evidence", "note"])
    works = list(WorkItemReport.objects.filter(submission__in=subs).select_related("work_item"))
    for r in works:
        r.status = rng.choice(STATUSES)
        r.percent = Decimal(rng.randint(0, 10000)) / 100
        planned = planned_percent(r.work_item.start, r.work_item.end, at)
        behind = r.status == "lagging" or (planned is not None and planned - r.percent >= 10)
        r.lag_reason = text(rng, 3, 12) if behind else ""
        r.remedy = text(rng, 3, 12) if behind else ""
        r.completed_on = period.end if r.status == "done" else None
    WorkItemReport.objects.bulk_update(works, ["status", "percent", "lag_reason", "remedy", "completed_on"])
    budgets = list(BudgetReport.objects.filter(submission__in=subs))
    for r in budgets:
        r.unit = rng.choice(["億元", "千元"])
        r.annual_budget = Decimal(rng.randint(100, 100000)) / 10
        r.allocated = r.annual_budget * Decimal(rng.randint(0, 100)) / 100
        r.executed = r.allocated * Decimal(rng.randint(0, 100)) / 100
    BudgetReport.objects.bulk_update(budgets, ["unit", "annual_budget", "allocated", "executed"])


manifest, elapsed, fields = [], 0.0, 0
for index in range(count):
    period, agency = combos[index % len(combos)]
    user = users[agency.pk]
    with transaction.atomic():
        fill(random.Random(index), period, agency)
        data = excel.build_workbook(period, agency, user)
        transaction.set_rollback(True)
    name = f"{index:04d}.xlsx"
    (out / name).write_bytes(data)
    manifest.append([name, user.username])
    t0 = time.perf_counter()
    result = excel.import_workbook(data, user)
    elapsed += time.perf_counter() - t0
    assert result.ok and result.changed, (name, result.problems[:5])
    fields += sum(o.fields_changed for o in result.changed)
(out / "manifest.json").write_text(json.dumps(manifest))
sizes = [(out / n).stat().st_size for n, _ in manifest]
print(json.dumps({"files": count, "combos": len(combos), "fields": fields, "generation_import": elapsed,
                  "mean_kb": sum(sizes) / len(sizes) / 1024, "max_kb": max(sizes) / 1024}))
"""

IMPORT = r"""
import json, os, resource, sys, time
from pathlib import Path
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sixcore.settings")
django.setup()
from sixcore.accounts.models import User
from sixcore.progress import excel

src = Path(sys.argv[1])
manifest = json.loads((src / "manifest.json").read_text())
users = {u.username: u for u in User.objects.filter(username__in={m[1] for m in manifest})}
files = [((src / name).read_bytes(), users[username]) for name, username in manifest]
read = 0.0
t0 = time.perf_counter()
for data, user in files:
    result = excel.import_workbook(data, user)
    assert result.ok and result.changed, result.problems[:5]
total = time.perf_counter() - t0
t1 = time.perf_counter()
for data, _ in files[:200]:
    excel._read_workbook(data)
read = (time.perf_counter() - t1) / 200 * len(files)
print(json.dumps({"total": total, "per_file_ms": total / len(files) * 1000, "openpyxl_read_est": read,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def child(code: str, home: str, *args: str) -> dict:
    env = dict(os.environ, SIXCORE_HOME=home, PYTHONPATH=str(ROOT), SIXCORE_AS_OF=AS_OF)
    env.pop("DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"benchmark child failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        files = Path(work) / "files"
        files.mkdir()
        generated = child(GENERATE, str(Path(work) / "gen"), str(files), str(args.files))
        runs = []
        for run in range(args.repeat):
            home = Path(work) / f"run{run}"
            home.mkdir()
            shutil.copy(files / "snapshot.sqlite3", home / "sixcore.sqlite3")
            runs.append(child(IMPORT, str(home), str(files)))
    total = statistics.median(r["total"] for r in runs)
    print(f"command: python bench/bench_excel_import.py --files {args.files} --repeat {args.repeat}")
    print(
        f"Excel import on SQLite, {generated['files']} agency workbooks ({generated['combos']} period×agency, "
        f"mean {generated['mean_kb']:.0f} KB, max {generated['max_kb']:.0f} KB, {generated['fields']} fields written), "
        f"median of {args.repeat} fresh-process runs ({platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}):"
    )
    for key in runs[0]:
        values = [r[key] for r in runs]
        unit = "MB" if key.endswith("_mb") else "ms" if key.endswith("_ms") else "s"
        print(
            f"  {key:18s} {statistics.median(values):9.3f} {unit}   (min {min(values):.3f}, max {max(values):.3f})"
        )
    per_thousand = total / generated["files"] * 1000
    print(
        f"  target: 1,000 imports under 10 s -> {per_thousand:.1f} s per 1,000: {'met' if per_thousand < 10 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
