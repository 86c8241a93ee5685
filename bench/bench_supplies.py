"""Benchmark the supplies watch: bulk-import 1,000,000 observations (target: under 30 s) and recompute
every item's status (target: under 2 s), on SQLite and PostgreSQL.

Each repetition runs in a fresh process on a fresh, migrated database with the seeded registry and
its reporters; the CSV (generated once, deterministic, cached under the temp directory) holds every
item at its own frequency (oil twice a week, gas monthly, meltblown quarterly, the 15 industries
yearly) for 482 reporters from 2014 to 2023-06-30. Times: the import (read + validate + write in one
transaction), the re-import of the same file (idempotent, nothing written), and the status
recomputation of every item as of 2023-06-30, in wall-clock seconds and in this process's CPU seconds
(``*_cpu``: the figure that does not depend on other load on the machine; the database server's
own CPU for PostgreSQL is not in it). Median of ``--repeat`` runs (default 3: a run imports a
million rows twice). ``--json PATH`` also writes the rows of issue #8's runner (bench/run_all.py).

    python bench/bench_supplies.py --repeat 3 [--json PATH]
    python bench/bench_supplies.py --repeat 3 --database-url postgres://postgres@127.0.0.1:5432/bench_supplies
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import shlex
import statistics
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))
from _db import recreate_postgres_database  # noqa: E402

AS_OF = date(2023, 6, 30)
START = date(2014, 1, 1)
REPORTERS = 482

CHILD = r"""
import json, os, resource, sys, time
from datetime import date
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sixcore.settings")
django.setup()
from django.core.management import call_command
call_command("migrate", "--noinput", verbosity=0)
from sixcore.supplies.models import Assignment, Reporter, SupplyItem
from sixcore.supplies.registry import seed_registry
from sixcore.supplies.importer import import_file
from sixcore.supplies.services import compute_statuses
seed_registry()
n = int(sys.argv[2])
reporters = Reporter.objects.bulk_create([Reporter(code=f"r{i:04d}", name=f"bench {i}") for i in range(n)])
Assignment.objects.bulk_create([Assignment(item=item, reporter=r, safety_level=1000 if item.code == "ppe" else None)
                                for item in SupplyItem.objects.all() for r in reporters])
as_of = date.fromisoformat(sys.argv[3])
def timed(call):
    c, t = time.process_time(), time.perf_counter()
    value = call()
    return value, time.perf_counter() - t, time.process_time() - c
result, import_s, import_cpu = timed(lambda: import_file(sys.argv[1], today=as_of))
assert result.ok, [str(e) for e in result.errors[:5]]
again, reimport_s, reimport_cpu = timed(lambda: import_file(sys.argv[1], today=as_of))
assert again.ok and again.created == 0 and again.unchanged == result.created
statuses, status_s, status_cpu = timed(lambda: compute_statuses(as_of))
_, warm_s, warm_cpu = timed(lambda: compute_statuses(as_of))
print(json.dumps({"rows": result.created, "items": len(statuses),
                  "import": import_s, "import_cpu": import_cpu, "reimport_noop": reimport_s,
                  "reimport_cpu": reimport_cpu, "status_first": status_s, "status_cpu": status_cpu,
                  "status_warm": warm_s, "status_warm_cpu": warm_cpu,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def generate(path: Path, rows: int) -> None:
    """A deterministic CSV of ``rows`` observations spread over every seeded item."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sixcore.settings")
    django.setup()
    from sixcore.supplies.demo import report_dates
    from sixcore.supplies.registry import ITEMS

    rng = random.Random(20230630)
    written = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(
            ["item", "reporter", "date", "unit", "production", "imports", "consumption", "stock", "price"]
        )
        for seed in ITEMS:
            dates = [d.isoformat() for d in report_dates(seed.frequency, START, AS_OF)]
            for r in range(REPORTERS):
                code = f"r{r:04d}"
                for day in dates:
                    if written >= rows:
                        return
                    consumption = rng.randint(800, 1200)
                    price = rng.randint(480, 560) if seed.price_unit else ""
                    out.writerow(
                        [
                            seed.code,
                            code,
                            day,
                            seed.unit,
                            "",
                            consumption,
                            consumption,
                            rng.randint(20000, 60000),
                            price,
                        ]
                    )
                    written += 1


def run_once(csv_path: Path, database_url: str | None) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, SIXCORE_HOME=home, PYTHONPATH=str(ROOT))
        if database_url:
            env["DATABASE_URL"] = database_url
            recreate_postgres_database(database_url)
        else:
            env.pop("DATABASE_URL", None)
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(csv_path), str(REPORTERS), AS_OF.isoformat()],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])


IMPORT_TARGET_S = 30.0
STATUS_TARGET_S = 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--json", metavar="PATH", help="also write the result rows (issue #8 format) here")
    args = parser.parse_args()
    argv = sys.argv[1:]
    if "--json" in argv:
        del argv[argv.index("--json") : argv.index("--json") + 2]
    argv = [a for a in argv if not a.startswith("--json=")]
    command = shlex.join(["python", "bench/bench_supplies.py", *argv])
    csv_path = Path(tempfile.gettempdir()) / f"sixcore_bench_supplies_{args.rows}.csv"
    if not csv_path.exists():
        with tempfile.TemporaryDirectory() as home:
            os.environ.setdefault("SIXCORE_HOME", home)
            generate(csv_path, args.rows)
    load_before = os.getloadavg()
    runs = [run_once(csv_path, args.database_url) for _ in range(args.repeat)]
    load_after = os.getloadavg()
    keys = [k for k in runs[0] if k not in ("rows", "items")]
    medians = {k: statistics.median(r[k] for r in runs) for k in keys}
    database = "postgresql" if args.database_url else "sqlite"
    print(f"command: {command}")
    print(
        f"supplies on {database}: {runs[0]['rows']:,} observations, {runs[0]['items']} items, median of "
        f"{args.repeat} fresh-database runs ({platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load average {load_before[0]:.2f} before, {load_after[0]:.2f} after):"
    )
    for k in keys:
        unit = "MB" if k.endswith("_mb") else "s"
        print(
            f"  {k:16s} {medians[k]:8.3f} {unit}   (min {min(r[k] for r in runs):.3f}, max {max(r[k] for r in runs):.3f})"
        )
    full = args.rows >= 1_000_000
    import_met = medians["import"] < IMPORT_TARGET_S if full else None
    status_met = medians["status_first"] < STATUS_TARGET_S if full else None
    if full:
        print(f"  target: import under {IMPORT_TARGET_S:.0f} s -> {'met' if import_met else 'NOT met'}")
        print(f"  target: status under {STATUS_TARGET_S:.0f} s -> {'met' if status_met else 'NOT met'}")
    if args.json:
        size = f"{runs[0]['rows']:,} observations, {runs[0]['items']} items, {REPORTERS} reporters"

        def row(what: str, key: str, target: str | None = None, met: bool | None = None) -> dict:
            return {
                "what": what,
                "size": size,
                "database": database,
                "ours_s": medians[key],
                "runs": args.repeat,
                "reference": None,
                "reference_s": None,
                "ratio": None,
                "target": target,
                "met": met,
                "command": command,
            }

        rows = [
            row(
                "supplies: bulk import (CSV: read, validate, write, audit), wall",
                "import",
                f"under {IMPORT_TARGET_S:.0f} s" if full else None,
                import_met,
            ),
            row("supplies: bulk import, CPU of the importing process", "import_cpu"),
            row("supplies: re-import of the same file (nothing written), wall", "reimport_noop"),
            row("supplies: re-import, CPU of the importing process", "reimport_cpu"),
            row(
                "supplies: recompute every item's status, wall",
                "status_first",
                f"under {STATUS_TARGET_S:.0f} s" if full else None,
                status_met,
            ),
            row("supplies: recompute every item's status, CPU", "status_cpu"),
        ]
        Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
