"""The main menu, built from each app's access rules rather than from role names in templates.

Each app registers its menu entries in its AppConfig.ready() with `register`: a key (the
name of the template block that marks the entry active), a label, a URL name and the
function of its `access` module that says whether a user may open the page. `nav_items`
gives the entries a user may open, in menu order; the context processor `menu` hands them to
`base.html` lazily (only a page that shows the menu computes it), and the tag `main_menu`
(core/templatetags/nav_tags.py) draws them in Python.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.template.loader_tags import BLOCK_CONTEXT_KEY
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import Promise, SimpleLazyObject
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe


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


# The entries' URLs, reversed once per process (and per script prefix and URLconf): the menu
# is on every page and reverse() costs ~30 µs an entry.
_URLS: dict[tuple[str, str, Any], str] = {}


def entry_url(url_name: str) -> str:
    key = (url_name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    url = _URLS.get(key)
    if url is None:
        url = _URLS[key] = reverse(url_name)
    return url


def nav_items(user: Any) -> list[Link]:
    """The entries `user` may open, in menu order; none for a visitor."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [Link(e.key, e.label, entry_url(e.url_name)) for e in entries() if e.may_open(user)]


# The entries a page may mark active by filling the block `nav_<key>` (base.html).
ACTIVE_BLOCKS = frozenset(
    {
        "cockpit",
        "projects",
        "enterprises",
        "events",
        "requests",
        "services",
        "policies_for_you",
        "policies",
        "targets",
        "import",
        "reports",
        "ingest",
    }
)


def render_menu(context: Any, items: Any) -> SafeString:
    """The menu's links as base.html drew them with a template loop: `<a href=… class=…>` and
    the label, each followed by a new line and the indentation; the class is what the page
    put in the entry's block `nav_<key>` (empty when it filled none)."""
    blocks = context.render_context.get(BLOCK_CONTEXT_KEY)

    def active(key: str) -> str:
        if blocks is None or key not in ACTIVE_BLOCKS:
            return ""
        block = blocks.get_block("nav_" + key)
        return "" if block is None else block.render(context)

    return format_html_join(
        "",
        '<a href="{}" class="{}">{}</a>\n    ',
        ((item.url, mark_safe(active(item.key)), item.label) for item in items or ()),  # noqa: S308
    )


def menu(request: HttpRequest) -> dict[str, Any]:
    """Context processor: `nav_items`, the signed-in user's menu (computed when shown)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_items": SimpleLazyObject(lambda: nav_items(user))}
