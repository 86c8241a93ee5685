"""The system's "today". The program ran 110–113 and today is later, so the cycle can run "as of" a date.

Order: an ``as_of()`` block (the demo generator replays past quarters), the ``SIXCORE_AS_OF``
environment variable (ISO date, for scripts and tests), then the as-of date stored by NDC
(``CycleSettings``, set by ``sixcore demo``), else the real date in Asia/Taipei.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time

from django.utils import timezone

_override: ContextVar[date | None] = ContextVar("sixcore_as_of", default=None)


def today() -> date:
    """The date deadlines and locks are judged against."""
    if (value := _override.get()) is not None:
        return value
    if value := os.environ.get("SIXCORE_AS_OF"):
        return date.fromisoformat(value)
    from .models import CycleSettings

    as_of = CycleSettings.objects.values_list("as_of", flat=True).first()
    return as_of or timezone.localdate()


def override() -> date | None:
    """The date of the enclosing ``as_of()`` block, if any."""
    return _override.get()


def now() -> datetime:
    """Timestamps of workflow steps: today's date (as of) with the current time of day."""
    real = timezone.localtime()
    day = today()
    if day == real.date():
        return real
    return timezone.make_aware(datetime.combine(day, time(real.hour, real.minute, real.second)))


@contextmanager
def as_of(day: date) -> Iterator[None]:
    """Run a block as if today were ``day``."""
    token = _override.set(day)
    try:
        yield
    finally:
        _override.reset(token)
