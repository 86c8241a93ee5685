"""Benchmark importing 1,000 agency Excel uploads (target: under 10 s in total on SQLite).

Setup, in a fresh process on a temporary, migrated SQLite database (as bench_plan_load.py does): the real
program is loaded (with ``--scale N`` > 1, bench/portfolio.py's N× synthetic revision is built on top
and is the plan in force, so every agency's workbook is N× larger), every period's submissions are
created, every period is made writable, and one editor per reporting agency is created; the database
is then snapshotted.

The uploads are generated deterministically, round after round over every (period, agency) of the
program. Each (period, agency) workbook is the real download (``excel.build_workbook``), built once;
every upload is that workbook with every input cell refilled with seeded random values, written into
the sheet XML directly (narratives, KPI actuals and 是/否, work-item progress and status with
落後原因/因應對策 wherever an item lags and a completion date — a date serial in a date-formatted cell —
where it is done, budget unit and amounts), its texts as shared strings, as Excel saves them. The hidden
sheet carries the versions and content hashes of the state the previous round left, exactly as a fresh
download would, so each upload is a full quarterly report that changes data and is accepted; the
generator imports each upload before building the next to get there (untimed).

Each timed run starts a fresh process on a copy of the snapshot and imports the uploads in order
(reading, validating everything, writing through the all-or-nothing path); only ``import_workbook`` is
timed, in wall and CPU time. Reports the median of ``--repeat`` runs.

    python bench/bench_excel_import.py --files 1000 --repeat 5 [--scale 10 --files 100] [--json PATH]
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
TARGET_S = 10.0  # for 1,000 uploads at scale 1

GENERATE = r"""
import io, json, os, random, re, sys, time, zipfile
from collections import defaultdict
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sixcore.settings")
django.setup()
from django.core.management import call_command
from django.db import connection
call_command("migrate", "--noinput", verbosity=0)
from sixcore.accounts.choices import Role
from sixcore.accounts.models import Agency, User
from sixcore.plan.loader import load_program
from sixcore.progress import excel
from sixcore.progress.models import ReportingPeriod, Submission
from sixcore.progress.services import ensure_submissions

out, count, scale = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
load_program()
if scale > 1:
    sys.path.insert(0, os.path.join(os.environ["PYTHONPATH"], "bench"))
    from portfolio import build_portfolio
    build_portfolio(scale)
ReportingPeriod.objects.update(grace_days=3650)
periods = list(ReportingPeriod.objects.order_by("roc_year", "quarter"))
for period in periods:
    ensure_submissions(period)
agency_ids = sorted(set(Submission.objects.values_list("agency_id", flat=True)))
agencies = {a.pk: a for a in Agency.objects.filter(pk__in=agency_ids)}
users = {}
for pk, agency in agencies.items():
    users[pk] = User.objects.create(username=f"bench_{agency.code}", role=Role.AGENCY_EDITOR, agency=agency)
pairs = set(Submission.objects.values_list("period_id", "agency_id"))
combos = [(p, agencies[a]) for p in periods for a in agency_ids if (p.pk, a) in pairs]
connection.close()
with connection.cursor() as cursor:
    cursor.execute("VACUUM INTO %s", [str(out / "snapshot.sqlite3")])

STATUS_LABELS = list(excel.WORK_STATUS_LABELS.values())
LAGGING, DONE = excel.WORK_STATUS_LABELS["lagging"], excel.WORK_STATUS_LABELS["done"]
WORDS = "完成 補助 審查 計畫 推動 研發 驗證 廠商 合作 技術 人才 培育 國際 標準 試驗 場域 建置 投資 產值 輔導".split()
CELL = re.compile(r'<c r="([A-Z]+)(\d+)"([^>]*?)(?:/>|>(.*?)</c>)', re.S)
STYLE = re.compile(r'\ss="(\d+)"')
VALUE = re.compile(r"<v>([^<]*)</v>")
SHEET_PARTS = {}  # sheet name -> part path, the same for every download
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def text(rng, low, high):
    return "".join(rng.choice(WORDS) for _ in range(rng.randint(low, high))) + "。"


def excel_serial(day):
    return (day - date(1899, 12, 30)).days


class Template:
    # One real download of a (period, agency): its zip parts and, per data sheet, its cells by row.
    def __init__(self, period, agency, user):
        self.period = period
        data = excel.build_workbook(period, agency, user)
        archive = zipfile.ZipFile(io.BytesIO(data))
        self.parts = {name: archive.read(name) for name in archive.namelist()}
        if not SHEET_PARTS:
            workbook = self.parts["xl/workbook.xml"].decode()
            rels = dict(re.findall(r'Target="/?([^"]+)" Id="(rId\d+)"', self.parts["xl/_rels/workbook.xml.rels"].decode()))
            rels = {rid: target for target, rid in rels.items()}
            for name, rid in re.findall(r'name="([^"]+)" sheetId="\d+" state="\w+" r:id="(rId\d+)"', workbook):
                SHEET_PARTS[name] = rels[rid]
        self.planned = {}  # work sheet row -> planned percent (a reference column of the download)
        for letter, row, attrs, inner in CELL.findall(self.sheet(excel.SHEET_WORK)):
            if letter == "E" and inner and (v := VALUE.search(inner)):
                self.planned[int(row)] = float(v.group(1))

    def sheet(self, name):
        return self.parts[SHEET_PARTS[name]].decode()


class Upload:
    def __init__(self):
        self.strings, self.index = [], {}

    def string(self, value):
        if value not in self.index:
            self.index[value] = len(self.strings)
            self.strings.append(value)
        return self.index[value]

    def cell(self, ref, style, value):
        s = f' s="{style}"' if style else ""
        if value is None or value == "":
            return f'<c r="{ref}"{s}/>'
        if isinstance(value, str):
            return f'<c r="{ref}"{s} t="s"><v>{self.string(value)}</v></c>'
        return f'<c r="{ref}"{s}><v>{value}</v></c>'

    def sst(self):
        items = "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in self.strings)
        return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="{MAIN}" '
                f'count="{len(self.strings)}" uniqueCount="{len(self.strings)}">{items}</sst>').encode()


def values(spec, rng, row, template):
    # The input columns of one data row, by column letter: seeded random, as an agency fills them.
    letters = {c.field: excel.get_column_letter(i) for i, c in enumerate(spec.columns, start=1) if c.field}
    if spec.kind == "measures":
        v = {"progress": text(rng, 10, 60), "highlights": text(rng, 5, 30), "next_quarter": text(rng, 5, 30)}
    elif spec.kind == "kpis":
        v = {"value": rng.randint(0, 50000) / 100, "done": excel.YES if rng.random() < 0.5 else excel.NO,
             "evidence": text(rng, 3, 15), "note": ""}
    elif spec.kind == "work_items":
        status = rng.choice(STATUS_LABELS)
        percent = rng.randint(0, 10000) / 100
        planned = template.planned.get(row)
        behind = status == LAGGING or (planned is not None and planned - percent >= 10)
        v = {"status": status, "percent": percent,
             "lag_reason": text(rng, 3, 12) if behind else "", "remedy": text(rng, 3, 12) if behind else "",
             "completed_on": excel_serial(template.period.end) if status == DONE else None}
    else:
        annual = rng.randint(100, 100000) / 10
        allocated = round(annual * rng.randint(0, 100) / 100, 4)
        v = {"unit": rng.choice(["億元", "千元"]), "annual_budget": annual, "allocated": allocated,
             "executed": round(allocated * rng.randint(0, 100) / 100, 4)}
    return {letters[name]: value for name, value in v.items()}


def fill_sheet(xml, spec, rng, template, upload):
    rows = {}

    def replace(match):
        letter, row, attrs, _ = match.groups()
        row = int(row)
        if row < excel.FIRST_DATA_ROW:
            return match.group(0)
        if row not in rows:
            rows[row] = values(spec, rng, row, template)
        if letter not in rows[row]:
            return match.group(0)
        style = STYLE.search(attrs)
        return upload.cell(f"{letter}{row}", style and style.group(1), rows[row][letter])

    return CELL.sub(replace, xml)


def fill_meta(xml, state, upload):
    # The hidden sheet's version and content columns as a download of the current state would have them.
    def replace(match):
        letter, row, attrs, inner = match.groups()
        sid = state["rows"].get(int(row))
        if sid is None:
            return match.group(0)
        style = STYLE.search(attrs)
        if letter == "C":
            return upload.cell(f"C{row}", style and style.group(1), state["version"][sid])
        if letter == "D":
            return upload.cell(f"D{row}", style and style.group(1), state["content"][sid])
        return match.group(0)

    return CELL.sub(replace, xml)


def build(index, template, state):
    rng = random.Random(index)
    upload = Upload()
    parts = dict(template.parts)
    for spec in excel.SHEETS:
        parts[SHEET_PARTS[spec.name]] = fill_sheet(template.sheet(spec.name), spec, rng, template, upload).encode()
    parts[SHEET_PARTS[excel.SHEET_META]] = fill_meta(template.sheet(excel.SHEET_META), state, upload).encode()
    parts["xl/sharedStrings.xml"] = upload.sst()
    types = template.parts["[Content_Types].xml"].decode()
    parts["[Content_Types].xml"] = types.replace(
        "</Types>", f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SST_TYPE}"/></Types>').encode()
    rels = template.parts["xl/_rels/workbook.xml.rels"].decode()
    parts["xl/_rels/workbook.xml.rels"] = rels.replace(
        "</Relationships>", f'<Relationship Type="{SST_REL}" Target="sharedStrings.xml" Id="rIdSst"/></Relationships>').encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def meta_state(template):
    # submission id, version and content hash by row of the hidden sheet, as downloaded
    state = {"rows": {}, "version": {}, "content": {}}
    cells = defaultdict(dict)
    for letter, row, attrs, inner in CELL.findall(template.sheet(excel.SHEET_META)):
        cells[int(row)][letter] = inner
    for row, found in cells.items():
        if row >= 5 and "A" in found and (v := VALUE.search(found["A"])):
            sid = int(v.group(1))
            state["rows"][row] = sid
            state["version"][sid] = int(VALUE.search(found["C"]).group(1))
            state["content"][sid] = re.search(r"<t>([^<]*)</t>", found["D"]).group(1)
    return state


templates, states, manifest, elapsed, fields = {}, {}, [], 0.0, 0
t_build = time.perf_counter()
for index in range(count):
    period, agency = combos[index % len(combos)]
    user = users[agency.pk]
    key = (period.pk, agency.pk)
    if key not in templates:
        templates[key] = Template(period, agency, user)
        states[key] = meta_state(templates[key])
    data = build(index, templates[key], states[key])
    name = f"{index:04d}.xlsx"
    (out / name).write_bytes(data)
    manifest.append([name, user.username])
    t0 = time.perf_counter()
    result = excel.import_workbook(data, user)
    elapsed += time.perf_counter() - t0
    assert result.ok and result.changed, (name, [p.as_dict() for p in result.problems[:5]])
    fields += sum(o.fields_changed for o in result.changed)
    # The next download of this (period, agency) carries the new versions and content hashes.
    changed = [o.submission_id for o in result.changed]
    units = excel._load_units(list(Submission.objects.filter(pk__in=changed)))
    for o in result.changed:
        states[key]["version"][o.submission_id] = o.version_after
        states[key]["content"][o.submission_id] = excel._state_hash(units[o.submission_id].lines)
(out / "manifest.json").write_text(json.dumps(manifest))
sizes = [(out / n).stat().st_size for n, _ in manifest]
print(json.dumps({"files": count, "combos": len(combos), "fields": fields, "generation_import": elapsed,
                  "generation_s": time.perf_counter() - t_build, "templates": len(templates),
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
c0, t0 = time.process_time(), time.perf_counter()
for data, user in files:
    # Each upload is its own request: forget what the policy memoised on the user object.
    user.__dict__.pop("_sixcore_agency_scope", None)
    result = excel.import_workbook(data, user)
    assert result.ok and result.changed, result.problems[:5]
total, cpu = time.perf_counter() - t0, time.process_time() - c0
sample = files[:200]
t1 = time.perf_counter()
for data, _ in sample:
    excel._read_workbook(data)
read = (time.perf_counter() - t1) / len(sample) * len(files)
print(json.dumps({"total_s": total, "cpu_s": cpu, "per_upload_ms": total / len(files) * 1000,
                  "cpu_per_upload_ms": cpu / len(files) * 1000, "reading_est_s": read,
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
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--scale", type=int, default=1, help="N× synthetic portfolio (bench/portfolio.py)")
    parser.add_argument("--json", metavar="PATH", help="also write the result rows (issue #8 format) here")
    args = parser.parse_args()
    from _db import command_line  # bench/ is the script's directory, first on sys.path

    command = command_line()  # without --json PATH
    with tempfile.TemporaryDirectory() as work:
        files = Path(work) / "files"
        files.mkdir()
        generated = child(GENERATE, str(Path(work) / "gen"), str(files), str(args.files), str(args.scale))
        runs = []
        for run in range(args.repeat):
            home = Path(work) / f"run{run}"
            home.mkdir()
            shutil.copy(files / "snapshot.sqlite3", home / "sixcore.sqlite3")
            runs.append(child(IMPORT, str(home), str(files)))
    total = statistics.median(r["total_s"] for r in runs)
    load = os.getloadavg()
    print(f"command: {command}")
    print(
        f"Excel import on SQLite, scale {args.scale}, {generated['files']} agency uploads "
        f"({generated['combos']} period×agency, mean {generated['mean_kb']:.0f} KB, max {generated['max_kb']:.0f} KB, "
        f"{generated['fields']} fields written; generated in {generated['generation_s']:.0f} s), "
        f"median of {args.repeat} fresh-process runs ({platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}):"
    )
    for key in runs[0]:
        values = [r[key] for r in runs]
        unit = key.rsplit("_", 1)[-1]
        print(
            f"  {key:18s} {statistics.median(values):9.3f} {unit}   (min {min(values):.3f}, max {max(values):.3f})"
        )
    per_thousand = total / generated["files"] * 1000
    met = per_thousand < TARGET_S if args.scale == 1 else None
    if met is not None:
        print(
            f"  target: 1,000 imports under {TARGET_S:.0f} s -> {per_thousand:.2f} s per 1,000: "
            f"{'met' if met else 'NOT met'}"
        )
    if args.json:
        row = {
            "what": "Excel import (agency uploads: read, validate, write with audit trail)",
            "size": f"{generated['files']} uploads, scale {args.scale} "
            f"({generated['combos']} period×agency, mean {generated['mean_kb']:.0f} KB)",
            "database": "sqlite",
            "ours_s": total,
            "runs": args.repeat,
            "reference": None,
            "reference_s": None,
            "ratio": None,
            "target": f"1,000 uploads under {TARGET_S:.0f} s" if args.scale == 1 else None,
            "met": met,
            "command": command,
        }
        Path(args.json).write_text(json.dumps([row], ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
