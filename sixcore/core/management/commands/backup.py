"""``sixcore backup --output FILE``: the database and uploaded files in one archive (see core/backup.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import Progress

from sixcore.core.backup import BackupError, RichProgress, create_backup


class Command(BaseCommand):
    help = "Write a consistent snapshot of the database and of MEDIA_ROOT to one .tar.gz archive."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output", "-o", required=True, type=Path, help="The archive to write (.tar.gz)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        output: Path = options["output"]
        show = options["verbosity"] > 0
        try:
            with Progress(console=Console(stderr=True), disable=not show, transient=True) as bars:
                manifest = create_backup(
                    output, media_root=Path(settings.MEDIA_ROOT), progress=RichProgress(bars)
                )
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        if show:
            rows = sum(manifest["counts"].values())
            files = sum(1 for name in manifest["members"] if name.startswith("media/"))
            self.stdout.write(f"{output}: {rows} rows of {len(manifest['counts'])} tables, {files} files")
