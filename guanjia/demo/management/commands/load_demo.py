"""Load the Jinzhou demo (once) and print the demo accounts with their passwords."""

import time
import unicodedata
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from guanjia.accounts.models import Role, User
from guanjia.demo.build import load_demo


def width(text: str) -> int:
    """Columns a terminal gives the text: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table(rows: list[list[str]]) -> str:
    widths = [max(width(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [cell + " " * (w - width(cell)) for cell, w in zip(row, widths, strict=True)]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def scope(user: User | None) -> str:
    """Where the account works: its region (and department), or its enterprise."""
    if user is None:
        return "-"
    if user.role == Role.ENTERPRISE:
        return str(user.enterprise or "-")
    parts = [f"{user.region.name} {user.region.code}" if user.region else ""]
    if user.department:
        parts.append(str(user.department))
    return " · ".join(p for p in parts if p) or "-"


class Command(BaseCommand):
    help = (
        "Load the Jinzhou demo data (only once: a second run changes nothing) and print the "
        "demo accounts. The passwords are public: use them for the demo only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset-passwords", action="store_true",
            help="set every demo account's password back to the one printed",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        outcome = load_demo(reset_passwords=options["reset_passwords"])
        if outcome.loaded:
            self.stdout.write(
                _("Jinzhou demo loaded in %(s).1f s.") % {"s": time.monotonic() - started}
            )
        else:
            self.stdout.write(_("Jinzhou demo already loaded; nothing changed."))
        if not outcome.loaded:
            for username in outcome.created_users:
                self.stdout.write(_("Recreated the missing demo account %(u)s.") % {"u": username})
        for username in outcome.reset_users:
            self.stdout.write(_("Reset the password of %(u)s.") % {"u": username})
        for username in outcome.missing_users:
            self.stderr.write(
                _("Could not create %(u)s: its demo enterprise is missing.") % {"u": username}
            )
        users = {
            u.username: u
            for u in User.objects.filter(username__in=[a.username for a in outcome.accounts])
            .select_related("region", "enterprise", "department")
        }  # fmt: skip
        rows = [[_("username"), _("name"), _("role"), _("scope"), _("password")]]
        for account in outcome.accounts:
            user = users.get(account.username)
            rows.append([
                account.username, account.display_name, str(Role(account.role).label),
                scope(user), account.password,
            ])  # fmt: skip
        self.stdout.write("")
        self.stdout.write(_("Demo accounts (demo only; these passwords are public):"))
        self.stdout.write(table(rows))
        self.stdout.write(
            _("A changed password stays changed; --reset-passwords restores the ones above.")
        )
