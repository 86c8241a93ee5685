#!/usr/bin/env python
"""Django's manage.py; the installed ``sixcore`` command does the same from any folder."""

from sixcore.cli import main

if __name__ == "__main__":
    main()
