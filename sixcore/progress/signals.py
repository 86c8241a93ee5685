"""What the quarterly cycle tells the apps that derive data from it (the evaluation's read model),
sent inside the writing transaction so that derived rows commit, or roll back, with the write.

A signal rather than a call: progress does not import the apps built on top of it.
"""

from django.dispatch import Signal

# ``submissions``: the submissions whose lines changed; ``lines``: the changed ``services.Line``s.
lines_saved = Signal()
# ``submission``: after the transition (saved); ``before``: its status before.
status_changed = Signal()
