"""What changes to the plan in force tell the apps that derive data from it (the evaluation's read
model), sent inside the writing transaction (plan load, an approved revision).

A signal rather than a call: plan does not import the apps built on top of it.
"""

from django.dispatch import Signal

# ``since``: (ROC year, quarter) of the first period concerned, or None for every period.
plan_changed = Signal()
