"""The contents of a revision's schedule tables: tasks, approaches and work items (a code repeated within a
table gets its occurrence number, ``CODE#2``), with the work items' lead and co-agencies.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from .. import models as plan
from ..datafiles import PlanData

if TYPE_CHECKING:
    from .program import ProgramWriter


def write_schedules(writer: ProgramWriter, data: PlanData, industry_of: dict, schedules: dict) -> None:
    task_rows, approach_specs = [], []
    for i in data.industries:
        industry = industry_of[i["code"]]
        for s in i["schedules"]:
            schedule = schedules[(industry.pk, s["code"])]
            for t in s["tasks"]:
                task_rows.append(
                    {
                        "schedule": schedule,
                        "seq": t["seq"],
                        "title": t["title"],
                        "targets": t["targets"],
                        "line": t["line"],
                        "notes": t["notes"],
                    }
                )
                approach_specs.append((schedule, t))
    tasks = writer.sync(
        plan.Task,
        plan.Task.objects.filter(schedule__industry__program=writer.program),
        task_rows,
        "schedule",
        "seq",
    )
    approach_rows, item_specs = [], []
    for schedule, t in approach_specs:
        task = tasks[(schedule.pk, t["seq"])]
        for n, a in enumerate(t["approaches"]):
            approach_rows.append(
                {
                    "task": task,
                    "code": a["code"],
                    "title": a["title"],
                    "line": a["line"],
                    "order": n,
                    "notes": a["notes"],
                }
            )
            item_specs.append((schedule, task, n, a))
    approaches = writer.sync(
        plan.Approach,
        plan.Approach.objects.filter(task__schedule__industry__program=writer.program),
        approach_rows,
        "task",
        "order",
    )
    item_rows, item_records = [], []
    occurrences: Counter[tuple[int, str]] = Counter()
    order: Counter[int] = Counter()
    for schedule, task, n, a in item_specs:
        for wi in a["work_items"]:
            occurrences[(schedule.pk, wi["code"])] += 1
            count = occurrences[(schedule.pk, wi["code"])]
            order[schedule.pk] += 1
            item_rows.append(
                {
                    "schedule": schedule,
                    "approach": approaches[(task.pk, n)],
                    "code": wi["code"] if count == 1 else f"{wi['code']}#{count}",
                    "code_in_source": wi["code_in_source"],
                    "inferred": wi["inferred"],
                    "title": wi["title"],
                    "period_text": wi["period"],
                    "start": wi["start"],
                    "end": wi["end"],
                    "line": wi["line"],
                    "order": order[schedule.pk],
                    "notes": wi["notes"],
                }
            )
            item_records.append(wi)
    items = writer.sync(
        plan.WorkItem,
        plan.WorkItem.objects.filter(schedule__industry__program=writer.program),
        item_rows,
        "schedule",
        "code",
    )
    for row, wi in zip(item_rows, item_records, strict=True):
        item = items[(row["schedule"].pk, row["code"])]
        writer.link(plan.WorkItemAgency, "work_item", item, wi["lead"], role="lead")
        writer.link(plan.WorkItemAgency, "work_item", item, wi["co"], role="co")
