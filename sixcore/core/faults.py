"""Fault injection for the reliability tests (tests/test_fault.py): a request that hangs mid-transaction.

Active only in a server started with ``SIXCORE_FAULT_INJECT=1`` (settings.py then adds the middleware;
the production profile refuses it). A request carrying the header ``X-Sixcore-Fault: hang-after-update=N``
runs normally until its N-th ``UPDATE`` of a table of the quarterly cycle (``progress_*``), which it
executes, then — still inside the write transaction — writes the file named by ``SIXCORE_FAULT_MARKER``
(so the test knows where the server is) and sleeps, until the test kills the server. No code of the
write path knows about it: it sits on the database connection (``connection.execute_wrapper``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.http import HttpRequest, HttpResponse

FAULT_HEADER = "X-Sixcore-Fault"
HANG_SECONDS = 600


class HangAfterUpdates:
    """``execute_wrapper``: after the ``n``-th UPDATE of a ``progress_`` table, mark and sleep."""

    def __init__(self, n: int, marker: str) -> None:
        self.n = n
        self.marker = marker
        self.count = 0

    def __call__(self, execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
        result = execute(sql, params, many, context)
        if sql.lstrip().upper().startswith("UPDATE") and '"progress_' in sql:
            self.count += 1
            if self.count == self.n:
                in_transaction = context["connection"].in_atomic_block
                if self.marker:
                    Path(self.marker).write_text(
                        f"in_transaction={in_transaction}\n{sql}\n", encoding="utf-8"
                    )
                time.sleep(HANG_SECONDS)
        return result


def parse_fault(spec: str) -> HangAfterUpdates:
    """``hang-after-update=N`` → the wrapper (anything else is a configuration error of the test)."""
    name, _, value = spec.partition("=")
    if name.strip() != "hang-after-update" or not value.strip().isdigit() or int(value) < 1:
        raise ValueError(f"unknown fault {spec!r}; expected hang-after-update=N")
    return HangAfterUpdates(int(value), os.environ.get("SIXCORE_FAULT_MARKER", ""))


class FaultInjectionMiddleware:
    """Installs the fault a request asks for (header ``X-Sixcore-Fault``) on this thread's connection."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not os.environ.get("SIXCORE_FAULT_INJECT"):
            raise ImproperlyConfigured("FaultInjectionMiddleware needs SIXCORE_FAULT_INJECT (tests only)")
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        spec = request.headers.get(FAULT_HEADER)
        if not spec:
            return self.get_response(request)
        with connection.execute_wrapper(parse_fault(spec)):
            return self.get_response(request)
