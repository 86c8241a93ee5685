"""The reports app keeps no rows of its own: background report files are Django tasks (tasks.py)."""
