"""What holds a project: reasons gathered from the apps that can hold one up.

Each holder is a function `holding_many(projects) -> {project id: [reason, …]}` that another
app registers in `holders`, answering for a whole page of projects in a query or two (unmet
element guarantees, approvals suspended or returned, late action items of the task force).
An app that is not installed simply gives no reasons.
"""

from collections.abc import Callable, Sequence
from typing import Any

from guanjia.core.hooks import Hooks

# `holding_many(projects) -> {project id: [reason, …]}` of each app that can hold a project
# up, registered in its AppConfig.ready(); `order` keeps the reasons in a stable order:
# guarantees (0), approvals (1), the task force (2).
holders: Hooks[Callable[[Sequence[Any]], dict[int, list[str]]]] = Hooks("projects.holding")


def reasons(project: Any) -> list[str]:
    """Every reason another app gives for the project not moving on."""
    return reasons_many([project]).get(project.pk, [])


def reasons_many(projects: Sequence[Any]) -> dict[int, list[str]]:
    """`reasons` for many projects: a query or two per holder, not per project."""
    out: dict[int, list[str]] = {}
    for holder in holders:
        for pk, found in holder(projects).items():
            out.setdefault(pk, []).extend(found)
    return out
