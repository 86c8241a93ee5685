"""Benchmark: the submissions list page under load (issue #3), measured as bench/bench_web.py does.

gunicorn (2 workers, deploy/gunicorn.conf.py) on a fresh PostgreSQL database holding the real program
and the demo quarterly reports (``sixcore demo``), logged in as NDC (who sees every submission); wrk
with ``--connections`` connections for ``--seconds`` on ``/progress/?period=112Q2``, against the
hello-world view on the same server (the ceiling), interleaved ``--repeat`` times; medians.

    python bench/bench_submissions_page.py --connections 16 --seconds 15 --repeat 5
    python bench/bench_submissions_page.py --database-url postgres://postgres@127.0.0.1:5432/bench_web_sixcore
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_web  # noqa: E402
from _db import write_rows  # noqa: E402


def main() -> None:
    parser = bench_web.parser(__doc__.splitlines()[0])
    parser.set_defaults(connections=16)
    args = parser.parse_args()

    def pick(credentials: dict) -> list[bench_web.Target]:
        return [
            bench_web.Target("hello", "web: hello-world view (the ceiling)", "/bench/hello/"),
            bench_web.Target(
                "submissions", "web: submissions list 112Q2", "/progress/?period=112Q2", page=True
            ),
        ]

    load_at_start = os.getloadavg()
    rows = bench_web.run(args, pick)
    bench_web.print_rows(
        rows,
        f"gunicorn {args.workers} workers, PostgreSQL, wrk {args.connections} connections × {args.seconds:g} s, "
        f"median of {args.repeat}; {os.cpu_count()} cores, load average at start {load_at_start}:",
    )
    write_rows(args.json, rows)


if __name__ == "__main__":
    main()
