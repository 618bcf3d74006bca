"""The main menu, built from each app's access rules rather than from role names in templates.

Each app registers its menu entries in its AppConfig.ready() with `register`: a key (the
name of the template block that marks the entry active), a label, a URL name and the
function of its `access` module that says whether a user may open the page. `nav_items`
gives the entries a user may open, in menu order; the context processor `menu` hands them to
`base.html` lazily (only a page that shows the menu computes it).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise, SimpleLazyObject


@dataclass(frozen=True)
class Entry:
    """A menu entry: shown to the users `may_open` admits, at position `order`."""

    key: str
    label: str | Promise
    url_name: str
    may_open: Callable[[Any], bool]
    order: int


@dataclass(frozen=True)
class Link:
    """An entry as a user's menu shows it."""

    key: str
    label: str | Promise
    url: str


_ENTRIES: dict[str, Entry] = {}


def register(
    key: str, label: str | Promise, url_name: str, may_open: Callable[[Any], bool], *, order: int
) -> None:
    """Add (or replace) the menu entry `key`."""
    _ENTRIES[key] = Entry(key, label, url_name, may_open, order)


def entries() -> list[Entry]:
    """Every registered entry, in menu order."""
    return sorted(_ENTRIES.values(), key=lambda e: (e.order, e.key))


def nav_items(user: Any) -> list[Link]:
    """The entries `user` may open, in menu order; none for a visitor."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [Link(e.key, e.label, reverse(e.url_name)) for e in entries() if e.may_open(user)]


def menu(request: HttpRequest) -> dict[str, Any]:
    """Context processor: `nav_items`, the signed-in user's menu (computed when shown)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_items": SimpleLazyObject(lambda: nav_items(user))}
