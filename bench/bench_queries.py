"""SQL queries per page at N = 1 and N = 10 (issue #8): the counts must be equal.

A fresh database (temporary SQLite, or ``--database-url`` PostgreSQL named bench*) gets the real
program and seeded reports for 111Q2 (``bench/portfolio.py``'s ``generate_reports``, 示範資料); every
main page is fetched as an NDC administrator with Django's test client and its queries counted. Then
``build_portfolio(10)`` adds a 10× program in force (a new revision) with reports for 111Q3, and the
same pages are counted again on it (period 111Q3, the 10× revision). Each page is fetched once before
it is counted, so one-time work (caches filled, rows created lazily) is not counted. A page whose count differs
grows with the program (an N+1 query). Counts are exact, not timed: one run is enough.

    python bench/bench_queries.py [--database-url postgres://postgres@127.0.0.1:5432/bench_queries]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))
from _db import command_line, recreate_postgres_database, write_rows  # noqa: E402

# {p}: the period; {sub}: a submission of the period (industry 1).
PAGES = [
    ("plan overview", "/"),
    ("plan industry", "/industries/1/"),
    ("plan measure", "/measures/1.2/"),
    ("plan KPI", "/measures/1.2/kpis/1.2.2/"),
    ("dashboard: program", "/dashboard/?period={p}"),
    ("dashboard: industry", "/dashboard/industries/1/?period={p}"),
    ("dashboard: measure", "/dashboard/measures/1.2/?period={p}"),
    ("dashboard: agency", "/dashboard/agencies/moea/?period={p}"),
    ("dashboard: KPI", "/dashboard/measures/1.2/kpis/1.2.2/?period={p}"),
    ("dashboard: timeline", "/dashboard/measures/1.2/timeline/?period={p}"),
    ("dashboard: attention", "/dashboard/attention/?period={p}"),
    ("progress: list", "/progress/?period={p}"),
    ("progress: submission", "/progress/submissions/{sub}/"),
    ("reports: quarterly xlsx", "/reports/quarterly/{p}.xlsx"),
    ("reports: export plan csv", "/reports/export/plan.csv"),
    ("reports: export submissions json", "/reports/export/submissions.json"),
    ("supplies: dashboard", "/supplies/"),
    ("supplies: alerts", "/supplies/alerts/"),
    ("revisions: list", "/revisions/"),
    ("revisions: KPI targets", "/revisions/kpi/1.2/1.2.2/"),
    ("coordination", "/coordination/"),
    ("API: plan KPIs", "/api/plan/kpis/"),
    ("API: plan work items", "/api/plan/work-items/"),
    ("API: plan measures", "/api/plan/measures/"),
    ("API: submissions", "/api/progress/submissions/?period={p}"),
    ("API: KPI reports", "/api/progress/kpi-reports/?period={p}"),
    ("API: evaluation KPIs", "/api/evaluation/kpis/?period={p}"),
    ("API: evaluation roll-ups", "/api/evaluation/rollups/?period={p}"),
]


def count_pages(client, period: str, submission: int) -> dict[str, tuple[int | None, int, list[str]]]:
    """name -> (queries, HTTP status, SQL); queries is None when the page did not answer 200."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for name, template in PAGES:
        url = template.format(p=period, sub=submission)
        client.get(url)  # once before counting: one-time work (caches, lazily created rows) is not per page
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
            if response.streaming:
                b"".join(response.streaming_content)
        ok = response.status_code == 200
        sql = [q["sql"] for q in queries.captured_queries]
        counts[name] = (len(sql) if ok else None, response.status_code, sql)
        print(f"  {url:55s} {response.status_code}  {len(queries.captured_queries):4d} queries", flush=True)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="PostgreSQL database named bench*, emptied")
    parser.add_argument("--json", default=None, help="write the rows of the suite's format to this file")
    args = parser.parse_args()
    home = tempfile.TemporaryDirectory()
    os.environ.update(
        SIXCORE_HOME=home.name, ALLOWED_HOSTS="testserver", DJANGO_SETTINGS_MODULE="sixcore.settings"
    )
    os.environ.pop("SIXCORE_PROFILE", None)
    if args.database_url:
        recreate_postgres_database(args.database_url)
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from portfolio import build_portfolio, generate_reports

    from sixcore.accounts.choices import Role
    from sixcore.accounts.models import Agency, User
    from sixcore.plan.loader import load_program
    from sixcore.progress.models import ReportingPeriod, Submission

    call_command("migrate", "--noinput", verbosity=0)
    load_program()
    user = User.objects.create(
        username="bench_ndc", role=Role.NDC_ADMIN, agency=Agency.objects.get(code="ndc")
    )
    client = Client()
    client.force_login(user)

    def submission(period: ReportingPeriod) -> int:
        return (
            Submission.objects.filter(period=period, industry__code="1")
            .order_by("pk")
            .values_list("pk", flat=True)[0]
        )

    first = ReportingPeriod.by_code("111Q2")
    generate_reports([first])
    print("N = 1 (the seed program, 111Q2):")
    small = count_pages(client, first.code, submission(first))
    big = build_portfolio(10)
    second = ReportingPeriod.by_code("111Q3")
    generate_reports([second])
    print(f"N = 10 (revision {big.revision}, 111Q3):")
    large = count_pages(client, second.code, submission(second))

    database = "postgresql" if args.database_url else "sqlite"
    rows = []
    for name, template in PAGES:
        (n1, s1, sql1), (n10, s10, sql10) = small[name], large[name]
        if n1 != n10:
            print(f"{name}: the queries, N = 1 | N = 10")
            for i in range(max(len(sql1), len(sql10))):
                a = sql1[i][:90] if i < len(sql1) else ""
                b = sql10[i][:90] if i < len(sql10) else ""
                print(f"  {'=' if a == b else '≠'} {a:90s} | {b}")
        rows.append(
            {
                "what": f"{name} `{template}`",
                "size": "N = 1 vs N = 10",
                "database": database,
                "ours_s": None,
                "runs": 1,
                "reference": None,
                "reference_s": None,
                "ratio": None,
                "target": "N = 1 and N = 10 equal",
                "met": n1 is not None and n1 == n10,
                "command": command_line(),
                "queries_n1": n1 if n1 is not None else f"HTTP {s1}",
                "queries_n10": n10 if n10 is not None else f"HTTP {s10}",
            }
        )
    growing = [r["what"] for r in rows if not r["met"]]
    print(f"{len(rows)} pages; {len(growing)} differ or failed: {', '.join(growing) or 'none'}")
    write_rows(args.json, rows)
    home.cleanup()


if __name__ == "__main__":
    main()
