"""One place per rule: the app layers hold (lint-imports), and the menu is built from each
app's access rules (role × menu entry × shown)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from guanjia.core import nav

ROOT = Path(__file__).resolve().parent.parent

# The menu in order, and who sees each entry: Y shown, . not shown.
#                          admin official steward handler leader enterprise superuser
MENU = {
    "cockpit":          "Y Y . . Y . Y",
    "projects":         "Y Y Y Y Y . Y",  # the ledger: not the enterprise's
    "leads":            "Y Y Y . Y . Y",
    "parks":            "Y Y Y . Y . Y",
    "enterprises":      "Y Y Y Y Y Y Y",
    "events":           "Y Y Y Y Y Y Y",
    "requests":         "Y Y Y Y Y Y Y",
    "services":         "Y Y Y . Y . Y",
    "policies_for_you": ". . . . . Y .",
    "policies":         "Y Y Y . Y . Y",
    "targets":          "Y Y . . Y . Y",
    "import":           "Y Y Y . . . Y",
    "reports":          "Y Y Y . Y . Y",
    "ingest":           "Y Y Y . . . Y",
    "configuration":    "Y . . . . . Y",
}  # fmt: skip
ROLES = ["admin", "official", "steward", "handler", "leader", "enterprise", "superuser"]
URLS = {
    "cockpit": "cockpit:index",
    "projects": "projects:project_list",
    "leads": "leads:list",
    "parks": "parks:list",
    "enterprises": "enterprises:enterprise_list",
    "events": "events:event_list",
    "requests": "requests:queue",
    "services": "servicerecords:list",
    "policies_for_you": "policies:for_you",
    "policies": "policies:library",
    "targets": "targets:board",
    "import": "projects:import_start",
    "reports": "reports:list",
    "ingest": "ingest:index",
    "configuration": "admin:index",
}


def _expected(role: str) -> list[str]:
    column = ROLES.index(role)
    return [key for key, row in MENU.items() if row.split()[column] == "Y"]


def _user(users, role):  # type: ignore[no-untyped-def]
    if role == "superuser":
        from guanjia.testing.factories import UserFactory

        return UserFactory(username="t_super", is_superuser=True, region=None)
    return users[role]


def test_every_menu_entry_is_in_the_table() -> None:
    assert [e.key for e in nav.entries()] == list(MENU)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_menu_per_role(users, role):  # type: ignore[no-untyped-def]
    from django.urls import reverse

    user = _user(users, role)
    links = nav.nav_items(user)
    assert [link.key for link in links] == _expected(role)
    for link in links:
        assert link.url == reverse(URLS[link.key])


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_menu_on_a_page(client, users, role):  # type: ignore[no-untyped-def]
    """The page header shows exactly the entries of the table, in order."""
    from django.urls import reverse

    client.force_login(_user(users, role))
    page = client.get(reverse("notifications:inbox")).content.decode()
    menu = re.search(r'<nav class="mainnav">(.*?)</nav>', page, re.S)
    assert menu is not None
    hrefs = re.findall(r'href="([^"]+)"', menu.group(1))
    assert hrefs == [link.url for link in nav.nav_items(_user(users, role))]
    assert len(hrefs) == len(_expected(role))


def test_menu_marks_the_page_active(client, users):  # type: ignore[no-untyped-def]
    from django.urls import reverse

    client.force_login(users["admin"])
    page = client.get(reverse("requests:queue")).content.decode()
    assert f'href="{reverse("requests:queue")}" class="active"' in page


def test_menu_for_a_visitor_is_empty() -> None:
    from django.contrib.auth.models import AnonymousUser

    assert nav.nav_items(AnonymousUser()) == []


def test_the_app_layers_hold() -> None:
    """`lint-imports` (the contract in pyproject.toml) passes: no app imports one above it,
    not even inside a function."""
    linter = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run(  # noqa: S603
        [str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


# Apps whose pages go through rules of their own, each in its `access` module (accounts keeps
# its rules in `scope`).
DOMAIN_APPS = [
    "approvals", "cockpit", "enterprises", "events", "guarantees", "ingest", "leads",
    "notifications", "parks", "policies", "portal", "projects", "reports", "requests", "servicerecords", "targets", "taskforces",
]  # fmt: skip


@pytest.mark.parametrize("app", DOMAIN_APPS)
def test_every_domain_app_has_its_access_rules(app: str) -> None:
    import importlib

    assert importlib.import_module(f"guanjia.{app}.access")


def test_every_app_with_pages_is_a_domain_app() -> None:
    with_pages = {p.parent.name for p in (ROOT / "guanjia").glob("*/views.py")}
    # core/views.py holds helpers the pages share, not pages.
    assert with_pages - {"accounts", "core"} <= set(DOMAIN_APPS)
