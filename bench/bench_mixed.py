"""Mixed load (issue #18): reads and writes together on gunicorn (2 workers) and PostgreSQL.

For each scale (``--scales 1,10``) a throw-away database ``bench_mixed_*_<N>x`` gets what
bench/bench_web.py's ``prepare`` gives (the program, ``sixcore demo`` up to 112Q2, static files, the
NDC session and token); then the measured period 112Q3 gets seeded reports (``generate_reports``,
示範資料) for the revision in force — at 10× a ``build_portfolio(10)`` revision in force from 112Q3, so
the period's reports are the 10× program's. The server runs ``bench_web.serve`` (deploy/gunicorn.conf.py,
``bench.web_settings`` with ``/bench/hello/``) with ``SIXCORE_AS_OF=2023-10-05``: 112Q3 is open, so
officers may write.

``--clients`` closed-loop clients (default 32: ``--processes`` processes × threads, each thread a
``requests`` session; the client is not one GIL-bound process) run four phases: a warm-up of the mix
(not counted), hello-world alone, the mix for ``--seconds``, hello-world alone again. The hello-world
phases (before and after, together) are the ceiling each page's rate and p95 are shown beside. The mix:
85 % reads — the public dashboard, an industry dashboard, a KPI page, an officer's submissions list
(``/progress/`` with an agency editor's session cookie), NDC's needs-attention page, the API lists of
KPIs and submissions and a submission's detail (NDC's token), and a little hello-world — and 15 %
writes through the API with tokens: officers save a KPI value (``PATCH …/lines/`` with the version they
know) and submit; NDC returns with a comment, approves, and reopens approved reports, so every
submission keeps cycling through its states and writes stay valid. A 409 (another client changed the
version or the state first) is an expected outcome, counted apart; the client then knows the current
state (the 409's ``current``, else a detail read).

Errors are 5xx answers and connection errors. Stale reads: every write records (submission, version,
time its answer arrived); every detail read records when it started and the version it got, which must
be at least the newest version whose write answer arrived before the read started (checked afterwards
over every client process; one system-wide monotonic clock). Target at 10×: p95 < 150 ms on every
page, 0 errors, 0 stale reads. The clients share the machine's cores with the server and PostgreSQL.

    python bench/bench_mixed.py                    # 1× and 10×, 60 s of mix each
    python bench/bench_mixed.py --quick --scales 1 # a ~10 s smoke test
"""

from __future__ import annotations

import argparse
import bisect
import http.cookiejar
import json
import math
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from _db import write_rows  # noqa: E402
from bench_web import BASE_HEADERS, prepare, serve, web_row, worker_cpu_seconds  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/bench_mixed_sixcore"
PERIOD = "112Q3"
AS_OF = "2023-10-05"  # 112Q3 (due 112/10/15) is open
OFFICER = "moea_editor"  # whose /progress/ list is read
TARGET_P95_MS = 150
WRITE_SHARE = 0.15

# Prints, as JSON, what the clients need beyond bench_web.prepare's credentials: the 10× revision
# (if asked) and the period's reports, an officer's session, every editor's token, the submissions.
SETUP = r"""
import json, sys
import django
django.setup()
sys.path.insert(0, "bench")
from django.conf import settings
from django.test import Client
from rest_framework.authtoken.models import Token
from portfolio import build_portfolio, generate_reports
from sixcore.accounts.choices import Role
from sixcore.accounts.models import User
from sixcore.progress.models import KPIReport, ReportingPeriod, Submission
from sixcore.progress.services import program_in_force

scale, code, officer = int(sys.argv[1]), sys.argv[2], sys.argv[3]
if scale > 1:
    build_portfolio(scale, effective_from=code, rebuild=False)  # generate_reports rebuilds from code on
period = ReportingPeriod.by_code(code)
generate_reports([period])
editors = {u.agency_id: u for u in User.objects.filter(role=Role.AGENCY_EDITOR).order_by("pk")}
browser = Client()
browser.force_login(User.objects.get(username=officer))
submissions = []
for sub in Submission.objects.filter(period=period).order_by("pk"):
    editor = editors.get(sub.agency_id)
    keys = [
        f"{m}/{k}" for m, k in KPIReport.objects.filter(submission=sub, value__isnull=False)
        .values_list("kpi__measure__code", "kpi__code").order_by("pk")[:20]
    ]
    if editor is not None and keys:
        submissions.append({"id": sub.pk, "editor": editor.username, "status": sub.status,
                            "version": sub.version, "kpis": keys})
print(json.dumps({
    "revision": program_in_force(period).revision,
    "officer_session": browser.cookies[settings.SESSION_COOKIE_NAME].value,
    "tokens": {u.username: Token.objects.get_or_create(user=u)[0].key for u in editors.values()},
    "submissions": submissions,
}))
"""


@dataclass(frozen=True)
class Kind:
    key: str
    what: str
    method: str
    path: str  # {id}: the submission
    weight: float  # share of the mix
    auth: str = ""  # "", "officer" (session cookie), "ndc" (session cookie), "token"


def read_kinds(kpi_path: str) -> list[Kind]:
    """The reads of the mix (85 % together), with the period in every query that has one."""
    p = f"?period={PERIOD}"
    return [
        Kind("dashboard", "public dashboard", "GET", f"/dashboard/{p}", 0.16),
        Kind("industry", "industry dashboard (public)", "GET", f"/dashboard/industries/1/{p}", 0.11),
        Kind("kpi", "KPI page (public)", "GET", f"{kpi_path}{p}", 0.11),
        Kind("progress", f"officer's submissions list ({OFFICER})", "GET", f"/progress/{p}", 0.10, "officer"),
        Kind("attention", "NDC's needs-attention page", "GET", f"/dashboard/attention/{p}", 0.08, "ndc"),
        Kind("api_kpis", "API list of KPIs (token)", "GET", "/api/plan/kpis/", 0.08, "token"),
        Kind(
            "api_submissions",
            "API list of submissions (token)",
            "GET",
            f"/api/progress/submissions/{p}",
            0.08,
            "token",
        ),
        Kind(
            "detail", "API submission detail (token)", "GET", "/api/progress/submissions/{id}/", 0.10, "token"
        ),
        Kind("hello_mix", "hello-world inside the mix", "GET", "/bench/hello/", 0.03),
    ]


WRITES = [
    Kind("save", "officer saves a KPI value", "PATCH", "/api/progress/submissions/{id}/lines/", 0, "token"),
    Kind("submit", "officer submits", "POST", "/api/progress/submissions/{id}/submit/", 0, "token"),
    Kind(
        "return", "NDC returns with a comment", "POST", "/api/progress/submissions/{id}/return/", 0, "token"
    ),
    Kind("approve", "NDC approves", "POST", "/api/progress/submissions/{id}/approve/", 0, "token"),
    Kind("reopen", "NDC reopens approved data", "POST", "/api/progress/submissions/{id}/reopen/", 0, "token"),
]
HELLO = Kind("hello", "hello-world view alone (the ceiling)", "GET", "/bench/hello/", 0)


# --- the clients ------------------------------------------------------------------------------------


class Client:
    """One closed-loop client: a thread with its own ``requests`` session (cookies sent explicitly)."""

    def __init__(self, plan: dict, known: dict, records: dict, seed: str, mine: list[dict]):
        import requests

        self.plan, self.known, self.records, self.mine = plan, known, records, mine
        self.rng = random.Random(seed)  # noqa: S311 - load generation, not security
        self.http = requests.Session()
        self.http.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        self.base = f"http://127.0.0.1:{plan['port']}"
        cookie = plan["cookie_name"]
        self.headers = {
            "": BASE_HEADERS,
            "officer": {
                **BASE_HEADERS,
                "Cookie": f"{cookie}={plan['officer_session']}; {plan['csrf_cookie']}",
            },
            "ndc": {**BASE_HEADERS, "Cookie": f"{cookie}={plan['session']}; {plan['csrf_cookie']}"},
        }
        self.reads = [Kind(**k) for k in plan["reads"]]
        self.writes = {k["key"]: Kind(**k) for k in plan["writes"]}

    def token(self, username: str) -> dict:
        return {**BASE_HEADERS, "Authorization": f"Token {self.plan['tokens'][username]}"}

    scheduled: float | None = None  # open loop: when the current arrival was due

    def call(self, phase: str, kind: Kind, headers: dict, sid: int | None = None, body=None):
        """One request, recorded as (phase, kind, start, latency, status); status 0: no answer.

        In the open loop the latency of an arrival's first request counts from when it was due, not
        from when this thread got to send it (no coordinated omission: a slow answer that delays
        the next arrival is charged to it).  The read's own start is kept for the stale check."""
        started = time.monotonic()
        due, self.scheduled = self.scheduled, None
        if due is not None and due < started:
            return self._recorded(phase, kind, due, started, headers, sid, body)
        return self._recorded(phase, kind, started, started, headers, sid, body)

    def _recorded(self, phase, kind, counted_from, started, headers, sid, body):
        try:
            response = self.http.request(
                kind.method, self.base + kind.path.format(id=sid), headers=headers, json=body, timeout=60
            )
            status = response.status_code
        except Exception:  # noqa: BLE001 — any failure to get an answer is a connection error
            response, status = None, 0
        ended = time.monotonic()
        self.records["requests"].append((phase, kind.key, counted_from, ended - counted_from, status))
        return started, ended, response

    def read(self, phase: str) -> None:
        kind = self.rng.choices(self.reads, weights=[k.weight for k in self.reads])[0]
        if kind.key == "detail":
            self.detail(phase, self.rng.choice(self.plan["submissions"])["id"])
        else:
            headers = self.token("ndc") if kind.auth == "token" else self.headers[kind.auth]
            self.call(phase, kind, headers)

    def detail(self, phase: str, sid: int) -> None:
        kind = next(k for k in self.reads if k.key == "detail")
        started, _, response = self.call(phase, kind, self.token("ndc"), sid)
        if response is not None and response.status_code == 200:
            data = response.json()
            self.records["reads"].append((sid, started, data["version"]))
            self.known[sid] = (data["status"], data["version"])

    def write(self, phase: str) -> None:
        """The next step of a random submission's cycle, from the state this process knows."""
        sub = self.rng.choice(self.mine)
        sid = sub["id"]
        status, version = self.known[sid]
        if status == "draft":
            if self.rng.random() < 0.6:
                kpi = self.rng.choice(sub["kpis"])
                value = self.rng.randint(1, 10000) / 100
                body = {"version": version, "kpis": {kpi: {"value": value}}}
                key, who = "save", sub["editor"]
            else:
                key, who, body = "submit", sub["editor"], {"comment": "（示範資料）效能測試送出"}
        elif status in ("submitted", "consolidated"):
            if status == "submitted" and self.rng.random() < 0.4:
                key, body = "return", {"comment": "（示範資料）效能測試退回，請補充說明"}
            else:
                key, body = "approve", {"comment": ""}
            who = "ndc"
        else:
            key, who, body = "reopen", "ndc", {"reason": "（示範資料）效能測試重新開放"}
        _, ended, response = self.call(phase, self.writes[key], self.token(who), sid, body)
        if response is None:
            return
        if response.status_code == 200:
            data = response.json()
            self.records["writes"].append((sid, data["version"], ended))
            self.known[sid] = (data["status"], data["version"])
        elif response.status_code == 409:
            current = response.json().get("current")
            if current:  # a stale version: the answer carries the stored data
                self.known[sid] = (current["status"], current["version"])
            else:  # a wrong state: read where it is now
                self.detail(phase, sid)

    def run(self, phases: list[tuple[str, float]], barrier) -> None:
        """Each phase starts when every client (and the parent) is at the barrier: the requests of
        the previous phase are all answered, none queues into the next one."""
        rate = self.plan.get("rate_per_client")
        for phase, length in phases:
            barrier.wait()
            now = time.monotonic()
            until, due = now + length, now
            while time.monotonic() < until:
                if rate and not phase.startswith("hello"):  # open loop: Poisson arrivals
                    due += self.rng.expovariate(rate)
                    if due >= until:
                        break
                    time.sleep(max(0.0, due - time.monotonic()))
                    self.scheduled = due
                try:
                    if phase.startswith("hello"):
                        self.call(phase, HELLO, BASE_HEADERS)
                    elif self.rng.random() < WRITE_SHARE:
                        self.write(phase)
                    else:
                        self.read(phase)
                except Exception as error:  # noqa: BLE001 — e.g. an answer not the JSON it should be
                    self.records["broken"].append(repr(error)[:200])
        barrier.wait()


def client_process(index: int, processes: int, threads: int, plan: dict, phases: list, barrier, out) -> None:
    """One client process: ``threads`` clients sharing what they know of the submissions' states.

    The process writes to every ``processes``-th submission only (its threads may still collide: 409);
    it reads them all."""
    known = {s["id"]: (s["status"], s["version"]) for s in plan["submissions"]}
    mine = plan["submissions"][index::processes] or plan["submissions"]
    records = {"requests": [], "reads": [], "writes": [], "broken": []}
    clients = [Client(plan, known, records, f"{index}-{i}", mine) for i in range(threads)]
    workers = [threading.Thread(target=c.run, args=(phases, barrier)) for c in clients]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    out.put(records)


# --- measuring and the figures ----------------------------------------------------------------------


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of a sorted list (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), math.ceil(q / 100 * len(sorted_values))))
    return sorted_values[rank - 1]


def stale_reads(reads: list[tuple], writes: list[tuple]) -> list[tuple]:
    """Reads whose version is older than a write whose answer arrived before the read started."""
    by_sid: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for sid, version, arrived in writes:
        by_sid[sid].append((arrived, version))
    floors: dict[int, tuple[list[float], list[int]]] = {}
    for sid, items in by_sid.items():
        items.sort()
        highest, running = [], 0
        for _, version in items:
            running = max(running, version)
            highest.append(running)
        floors[sid] = ([t for t, _ in items], highest)
    stale = []
    for sid, started, version in reads:
        if sid not in floors:
            continue
        times, highest = floors[sid]
        i = bisect.bisect_left(times, started)  # writes answered strictly before the read started
        if i and version < highest[i - 1]:
            stale.append((sid, started, version, highest[i - 1]))
    return stale


def load(plan: dict, clients: int, processes: int, seconds: float, warmup: float, hello: float, master: int):
    """Run the phases with the client processes: the records of all, each phase's span (from the
    barrier that starts it, its length) and the workers' CPU seconds from the mix's barrier to the
    next (the mix's requests, the last ones answered after the span included)."""
    phases = [("warmup", warmup), ("hello_before", hello), ("mix", seconds), ("hello_after", hello)]
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    barrier = context.Barrier(clients + 1, timeout=900)  # the clients and this process
    per = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    children = [
        context.Process(target=client_process, args=(i, processes, n, plan, phases, barrier, out))
        for i, n in enumerate(per)
        if n
    ]
    for child in children:
        child.start()
    spans, cpu = {}, {}
    for name, length in phases:
        barrier.wait()
        now = time.monotonic()
        spans[name] = (now, now + length)
        cpu[name] = worker_cpu_seconds(master)
    barrier.wait()
    cpu_mix = cpu["hello_after"] - cpu["mix"]
    records = {"requests": [], "reads": [], "writes": [], "broken": []}
    for _ in children:
        for key, values in out.get(timeout=300).items():
            records[key] += values
    for child in children:
        child.join()
    return records, spans, cpu_mix


def summarise(plan: dict, records: dict, spans: dict, cpu_mix: float, scale: int) -> tuple[list[dict], dict]:
    """Rows of the suite's format, one per request kind, then the whole mix; and the totals."""
    kinds = [HELLO, *(Kind(**k) for k in plan["reads"]), *(Kind(**k) for k in plan["writes"])]
    latencies: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    in_time: dict[str, int] = defaultdict(int)  # answered within the phase's span: the rate
    for phase, key, started, latency, status in records["requests"]:
        if phase == "warmup":
            continue
        key = "hello" if phase.startswith("hello") else key
        statuses[key][status] += 1
        in_time[key] += started + latency <= spans[phase][1]
        if status:
            latencies[key].append(latency * 1000)
    hello_s = sum(spans[p][1] - spans[p][0] for p in ("hello_before", "hello_after"))
    mix_s = spans["mix"][1] - spans["mix"][0]
    hello_rps = in_time["hello"] / hello_s if hello_s else None
    stale = stale_reads(records["reads"], records["writes"])
    size = f"{scale}× the seed (revision {plan['revision']}, {len(plan['submissions'])} writable submissions)"
    if plan.get("rate"):
        size += f", open loop at {plan['rate']:g} arrivals/s"
    rows, totals = [], {"requests": 0, "errors": 0, "conflicts": 0, "rejected": 0, "writes": 0}
    for kind in kinds:
        counts, values = statuses[kind.key], sorted(latencies[kind.key])
        n = sum(counts.values())
        errors = sum(c for s, c in counts.items() if s == 0 or s >= 500)
        conflicts = counts.get(409, 0) if kind in WRITES else 0
        rejected = sum(c for s, c in counts.items() if 400 <= s < 500) - conflicts
        if kind.key != "hello":
            totals["requests"] += n
            totals["errors"] += errors
            totals["conflicts"] += conflicts
            totals["rejected"] += rejected
            totals["writes"] += n if kind in WRITES else 0
        if not values:
            continue
        rps = in_time[kind.key] / (hello_s if kind.key == "hello" else mix_s)
        p95 = percentile(values, 95)
        ceiling = kind.key == "hello"
        target, met = None, None
        if scale >= 10 and not ceiling:
            target = f"p95 < {TARGET_P95_MS} ms; 0 errors; 0 stale reads"
            met = p95 < TARGET_P95_MS and errors == 0 and not stale
        notes = []
        if conflicts:
            notes.append(f"{conflicts} × 409 conflict")
        if rejected:
            notes.append(f"{rejected} other 4xx")
        if errors:
            notes.append(f"{errors} errors")
        rows.append(
            row(kind, size, rps, hello_rps, values, target, met, errors, notes, p95, conflicts, rejected)
        )
    mix_rps = sum(n for k, n in in_time.items() if k != "hello") / mix_s
    every = sorted(v for k, vs in latencies.items() if k != "hello" for v in vs)
    notes = [
        f"{totals['writes']} writes ({totals['conflicts']} × 409 conflict)",
        f"{totals['errors']} errors",
        f"{len(stale)} stale of {len(records['reads'])} reads checked",
    ]
    summary = Kind("all", "all requests of the mix", "", "", 0)
    target, met = None, None
    if scale >= 10:
        target = f"every page p95 < {TARGET_P95_MS} ms; 0 errors; 0 stale reads"
        met = all(r["met"] for r in rows if r["met"] is not None) and totals["errors"] == 0 and not stale
    p95 = percentile(every, 95)
    rows.append(
        row(
            summary,
            size,
            mix_rps,
            hello_rps,
            every,
            target,
            met,
            totals["errors"],
            notes,
            p95,
            totals["conflicts"],
            totals["rejected"],
        )
    )
    rows[-1]["worker_cpu_ms_per_request"] = round(cpu_mix * 1000 / max(totals["requests"], 1), 2)
    rows[-1]["stale_reads"] = len(stale)
    rows[-1]["reads_checked"] = len(records["reads"])
    totals["errors"] += len(records["broken"])
    totals.update(
        broken=records["broken"][:5],
        stale=stale,
        reads_checked=len(records["reads"]),
        mix_rps=mix_rps,
        hello_rps=hello_rps,
    )
    return rows, totals


def row(kind, size, rps, hello_rps, values, target, met, errors, notes, p95, conflicts, rejected) -> dict:
    """One row of the suite's web format (run_all renders ``rps`` rows in its web-load table)."""
    path = f" `{kind.method} {kind.path}`" if kind.path else ""
    what = f"mixed: {kind.what}{path}" + (f" ({'; '.join(notes)})" if notes else "")
    percentiles = (percentile(values, 50), p95, percentile(values, 99))
    result = web_row(what, size, "postgresql", rps, hello_rps, percentiles, target, met, kind.key == "hello")
    result.update(
        requests=len(values),
        errors=errors,
        conflicts=conflicts,
        rejected=rejected,
        load_average=round(os.getloadavg()[0], 2),
    )
    return result


def print_rows(rows: list[dict], totals: dict, header: str) -> None:
    print(header)
    print(
        f"  {'what':70s} {'req':>6s} {'req/s':>7s} {'× hello':>7s} {'p50':>8s} {'p95':>8s} {'p99':>8s}  met"
    )
    for r in rows:
        ratio = "" if r["rps_ratio"] is None else f"{r['rps_ratio']:.3f}"
        met = {True: "yes", False: "NO", None: ""}[r["met"]]
        print(
            f"  {r['what'][:70]:70s} {r['requests']:6d} {r['rps']:7.1f} {ratio:>7s} {r['p50_ms']:6.1f}ms "
            f"{r['p95_ms']:6.1f}ms {r['p99_ms']:6.1f}ms  {met}"
        )
    print(
        f"  mix {totals['mix_rps']:.1f} req/s against hello-world alone {totals['hello_rps'] or 0:.1f} req/s; "
        f"{totals['requests']} requests, {totals['writes']} writes, {totals['conflicts']} × 409 conflict "
        f"(expected), {totals['rejected']} other 4xx, {totals['errors']} errors (5xx, no answer); "
        f"stale reads {len(totals['stale'])} of {totals['reads_checked']} checked"
    )
    for error in totals["broken"]:
        print(f"  BROKEN (counted as an error): {error}")
    for sid, started, version, floor in totals["stale"][:10]:
        print(f"  STALE: submission {sid} read at {started:.3f} gave version {version} < {floor}")


def database_for(url: str, scale: int) -> str:
    """``…/bench_mixed_sixcore`` → ``…/bench_mixed_sixcore_10x``: one throw-away database per scale."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}_{scale}x"))


def run_scale(args: argparse.Namespace, scale: int) -> list[dict]:
    url = database_for(args.database_url, scale)
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, SIXCORE_HOME=home, PYTHONPATH=str(ROOT), ALLOWED_HOSTS="127.0.0.1")
        env.update(
            SIXCORE_PROFILE="production",
            DATABASE_URL=url,
            DJANGO_SETTINGS_MODULE="bench.web_settings",
            BENCH_CACHE="memory",
            SIXCORE_AS_OF=AS_OF,
        )
        started = time.perf_counter()
        credentials = prepare(env, url)
        done = subprocess.run(
            [sys.executable, "-c", SETUP, str(scale), PERIOD, OFFICER],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise SystemExit(f"setting up {PERIOD} failed:\n{done.stderr[-2000:]}")
        extra = json.loads(done.stdout.strip().splitlines()[-1])
        if not extra["submissions"]:
            raise SystemExit(f"no writable submission in {PERIOD}")
        plan = {**credentials, **extra, "port": args.port}
        plan["rate"], plan["rate_per_client"] = args.rate, (args.rate / args.clients if args.rate else None)
        plan["tokens"]["ndc"] = credentials["token"]
        plan["reads"] = [vars(k) for k in read_kinds(credentials["kpi_path"])]
        plan["writes"] = [vars(k) for k in WRITES]
        print(
            f"{scale}×: database {url.rsplit('/', 1)[1]} ready in {time.perf_counter() - started:.0f} s "
            f"(revision {plan['revision']}, {len(plan['submissions'])} writable submissions in {PERIOD}); "
            f"load average {os.getloadavg()}",
            flush=True,
        )
        with serve(env, args.port, args.workers) as server:
            records, spans, cpu_mix = load(
                plan, args.clients, args.processes, args.seconds, args.warmup, args.hello, server.pid
            )
    rows, totals = summarise(plan, records, spans, cpu_mix, scale)
    print_rows(
        rows,
        totals,
        f"{scale}×: gunicorn {args.workers} workers, PostgreSQL; "
        + (f"open loop, {args.rate:g} arrivals/s (Poisson), " if args.rate else "closed loop, ")
        + f"{args.clients} clients in {args.processes} "
        f"processes on the same {os.cpu_count()} cores as the server and PostgreSQL (a shared machine: "
        f"the clients' own CPU is in the figures); mix {args.seconds:g} s, hello-world {args.hello:g} s "
        f"before and after; load average {os.getloadavg()}:",
    )
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database-url", default=DEFAULT_DB, help="PostgreSQL; bench_*, recreated as …_<N>x")
    p.add_argument("--scales", default="1,10", help="comma-separated multiples of the seed program")
    p.add_argument("--clients", type=int, default=32)
    p.add_argument(
        "--processes", type=int, default=4, help="client processes (the clients are their threads)"
    )
    p.add_argument("--seconds", type=float, default=60, help="length of the mix")
    p.add_argument(
        "--rate",
        type=float,
        default=0,
        help="open loop: the mix's arrivals per second in all (Poisson); 0: closed loop, back to back",
    )
    p.add_argument("--hello", type=float, default=5, help="hello-world alone, before and after the mix")
    p.add_argument("--warmup", type=float, default=5, help="mix not counted, first")
    p.add_argument("--quick", action="store_true", help="a smoke test: 10 s of mix, 2 s phases")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--port", type=int, default=8771)
    p.add_argument("--json", default=None, help="write the rows of the suite's format to this file")
    args = p.parse_args()
    if args.quick:
        args.seconds, args.hello, args.warmup = 10, 2, 2
    rows = []
    for scale in (int(s) for s in args.scales.split(",")):
        rows += run_scale(args, scale)
    write_rows(args.json, rows)


if __name__ == "__main__":
    main()
