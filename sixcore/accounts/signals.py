"""What changes to the agency register tell the apps that derive data from it (the evaluation's read
model), sent inside the writing transaction.

A signal rather than a call: accounts does not import the apps built on top of it.
"""

from django.dispatch import Signal

# An agency's code, parent or kind changed, or agencies were deleted: which agency reports a plan
# item (a sub-unit reports through its ministry) and the codes stored results name. No arguments.
reporters_changed = Signal()
