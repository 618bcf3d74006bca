"""What holds a project: reasons gathered from the apps that can hold one up.

Each holder is a function `holding(project) -> list[str]` in another app (unmet element
guarantees, approvals suspended or returned, late action items of the task force). An app
that is not installed simply gives no reasons.
"""

from collections.abc import Callable
from functools import cache
from typing import Any

from django.apps import apps
from django.utils.module_loading import import_string

HOLDERS = [
    ("guanjia.guarantees", "guanjia.guarantees.services.holding"),
    ("guanjia.approvals", "guanjia.approvals.services.holding"),
    ("guanjia.taskforces", "guanjia.taskforces.services.holding"),
]


@cache
def _holders() -> list[Callable[[Any], list[str]]]:
    found = []
    for app, path in HOLDERS:
        if not apps.is_installed(app):
            continue
        try:
            found.append(import_string(path))
        except ImportError:
            continue
    return found


def reasons(project: Any) -> list[str]:
    """Every reason another app gives for the project not moving on."""
    out: list[str] = []
    for holder in _holders():
        out.extend(holder(project))
    return out
