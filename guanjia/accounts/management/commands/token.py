"""`guanjia token USERNAME [--name NAME]`: issue an API token and print it once."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guanjia.accounts.models import ApiToken, User


class Command(BaseCommand):
    help = "Issue a bearer token for the JSON API and print it (only its hash is kept)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="what the token is for, e.g. a script")

    def handle(self, *args: Any, username: str, name: str, **options: Any) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user called {username!r}")
        if not user.is_active:
            raise CommandError(f"{username!r} is deactivated; activate the account first")
        if len(name) > ApiToken._meta.get_field("name").max_length:  # type: ignore[operator]
            raise CommandError("the name is too long (60 characters at most)")
        _, raw = ApiToken.issue(user, name=name)
        # The raw token alone on stdout so scripts can capture it; the advice goes to stderr.
        self.stdout.write(raw)
        self.stderr.write(
            "Store it now: it cannot be shown again. Send it as 'Authorization: Bearer <token>'."
        )
