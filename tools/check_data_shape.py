"""Quick structural check of the plan data files (for transcribers; `sixcore plan load` is the real validator).

Usage: python tools/check_data_shape.py sixcore/plan/data/kpis_1.yaml [...]
"""

import re
import sys

import yaml

YEARS = ("110", "111", "112", "113")


def fail(path: str, where: str, msg: str) -> None:
    sys.stderr.write(f"{path}: {where}: {msg}\n")
    fail.count += 1


fail.count = 0


def need(path, rec, keys, where):
    for k in keys:
        if k not in rec:
            fail(path, where, f"missing key {k!r}")


def check_kpis(path, doc):
    need(path, doc, ["industry", "strategies"], "top")
    codes = []
    for s in doc.get("strategies", []):
        w = f"strategy {s.get('label')}"
        need(path, s, ["seq", "label", "name", "line", "measures"], w)
        for m in s.get("measures", []):
            w = f"measure {m.get('code')}"
            need(path, m, ["code", "code_as_written", "name", "agencies", "schedule", "line", "kpis"], w)
            if not re.fullmatch(r"\d\.\d+", str(m.get("code"))):
                fail(path, w, "code must be N.M")
            for k in m.get("kpis", []):
                w = f"kpi {k.get('code')}"
                need(path, k, ["code", "line", "full_term", "annual"], w)
                codes.append(k.get("code"))
                ann = k.get("annual") or {}
                if sorted(ann) != list(YEARS):
                    fail(path, w, f"annual must have exactly {YEARS}, has {sorted(ann)}")
                for y, v in ann.items():
                    if isinstance(v, dict):
                        if set(v) != {"merged_with"}:
                            fail(path, w, f"annual {y}: dict must be {{merged_with: code}}")
                    elif not isinstance(v, str):
                        fail(path, w, f"annual {y}: must be a string (quote it), got {type(v).__name__}")
                if not isinstance(k.get("full_term"), str):
                    fail(path, w, "full_term must be a string")
    print(f"{path}: {len(codes)} KPIs: {' '.join(map(str, codes))}")


def check_schedules(path, doc):
    need(path, doc, ["industry", "schedules"], "top")
    n_items = 0
    for t in doc.get("schedules", []):
        w = f"schedule {t.get('code')}"
        need(path, t, ["code", "title", "heading_agencies", "measures", "line", "tasks"], w)
        for task in t.get("tasks", []):
            w2 = f"{w} task {task.get('seq')}"
            need(path, task, ["seq", "title", "targets", "line", "approaches"], w2)
            for a in task.get("approaches", []):
                w3 = f"{w2} approach {a.get('code')}"
                need(path, a, ["code", "title", "line", "work_items"], w3)
                for wi in a.get("work_items", []):
                    w4 = f"{w} work item {wi.get('code')}"
                    need(path, wi, ["code", "title", "period", "lead", "co", "line"], w4)
                    if not isinstance(wi.get("period"), str):
                        fail(path, w4, "period must be a string (quote it)")
                    n_items += 1
        print(f"{path}: {t.get('code')}: {len(t.get('tasks', []))} tasks")
    print(f"{path}: {n_items} work items")


for p in sys.argv[1:]:
    with open(p, encoding="utf-8") as fh:
        d = yaml.safe_load(fh)
    if "schedules" in d:
        check_schedules(p, d)
    else:
        check_kpis(p, d)
sys.exit(1 if fail.count else 0)
