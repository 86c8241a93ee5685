"""Benchmark: the submissions list page under load (issue #3).

Starts gunicorn (2 workers) on 127.0.0.1 against a database holding the real program and the demo
quarterly reports (``sixcore demo``), logs in as NDC (who sees every submission), and runs N
concurrent clients for a bounded time against ``/progress/?period=112Q2``, with a hello-world-sized
page (``/accounts/login/``) measured side by side as the ceiling. Prints requests/s and latency.

    python bench/bench_submissions_page.py --clients 16 --seconds 15
    python bench/bench_submissions_page.py --database-url postgres://postgres@127.0.0.1:5432/bench_sixcore
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from _db import recreate_postgres_database  # noqa: E402

PORT = 8765
PASSWORD = "bench-password-1234"


def sixcore(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "sixcore.cli", *args], env=env, check=True, capture_output=True)


def login(base: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(
        {"username": "ndc", "password": PASSWORD, "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(
        f"{base}/accounts/login/", data=data, headers={"Referer": f"{base}/accounts/login/"}
    )
    opener.open(request).read()
    return opener


def load(opener, url: str, clients: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                with opener.open(url, timeout=30) as response:
                    response.read()
                    ok = response.status == 200
            except OSError:
                ok = False
            with lock:
                if ok:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    begun = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - begun
    latencies.sort()

    def pct(p: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")
        )

    return {
        "rps": len(latencies) / elapsed,
        "p50": pct(0.5),
        "p95": pct(0.95),
        "p99": pct(0.99),
        "errors": errors,
        "requests": len(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, SIXCORE_HOME=home, PYTHONPATH=str(ROOT), ALLOWED_HOSTS="127.0.0.1")
        env.pop("SIXCORE_AS_OF", None)
        if args.database_url:
            env["DATABASE_URL"] = args.database_url
            recreate_postgres_database(args.database_url)
        sixcore(env, "migrate", "--noinput")
        sixcore(env, "plan", "load")
        sixcore(env, "demo", "--password", PASSWORD)
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "sixcore.wsgi",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{PORT}",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
        )
        try:
            base = f"http://127.0.0.1:{PORT}"
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{base}/accounts/login/", timeout=1).read()
                    break
                except OSError:
                    time.sleep(0.2)
            opener = login(base)
            results = {
                "login page (ceiling)": load(opener, f"{base}/accounts/login/", args.clients, args.seconds),
                "submissions list 112Q2": load(
                    opener, f"{base}/progress/?period=112Q2", args.clients, args.seconds
                ),
            }
        finally:
            server.terminate()
            server.wait(timeout=10)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"gunicorn 2 workers, {backend}, {args.clients} clients × {args.seconds:.0f} s, {os.cpu_count()} cores:"
    )
    for name, r in results.items():
        print(
            f"  {name:26s} {r['rps']:7.1f} req/s  p50 {r['p50']:6.1f} ms  p95 {r['p95']:6.1f} ms  "
            f"p99 {r['p99']:6.1f} ms  ({r['requests']} ok, {r['errors']} errors)"
        )
    ceiling, page = results["login page (ceiling)"], results["submissions list 112Q2"]
    print(
        f"  ratio submissions/ceiling: {page['rps'] / ceiling['rps']:.2f}; median latency {statistics.median([page['p50']]):.1f} ms"
    )


if __name__ == "__main__":
    main()
