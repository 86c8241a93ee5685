"""Background generation of report files: the web request queues a :class:`ReportJob` and returns at once.

A PDF of the seed program costs ≈ 5 s of CPU (81 pages); with sync gunicorn workers a request doing
that holds a worker for the whole time, and a few of them at once would stall the site. So the view
only records a job and starts a worker *process* (``sixcore report job``, detached from the request,
scheduled by the OS like any other process). A worker claims queued jobs one at a time (an atomic
``UPDATE … WHERE status = 'queued'``) until none is left, so at most ``CONCURRENCY`` workers run at
once across all app servers; the browser polls the job's page and downloads the file when it is done.
Files live under ``MEDIA_ROOT/reports`` (shared storage, never served directly) and are deleted a day
after generation.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sixcore.accounts.policy import is_ndc

from .models import ReportJob

logger = logging.getLogger(__name__)

CONCURRENCY = 2  # worker processes generating reports at once (the machine has 2 cores)
STALE_AFTER = timedelta(minutes=10)  # a running job older than this has lost its worker
REDISPATCH_AFTER = timedelta(seconds=30)  # a job queued this long gets another worker started
KEEP_FOR = timedelta(days=1)  # finished jobs and their files are deleted after this
Status = ReportJob.Status


def scope_of(user) -> str:
    """Whose view of the data a report for ``user`` holds (see :class:`ReportJob`)."""
    if is_ndc(user):
        return "ndc"
    if user is None or not user.is_authenticated:
        return "public"
    return f"user:{user.pk}"


def file_path(job: ReportJob) -> Path:
    return Path(settings.MEDIA_ROOT) / "reports" / f"{job.pk}.{job.fmt}"


def _active():
    """Jobs that still count: queued, or running with a worker that has not timed out."""
    from django.db.models import Q

    fresh = timezone.now() - STALE_AFTER
    return ReportJob.objects.filter(Q(status=Status.QUEUED) | Q(status=Status.RUNNING, started__gte=fresh))


def request_job(period, fmt: str, user) -> ReportJob:
    """The queued or running job for this period, format and scope, or a new queued one; starts a worker
    (once the job is committed, so the worker sees it) if fewer than ``CONCURRENCY`` are running.
    Identical requests share one job instead of each generating the same file."""
    scope = scope_of(user)
    _expire()
    with transaction.atomic():
        job = _active().filter(period=period, fmt=fmt, scope=scope).order_by("created").first()
        if job is None:
            job = ReportJob.objects.create(
                period=period,
                fmt=fmt,
                scope=scope,
                requested_by=user if scope.startswith("user:") else None,
            )
        transaction.on_commit(dispatch)
    return job


def dispatch() -> None:
    """Start a worker process if jobs are queued and fewer than ``CONCURRENCY`` are running."""
    active = _active()
    if (
        active.filter(status=Status.QUEUED).exists()
        and active.filter(status=Status.RUNNING).count() < CONCURRENCY
    ):
        launch()


def launch() -> None:
    """Start ``sixcore report job`` as a separate process with this process's settings and environment.

    It outlives the request; a daemon thread waits for it so no zombie is left behind. Tests replace
    this with a direct call of :func:`run_pending` (their database is not visible to a subprocess).
    """
    process = subprocess.Popen(  # noqa: S603 - fixed arguments, our own interpreter
        [sys.executable, "-m", "sixcore.cli", "report", "job"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=None,  # errors go to the server's log
        start_new_session=True,
        close_fds=True,
    )
    threading.Thread(target=process.wait, daemon=True, name=f"report-worker-{process.pid}").start()


def _claim() -> ReportJob | None:
    """Take the oldest queued job (one UPDATE, so two workers never take the same job)."""
    if (
        ReportJob.objects.filter(status=Status.RUNNING, started__gte=timezone.now() - STALE_AFTER).count()
        >= CONCURRENCY
    ):
        return None  # every slot is taken (two requests raced): the running workers take it later
    for pk in (
        ReportJob.objects.filter(status=Status.QUEUED).order_by("created").values_list("pk", flat=True)[:5]
    ):
        claimed = ReportJob.objects.filter(pk=pk, status=Status.QUEUED).update(
            status=Status.RUNNING, started=timezone.now(), worker_pid=os.getpid()
        )
        if claimed:
            return ReportJob.objects.select_related("period", "requested_by").get(pk=pk)
    return None


def run_job(job: ReportJob) -> None:
    """Generate the job's file from the current data (written to a temporary name, then renamed)."""
    from django.contrib.auth.models import AnonymousUser

    from .builder import build_quarterly_report
    from .formats import render_report, report_filename

    started = time.perf_counter()
    try:
        if job.scope == "ndc":
            report = build_quarterly_report(job.period)
        else:
            user = job.requested_by or AnonymousUser()
            report = build_quarterly_report(job.period, user, published_only=True)
        content = render_report(report, job.fmt)
        path = file_path(job)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(path.suffix + ".part")
        partial.write_bytes(content)
        partial.replace(path)
    except Exception as error:  # a failed job must say so, not stay "running"
        logger.exception("report job %s failed", job.pk)
        job.status, job.error = Status.FAILED, f"{type(error).__name__}: {error}"[:2000]
    else:
        job.status, job.size = Status.DONE, len(content)
        job.filename = report_filename(report, job.fmt)
    job.finished = timezone.now()
    job.seconds = round(time.perf_counter() - started, 3)
    job.save(update_fields=["status", "error", "size", "filename", "finished", "seconds"])


def run_pending() -> int:
    """The worker's loop: run queued jobs until none is left; returns how many ran."""
    done = 0
    while (job := _claim()) is not None:
        run_job(job)
        done += 1
    return done


def _expire() -> None:
    """Fail jobs whose worker died; delete finished jobs (and files) older than ``KEEP_FOR``."""
    now = timezone.now()
    ReportJob.objects.filter(status=Status.RUNNING, started__lt=now - STALE_AFTER).update(
        status=Status.FAILED, finished=now, error="worker timed out"
    )
    old = ReportJob.objects.filter(created__lt=now - KEEP_FOR).exclude(
        status__in=[Status.QUEUED, Status.RUNNING]
    )
    for job in old:
        file_path(job).unlink(missing_ok=True)
    old.delete()
