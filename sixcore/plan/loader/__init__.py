"""Write validated plan data (``datafiles.PlanData``) into the database, in one transaction.

Loading is idempotent: objects are matched by natural keys (industry code, measure code, schedule code,
work-item code, KPI code with its occurrence), changed fields are updated, new objects created and
objects no longer in the data deleted. Primary keys of unchanged objects therefore survive a reload, so
what later refers to them (submissions, revisions) stays attached.

A package by step: ``sync`` (one model's rows matched by natural key, in bulk), ``agencies`` (the agency
register and the names the data uses), ``program`` (the revision's tree, level by level, and the agency
links), ``kpis`` (KPIs, annual targets and their shared cells) and ``schedules`` (tasks, approaches and
work items). ``load_program`` runs them in one transaction.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from .. import models as plan
from ..datafiles import PlanData, read_plan_files
from ..signals import plan_changed
from .agencies import sync_agencies
from .program import ProgramWriter
from .sync import Key, LoadStats, sync

__all__ = ["LoadStats", "load_program"]


def load_program(data: PlanData | None = None, *, force: bool = False) -> tuple[plan.Program, LoadStats]:
    """Load the data files as revision 0 of the program. Nothing is written if anything fails."""
    data = data or read_plan_files()
    stats = LoadStats()
    with transaction.atomic():
        program = plan.Program.objects.filter(revision=data.program["revision"]).first()
        if program and program.content_hash == data.content_hash and not force:
            stats.unchanged = True
            return program, stats
        agencies = sync_agencies(data, stats)
        program = sync(
            plan.Program,
            plan.Program.objects.filter(revision=data.program["revision"]),
            [
                {
                    "revision": data.program["revision"],
                    "name": data.program["name"],
                    "title": data.program["title"],
                    "revision_date": date.fromisoformat(data.program["revision_date"]),
                    "start_year": data.program["start_year"],
                    "end_year": data.program["end_year"],
                    "source": data.program["source"],
                    "total_budget_text": data.program["total_budget_text"],
                    "content_hash": data.content_hash,
                    "loaded_at": timezone.now(),
                }
            ],
            key=Key("revision"),
            stats=stats,
            delete=False,
        )[(data.program["revision"],)]
        ProgramWriter(program, agencies, stats).write(data)
        from sixcore.core.changelog import record_action

        record_action(
            program,
            "plan.load",
            message=f"created {dict(stats.created)}, updated {dict(stats.updated)}, deleted {dict(stats.deleted)}",
            postchange={"content_hash": data.content_hash},
        )
        plan_changed.send(plan.Program, since=None)
    return program, stats
