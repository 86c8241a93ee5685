"""``sixcore restore FILE [--force]``: load an archive made by ``sixcore backup`` (see core/backup.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from rich.console import Console
from rich.progress import Progress

from sixcore.core.backup import BackupError, RichProgress, restore_backup
from sixcore.core.changelog import ChangeLoggedCommand


class Command(ChangeLoggedCommand):
    help = (
        "Restore a backup into a migrated database: checks the archive and the migrations first, then "
        "loads everything in one transaction. Refuses a database holding data unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path, help="An archive written by 'sixcore backup'.")
        parser.add_argument(
            "--force", action="store_true", help="Replace the data of a database that is not empty."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        show = options["verbosity"] > 0
        try:
            with Progress(console=Console(stderr=True), disable=not show, transient=True) as bars:
                result = restore_backup(
                    options["archive"],
                    media_root=Path(settings.MEDIA_ROOT),
                    force=options["force"],
                    progress=RichProgress(bars),
                )
        except BackupError as exc:
            raise CommandError(f"nothing was restored: {exc}") from None
        if show:
            self.stdout.write(
                f"restored {result.rows} rows and {result.files} files "
                f"(backup of {result.manifest['created_at']})"
            )
