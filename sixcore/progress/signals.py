"""What the quarterly cycle tells the apps that derive data from it (the evaluation's read model),
sent inside the writing transaction so that derived rows commit, or roll back, with the write.

A signal rather than a call: progress does not import the apps built on top of it.  Inside
``batch()`` (many writes in one transaction: the demo generator) a receiver may gather what the
writes told it and act once, on ``batch_finished``, still inside the caller's transaction.
"""

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from django.dispatch import Signal

# ``submissions``: the submissions whose lines changed; ``lines``: the changed ``services.Line``s.
lines_saved = Signal()
# ``submission``: after the transition (saved); ``before``: its status before.
status_changed = Signal()
# The end of a ``batch()`` block that raised nothing.
batch_finished = Signal()

_in_batch = contextvars.ContextVar("progress_signals_batch", default=False)


def in_batch() -> bool:
    return _in_batch.get()


@contextmanager
def batch() -> Iterator[None]:
    """Many writes, one ``batch_finished`` at the end (use it inside the writes' transaction)."""
    if _in_batch.get():
        yield
        return
    token = _in_batch.set(True)
    try:
        yield
    finally:
        _in_batch.reset(token)
    batch_finished.send(None)
