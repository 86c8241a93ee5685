"""A quarterly report generated in the background (the PDF: seconds of CPU, too long for a request)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class ReportJob(models.Model):
    """One generation of a report file, run by a worker process (``sixcore report job``).

    ``scope`` says whose view of the data the file holds: ``ndc`` (every submission), ``public``
    (approved only, anonymous) or ``user:<id>`` (approved only, as that user sees them); only a
    requester with the same scope may fetch the file. Jobs are not reused once finished: every
    request for a new file generates it from the current data.
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    period = models.ForeignKey("progress.ReportingPeriod", on_delete=models.CASCADE, related_name="+")
    fmt = models.CharField(max_length=8)
    scope = models.CharField(max_length=40)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    worker_pid = models.IntegerField(null=True, blank=True)
    filename = models.CharField(max_length=200, blank=True)  # the download's name
    size = models.PositiveIntegerField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)  # generation time, for the record
    error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "created"])]

    def __str__(self) -> str:
        return f"{self.period_id} {self.fmt} {self.scope} {self.status}"
