"""``sixcore token create USERNAME`` — print a user's API token, creating it if needed."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser
from rest_framework.authtoken.models import Token

from sixcore.core.changelog import ChangeLoggedCommand


class Command(ChangeLoggedCommand):
    help = "Manage API tokens (sent as 'Authorization: Token KEY')."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{create}")
        create = sub.add_parser("create", help="Print the user's token, creating it if needed.")
        create.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"handle_{options['action']}")(options)

    def handle_create(self, options: dict[str, Any]) -> None:
        user_model = get_user_model()
        username = options["username"]
        try:
            user = user_model._default_manager.get_by_natural_key(username)
        except user_model.DoesNotExist:
            raise CommandError(f"there is no user named {username!r}") from None
        if not user.is_active:
            raise CommandError(f"user {username!r} is inactive: a token would not authenticate")
        token, created = Token.objects.get_or_create(user=user)
        if created:
            self.stderr.write(f"created a token for {username}")
        self.stdout.write(token.key)
