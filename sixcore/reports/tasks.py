"""Background generation of report files on Django's Tasks framework (django-tasks + django-tasks-db).

A PDF takes seconds of CPU: a web worker must not wait for it. The request enqueues ``generate_report``
and redirects to the task's page, which refreshes itself until the file is there. The queue is a table
in the database (django-tasks-db) worked by ``sixcore db_worker`` processes (``make run`` starts one;
deployments run deploy/sixcore-worker.service), so any app server can queue a report and any can serve
it. Files live under ``MEDIA_ROOT/reports`` (shared storage, served only through the permission-checked
view) and are deleted a day later, with their task rows.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django_tasks import TaskResultStatus, task, task_backends
from django_tasks.exceptions import TaskResultDoesNotExist
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from sixcore.accounts.policy import is_ndc

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=10)  # a task "running" longer than this has lost its worker
KEEP_FOR = timedelta(days=1)  # files and finished task rows are deleted after this
PENDING = (TaskResultStatus.READY, TaskResultStatus.RUNNING)


def scope_of(user) -> str:
    """Whose view of the data a report for ``user`` holds: ``ndc`` (every submission), ``public``
    (approved ones, anonymous) or ``user:<id>`` (approved ones, as that user sees them). Only a
    requester of the same scope may fetch the file."""
    if is_ndc(user):
        return "ndc"
    if user is None or not user.is_authenticated:
        return "public"
    return f"user:{user.pk}"


def file_path(result_id: str, fmt: str) -> Path:
    return Path(settings.MEDIA_ROOT) / "reports" / f"{result_id}.{fmt}"


@task(takes_context=True)
def generate_report(context, period_id: int, fmt: str, scope: str) -> dict:
    """Write the report of ``period_id`` as ``scope`` sees it; returns its download name and size.
    The file is written under a temporary name and renamed, so a half-written file is never served."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import AnonymousUser

    from sixcore.progress.models import ReportingPeriod

    from .builder import build_quarterly_report
    from .formats import render_report, report_filename

    started = time.perf_counter()
    period = ReportingPeriod.objects.get(pk=period_id)
    if scope == "ndc":
        report = build_quarterly_report(period)
    else:
        user_id = scope.removeprefix("user:") if scope.startswith("user:") else None
        user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
        report = build_quarterly_report(period, user or AnonymousUser(), published_only=True)
    content = render_report(report, fmt)
    path = file_path(context.task_result.id, fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".part")
    partial.write_bytes(content)
    partial.replace(path)
    logger.info("report %s %s (%s) in %.1f s", period_id, fmt, scope, time.perf_counter() - started)
    return {"filename": report_filename(report, fmt), "size": len(content)}


def _stored_results():
    """The task rows of ``generate_report`` when the queue is the database (else None: another
    backend keeps its own records, and identical requests are then not shared)."""
    backend = task_backends[generate_report.backend]
    if not isinstance(backend, DatabaseBackend):
        return None
    return DBTaskResult.objects.filter(task_path=generate_report.module_path, backend_name=backend.alias)


def request_report(period, fmt: str, user):
    """The pending task for this period, format and scope, or a new one. Identical requests (a double
    click, two officers of NDC) share one file instead of each generating it."""
    scope = scope_of(user)
    args = [period.pk, fmt, scope]
    stored = _stored_results()
    if stored is not None:
        _prune(stored)
        pending = (
            stored.filter(status__in=PENDING, args_kwargs={"args": args, "kwargs": {}})
            .exclude(status=TaskResultStatus.RUNNING, started_at__lt=timezone.now() - STALE_AFTER)
            .order_by("enqueued_at")
            .first()
        )
        if pending is not None:
            return pending.task_result
    return generate_report.enqueue(*args)


def report_result(result_id: str):
    """The task's result, or None when there is no such task."""
    try:
        return generate_report.get_result(str(result_id))
    except TaskResultDoesNotExist:
        return None


def state_of(result) -> str:
    """``queued``, ``running``, ``done`` or ``failed`` (a task running for longer than
    ``STALE_AFTER`` lost its worker: failed)."""
    if result.status == TaskResultStatus.SUCCESSFUL:
        return "done"
    if result.status == TaskResultStatus.READY:
        return "queued"
    if result.status == TaskResultStatus.RUNNING and timezone.now() - result.started_at < STALE_AFTER:
        return "running"
    return "failed"


def _prune(stored) -> None:
    """Delete report files and task rows older than ``KEEP_FOR`` (a queued one waits for a worker)."""
    cutoff = timezone.now() - KEEP_FOR
    folder = Path(settings.MEDIA_ROOT) / "reports"
    if folder.is_dir():
        for path in folder.iterdir():
            if path.is_file() and path.stat().st_mtime < cutoff.timestamp():
                path.unlink(missing_ok=True)
    stored.filter(enqueued_at__lt=cutoff).exclude(status=TaskResultStatus.READY).delete()
