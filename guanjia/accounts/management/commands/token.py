"""`guanjia token USERNAME [--name NAME]`: issue an API token and print it once."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from guanjia.accounts.models import ApiToken, User


class Command(BaseCommand):
    help = "Issue a bearer token for the JSON API and print it (only its hash is kept)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="what the token is for, e.g. a script")

    def handle(self, *args: Any, username: str, name: str, **options: Any) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("no user called “%(name)s”") % {"name": username})
        if not user.is_active:
            raise CommandError(
                _("“%(name)s” is deactivated; activate the account first") % {"name": username}
            )
        if len(name) > ApiToken._meta.get_field("name").max_length:  # type: ignore[operator]
            raise CommandError(_("the name is too long (60 characters at most)"))
        raw = ApiToken.issue(user, name=name)[1]
        # The raw token alone on stdout so scripts can capture it; the advice goes to stderr.
        self.stdout.write(raw)
        self.stderr.write(
            _("Store it now: it cannot be shown again. Send it as 'Authorization: Bearer <token>'.")
        )
