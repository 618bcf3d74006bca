from typing import Any

from django.core.management.base import BaseCommand

from guanjia.requests.loading import load_categories


class Command(BaseCommand):
    help = "Create the starting request categories and default service levels (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        created = load_categories()
        self.stdout.write(f"{created} categories created")
