"""Who may act on a project's approval items: project writers and the kind's department."""

from guanjia.accounts.models import Role, User
from guanjia.projects.access import can_edit
from guanjia.projects.models import Project

from .models import ApprovalKind


def can_act(user: User, project: Project, kind: ApprovalKind | None = None) -> bool:
    """Whether `user` (who can see `project`) may change its approval items of `kind`.
    Project writers may; so may handlers of the kind's department (kind None: any kind,
    i.e. whether the user may act on some item of the project)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if can_edit(user, project):
        return True
    if user.role == Role.HANDLER and user.department_id is not None:
        if kind is None:
            return ApprovalKind.objects.filter(department_id=user.department_id).exists()
        return kind.department_id == user.department_id
    return False
