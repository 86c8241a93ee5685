"""Benchmark ``sixcore plan load`` (target: under 5 s on SQLite on a 2-core machine).

Each repetition starts from an empty, migrated database in a fresh process, as a newcomer's first
``make run`` does, and times: reading + validating the data files, the first load, a forced re-sync
with no changes (the idempotent path) and the no-op load of unchanged files. Reports the median of
``--repeat`` runs and the peak RSS.

    python bench/bench_plan_load.py --repeat 5
    python bench/bench_plan_load.py --repeat 5 --database-url postgres://postgres@127.0.0.1:5432/bench_sixcore
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from _db import command_line, recreate_postgres_database, write_rows  # noqa: E402

CHILD = r"""
import json, os, resource, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sixcore.settings")
django.setup()
from django.core.management import call_command
call_command("migrate", "--noinput", verbosity=0)
from sixcore.plan.datafiles import read_plan_files
from sixcore.plan.loader import load_program
t0 = time.perf_counter(); data = read_plan_files(); t1 = time.perf_counter()
load_program(data); t2 = time.perf_counter()
load_program(read_plan_files(), force=True); t3 = time.perf_counter()
_, stats = load_program(); t4 = time.perf_counter()
assert stats.unchanged
print(json.dumps({"read": t1 - t0, "first_load": t2 - t1, "total": t2 - t0, "forced_resync": t3 - t2,
                  "unchanged": t4 - t3, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_once(database_url: str | None) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, SIXCORE_HOME=home, PYTHONPATH=str(ROOT))
        if database_url:
            env["DATABASE_URL"] = database_url
            recreate_postgres_database(database_url)
        else:
            env.pop("DATABASE_URL", None)
        out = subprocess.run(
            [sys.executable, "-c", CHILD], env=env, check=True, capture_output=True, text=True
        )
        return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--json", default=None, help="write the rows of the suite's format to this file")
    args = parser.parse_args()
    runs = [run_once(args.database_url) for _ in range(args.repeat)]
    keys = runs[0].keys()
    medians = {k: statistics.median(r[k] for r in runs) for k in keys}
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"plan load on {backend}, median of {args.repeat} fresh-database runs "
        f"({platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}):"
    )
    for k in keys:
        unit = "MB" if k.endswith("_mb") else "s"
        print(
            f"  {k:15s} {medians[k]:8.3f} {unit}   (min {min(r[k] for r in runs):.3f}, max {max(r[k] for r in runs):.3f})"
        )
    print(f"  target: read + first load under 5 s -> {'met' if medians['total'] < 5 else 'NOT met'}")
    database = "postgresql" if args.database_url else "sqlite"
    labels = {
        "read": "plan load: read + validate the 13 data files",
        "first_load": "plan load: first load into an empty database",
        "total": "plan load: read + first load",
        "forced_resync": "plan load: forced re-sync, no changes",
        "unchanged": "plan load: unchanged files (no-op)",
    }
    rows = []
    for key, what in labels.items():
        targeted = key == "total" and database == "sqlite"
        rows.append(
            {
                "what": what,
                "size": "the seed program (≈3,600 rows)",
                "database": database,
                "ours_s": round(medians[key], 4),
                "runs": args.repeat,
                "reference": None,
                "reference_s": None,
                "ratio": None,
                "target": "< 5 s" if targeted else None,
                "met": (medians[key] < 5) if targeted else None,
                "command": command_line(),
            }
        )
    write_rows(args.json, rows)


if __name__ == "__main__":
    main()
