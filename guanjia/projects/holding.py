"""What holds a project: reasons gathered from the apps that can hold one up.

Each holder is a function `holding_many(projects) -> {project id: [reason, …]}` in another
app, answering for a whole page of projects in a query or two (unmet element
guarantees, approvals suspended or returned, late action items of the task force). An app
that is not installed simply gives no reasons.
"""

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from django.apps import apps
from django.utils.module_loading import import_string

HOLDERS = [
    ("guanjia.guarantees", "guanjia.guarantees.services.holding_many"),
    ("guanjia.approvals", "guanjia.approvals.services.holding_many"),
    ("guanjia.taskforces", "guanjia.taskforces.services.holding_many"),
]


@cache
def _holders() -> list[Callable[[Sequence[Any]], dict[int, list[str]]]]:
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
    return reasons_many([project]).get(project.pk, [])


def reasons_many(projects: Sequence[Any]) -> dict[int, list[str]]:
    """`reasons` for many projects: a query or two per holder, not per project."""
    out: dict[int, list[str]] = {}
    for holder in _holders():
        for pk, found in holder(projects).items():
            out.setdefault(pk, []).extend(found)
    return out
