"""The ``sixcore`` console script: Django's management CLI with sixcore's settings."""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Run a management command, e.g. ``sixcore migrate`` or ``sixcore plan load``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sixcore.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
