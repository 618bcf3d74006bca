"""Who sees a project's guarantees, who updates them, and who overrides them.

Everyone who sees a project sees its guarantees; its editors (staff who write) update them;
only a city admin lets a project move on despite unmet guarantees. Both within the actor's
own projects: a project out of reach is refused.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from guanjia.accounts.scope import is_admin
from guanjia.projects import access as project_access
from guanjia.projects.models import Project

from .models import Guarantee


def guarantees_for(user: Any) -> QuerySet[Guarantee]:
    """Guarantees of the projects the user sees."""
    return Guarantee.objects.filter(project__in=project_access.projects_for(user).values("pk"))


def may_update(user: Any, project: Project) -> bool:
    """Whether the project's guarantee panel offers the update form."""
    return bool(
        user and user.is_authenticated and user.can_write and project_access.can_edit(user, project)
    )


def may_override(user: Any) -> bool:
    """Whether the user may override unmet guarantees (a city admin)."""
    return bool(user and getattr(user, "is_authenticated", False) and is_admin(user))


def _require_in_reach(actor: Any, project: Project) -> None:
    if not project_access.projects_for(actor).filter(pk=project.pk).exists():
        raise PermissionDenied("outside your area")


def require_editor(actor: Any, project: Project) -> None:
    """403 unless the actor may change the project's guarantees."""
    if not getattr(actor, "is_authenticated", False) or not project_access.can_edit(actor, project):
        raise PermissionDenied("you may not change this project's guarantees")
    _require_in_reach(actor, project)


def require_overrider(actor: Any, project: Project | None = None) -> None:
    """403 unless the actor may override the guarantees (of `project`, if given)."""
    if not may_override(actor):
        raise PermissionDenied("only a city admin may override guarantees")
    if project is not None:
        _require_in_reach(actor, project)
