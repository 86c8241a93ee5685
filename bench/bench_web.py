"""Web load (issue #8): gunicorn with 2 workers on PostgreSQL, wrk with 32 connections on loopback.

The database (recreated: a throw-away ``bench_web_*``) holds the real program and the demo quarterly
reports (``sixcore demo``: 264 submissions up to 112Q2). gunicorn runs with deploy/gunicorn.conf.py
(the production profile; requests carry ``X-Forwarded-Proto: https`` as behind the proxy) and
``bench.web_settings``, whose URLconf adds ``/bench/hello/``, a hello-world view on the same server
and middleware: the ceiling. ``--cache``: settings.py's cache by default (each worker's memory),
``database`` a shared DatabaseCache. Every response is built by its request (no page cache). One change to the deployed
configuration: ``--max-requests 0``, because a worker restart (≈1 s of imports) every 2,000 requests
would tax the fast ceiling most.

Each page and API list is fetched twice over: as the public (no credentials: published figures
only) and as the NDC administrator (who sees every submission), pages with the session and CSRF
cookies a browser holds, API endpoints with that user's token (``sixcore token create ndc``).
Every request says ``Accept-Encoding: gzip, deflate``, as browsers and HTTP libraries do. Every target runs ``--seconds`` under
wrk, one after the other, ``--repeat`` times; the figures are medians over the runs. Also measured:
the CPU time of the gunicorn workers per request (from /proc), less noisy than the rate on a shared
machine. wrk runs on the same cores (1 thread).

    python bench/bench_web.py --repeat 5 --seconds 15
    python bench/bench_web.py --repeat 1 --seconds 3 --json rows.json
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from _db import command_line, recreate_postgres_database, write_rows  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/bench_web_sixcore"
PASSWORD = "bench-password-1234"
# As behind the TLS-terminating proxy (deploy/gunicorn.conf.py trusts it from 127.0.0.1), and as every
# browser and HTTP library asks (wrk counts the bytes, compressed or not, without decoding them).
BASE_HEADERS = {"X-Forwarded-Proto": "https", "Host": "127.0.0.1", "Accept-Encoding": "gzip, deflate"}
SIZE = "seed program + sixcore demo (264 submissions)"

# Prints the credentials and the paths the benchmark needs, as JSON (runs with the server's settings).
SETUP = r"""
import json, os
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sixcore.settings")
django.setup()
from django.conf import settings
from django.test import Client
from django.urls import reverse
from sixcore.accounts.models import User
from sixcore.plan.models import KPI
client = Client()
client.force_login(User.objects.get(username="ndc"))
# The CSRF cookie a browser holds from its first page (the logout form of every page uses it).
from django.middleware.csrf import get_token
from django.test import RequestFactory
first = RequestFactory().get("/")
get_token(first)
kpi = KPI.objects.select_related("measure").order_by("-measure__industry__program__revision", "measure__order", "order").first()
print(json.dumps({
    "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
    "cookie_name": settings.SESSION_COOKIE_NAME,
    "csrf_cookie": f"{settings.CSRF_COOKIE_NAME}={first.META['CSRF_COOKIE']}",
    "kpi_path": reverse("evaluation:kpi", args=[kpi.measure.code, kpi.code]),
}))
"""

# wrk's summary as one JSON line: latencies in microseconds, percentiles from wrk's histogram.
LUA = r"""
done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,' ..
    '"p50_us":%d,"p95_us":%d,"p99_us":%d,"mean_us":%f}\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean))
end
"""


@dataclass(frozen=True)
class Target:
    key: str
    what: str
    path: str
    api: bool = False  # token instead of the session cookie
    page: bool = False  # the p95 < 100 ms target applies
    public: bool = False  # no credentials: an anonymous visitor (approved data only)


def sixcore(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "sixcore.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"sixcore {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def prepare(env: dict, database_url: str) -> dict:
    """A fresh database with the program and the demo reports; static files; credentials."""
    recreate_postgres_database(database_url)
    for step in (
        ("migrate", "--noinput", "-v0"),
        ("plan", "load"),
        ("demo", "--password", PASSWORD),
        ("collectstatic", "--noinput", "-v0"),
        ("createcachetable",),
    ):
        started = time.perf_counter()
        sixcore(env, *step)
        print(f"  sixcore {' '.join(step)}: {time.perf_counter() - started:.1f} s", flush=True)
    token = sixcore(env, "token", "create", "ndc").strip().splitlines()[-1]
    done = subprocess.run([sys.executable, "-c", SETUP], env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"setting up the credentials failed:\n{done.stderr[-2000:]}")
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "token": token}


def worker_cpu_seconds(master: int) -> float:
    """CPU (user + system) of the gunicorn workers, the children of ``master``, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == master:  # ppid
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def wait_idle(master: int, timeout: float = 120) -> None:
    """Wait until the workers stop using CPU: requests queued by the previous wrk run (wrk stops at
    its deadline; gunicorn still serves what it accepted) must not be counted against the next one."""
    deadline = time.perf_counter() + timeout
    before = worker_cpu_seconds(master)
    while time.perf_counter() < deadline:
        time.sleep(0.5)
        now = worker_cpu_seconds(master)
        if now - before < 0.02:
            return
        before = now


@contextlib.contextmanager
def serve(env: dict, port: int, workers: int) -> Iterator[subprocess.Popen]:
    server_env = dict(env, GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS=str(workers))
    argv = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "--max-requests", "0"]
    log = tempfile.TemporaryFile()
    server = subprocess.Popen(
        [*argv, "sixcore.wsgi"], env=server_env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log
    )

    def log_tail() -> str:
        log.seek(0)
        return log.read().decode(errors="replace")[-3000:]

    try:
        for _ in range(600):
            if server.poll() is not None:
                raise SystemExit(f"gunicorn exited:\n{log_tail()}")
            with contextlib.suppress(OSError):
                if get(port, "/bench/hello/", BASE_HEADERS)[0] == 200:
                    break
            time.sleep(0.2)
        else:
            raise SystemExit(f"gunicorn did not answer /bench/hello/ with 200 within 120 s:\n{log_tail()}")
        yield server
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def get(port: int, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def run_wrk(
    port: int, path: str, headers: dict[str, str], connections: int, seconds: float, lua: Path
) -> dict:
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "30s", "-s", str(lua)]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    done = subprocess.run([*argv, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"wrk failed: {done.stderr}")
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    summary["rps"] = summary["requests"] / (summary["duration_us"] / 1e6)
    return summary


def targets(kpi_path: str) -> list[Target]:
    """The ceiling, then each page and API list as the public (anonymous: published figures only, the
    bulk of the traffic) and as a signed-in NDC officer (session or token: read with the user and the
    data version in the one query of a cached answer)."""
    pages = [
        ("dashboard", "program dashboard", "/dashboard/", False),
        ("kpi", "KPI page", kpi_path, False),
        ("api_kpis", "API list of KPIs", "/api/plan/kpis/", True),
        ("api_submissions", "API list of submissions", "/api/progress/submissions/", True),
    ]
    every = [Target("hello", "web: hello-world view (the ceiling)", "/bench/hello/")]
    for public in (True, False):
        who = "the public" if public else "an NDC officer"
        for key, what, path, api in pages:
            every.append(
                Target(
                    f"{key}_public" if public else key,
                    f"web: {what}, as {who}",
                    path,
                    api=api,
                    page=not api,
                    public=public,
                )
            )
    return every


def measure(
    port: int,
    master: int,
    chosen: list[Target],
    credentials: dict,
    connections: int,
    seconds: float,
    repeat: int,
) -> dict[str, list[dict]]:
    """Run every target ``repeat`` times, interleaved; each run preceded by a short warm-up."""
    base = BASE_HEADERS
    # As a signed-in browser sends them: the session cookie and the CSRF cookie of its first page.
    cookies = f"{credentials['cookie_name']}={credentials['session']}; {credentials['csrf_cookie']}"
    page_headers = {**base, "Cookie": cookies}
    api_headers = {**base, "Authorization": f"Token {credentials['token']}"}
    runs: dict[str, list[dict]] = {t.key: [] for t in chosen}
    with tempfile.TemporaryDirectory() as tmp:
        lua = Path(tmp) / "summary.lua"
        lua.write_text(LUA)
        for t in chosen:
            headers = base if t.public else api_headers if t.api else page_headers
            status, body = get(port, t.path, headers)
            if status != 200:
                raise SystemExit(f"{t.path}: HTTP {status} before the load (expected 200): {body[:300]!r}")
        for i in range(repeat):
            for t in chosen:
                headers = base if t.public else api_headers if t.api else page_headers
                run_wrk(port, t.path, headers, connections, min(2.0, seconds), lua)  # warm-up
                wait_idle(master)
                cpu_before = worker_cpu_seconds(master)
                result = run_wrk(port, t.path, headers, connections, seconds, lua)
                # Read at once: requests still queued when wrk stopped have not started (the workers
                # are at most one request each into the next ones), then let the queue drain.
                result["cpu_ms_per_request"] = (
                    (worker_cpu_seconds(master) - cpu_before) * 1000 / max(result["requests"], 1)
                )
                wait_idle(master)
                result["load"] = os.getloadavg()[0]
                runs[t.key].append(result)
                print(
                    f"  run {i + 1}/{repeat} {t.key:16s} {result['rps']:8.1f} req/s  "
                    f"p50 {result['p50_us'] / 1000:7.1f} ms  p95 {result['p95_us'] / 1000:7.1f} ms  "
                    f"p99 {result['p99_us'] / 1000:7.1f} ms  worker CPU {result['cpu_ms_per_request']:6.2f} ms/req  "
                    f"errors {result['status_errors'] + result['socket_errors']}  load {result['load']:.2f}",
                    flush=True,
                )
    return runs


def web_row(
    what: str,
    size: str,
    database: str,
    rps: float,
    hello_rps: float | None,
    percentiles: tuple[float, float, float],
    target: str | None,
    met: bool | None,
    ceiling: bool = False,
) -> dict:
    """A row of the suite's format with the web fields run_all renders (``ceiling``: the hello-world
    row itself). Shared with bench/bench_mixed.py."""
    ratio = None if ceiling or not hello_rps or not rps else rps / hello_rps
    p50, p95, p99 = percentiles
    return {
        "what": what,
        "size": size,
        "database": database,
        "ours_s": round(1 / rps, 6) if rps else None,
        "runs": 1,
        "reference": None if ceiling else "hello-world",
        "reference_s": None if ceiling or not hello_rps else round(1 / hello_rps, 6),
        "ratio": None if ratio is None else round(1 / ratio, 3),
        "target": target,
        "met": met,
        "command": command_line(),
        "rps": round(rps, 1),
        "reference_rps": None if ceiling or hello_rps is None else round(hello_rps, 1),
        "rps_ratio": None if ratio is None else round(ratio, 3),
        "p50_ms": round(p50, 2),
        "p95_ms": round(p95, 2),
        "p99_ms": round(p99, 2),
        "worker_cpu_ms_per_request": None,
    }


def summarise(chosen: list[Target], runs: dict[str, list[dict]], database: str, size: str) -> list[dict]:
    """Medians over the runs as rows of the suite's format (plus the web fields run_all renders)."""
    hello = runs.get("hello")
    hello_rps = statistics.median(r["rps"] for r in hello) if hello else None
    rows = []
    for t in chosen:
        rs = runs[t.key]
        rps = statistics.median(r["rps"] for r in rs)
        p50, p95, p99 = (statistics.median(r[k] for r in rs) / 1000 for k in ("p50_us", "p95_us", "p99_us"))
        errors = sum(r["status_errors"] + r["socket_errors"] for r in rs)
        is_ceiling = t.key == "hello"
        ratio = None if is_ceiling or not hello_rps or not rps else rps / hello_rps
        target, met = None, None
        if not is_ceiling:
            target = "≥ 0.5× hello-world rate" + ("; p95 < 100 ms" if t.page else "")
            met = errors == 0 and ratio is not None and ratio >= 0.5 and (not t.page or p95 < 100)
        what = f"{t.what} `GET {t.path}`"
        row = web_row(what, size, database, rps, hello_rps, (p50, p95, p99), target, met, is_ceiling)
        row.update(
            runs=len(rs),
            worker_cpu_ms_per_request=round(statistics.median(r["cpu_ms_per_request"] for r in rs), 2),
            errors=errors,
            load_average=round(statistics.median(r["load"] for r in rs), 2),
        )
        rows.append(row)
    return rows


def print_rows(rows: list[dict], header: str) -> None:
    print(header)
    for r in rows:
        ratio = "" if r["rps_ratio"] is None else f"  {r['rps_ratio']:.2f}× hello"
        met = "" if r["met"] is None else ("  target met" if r["met"] else "  target NOT met")
        print(
            f"  {r['what']}\n    {r['rps']:8.1f} req/s{ratio}  p50 {r['p50_ms']:.1f} ms  p95 {r['p95_ms']:.1f} ms  "
            f"p99 {r['p99_ms']:.1f} ms  worker CPU {r['worker_cpu_ms_per_request']:.2f} ms/req  "
            f"errors {r['errors']}{met}"
        )


def run(args: argparse.Namespace, pick) -> list[dict]:
    """Set up, serve, load: ``pick(credentials)`` chooses the targets. Shared with the submissions page."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `apt-get install -y wrk` (Debian), then run again")
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, SIXCORE_HOME=home, PYTHONPATH=str(ROOT), ALLOWED_HOSTS="127.0.0.1")
        env.update(
            SIXCORE_PROFILE="production",
            DATABASE_URL=args.database_url,
            DJANGO_SETTINGS_MODULE="bench.web_settings",
            BENCH_CACHE=args.cache,
        )
        env.pop("SIXCORE_AS_OF", None)
        started = time.perf_counter()
        credentials = prepare(env, args.database_url)
        print(
            f"database ready in {time.perf_counter() - started:.0f} s; load average {os.getloadavg()}",
            flush=True,
        )
        chosen = pick(credentials)
        with serve(env, args.port, args.workers) as server:
            runs = measure(
                args.port, server.pid, chosen, credentials, args.connections, args.seconds, args.repeat
            )
    return summarise(chosen, runs, "postgresql", f"{SIZE}; cache: {args.cache}")


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--database-url", default=DEFAULT_DB, help="PostgreSQL database named bench*, recreated")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--seconds", type=float, default=15)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--port", type=int, default=8766)
    p.add_argument(
        "--cache",
        choices=["memory", "database"],
        default="memory",
        help="memory: settings.py's (each worker's memory); database: a shared DatabaseCache",
    )
    p.add_argument("--json", default=None, help="write the rows of the suite's format to this file")
    return p


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--only", action="append", default=[], help="target key (hello is always measured)")
    args = p.parse_args()

    def pick(credentials: dict) -> list[Target]:
        every = targets(credentials["kpi_path"])
        return [t for t in every if not args.only or t.key in args.only or t.key == "hello"]

    load_at_start = os.getloadavg()
    rows = run(args, pick)
    print_rows(
        rows,
        f"gunicorn {args.workers} workers, PostgreSQL, wrk {args.connections} connections × {args.seconds:g} s, "
        f"median of {args.repeat}; {os.cpu_count()} cores, load average at start {load_at_start}:",
    )
    write_rows(args.json, rows)


if __name__ == "__main__":
    main()
