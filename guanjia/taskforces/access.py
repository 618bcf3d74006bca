"""Who sees a project's task force panel and who keeps its record.

Staff who see the project see its task force (enterprise contacts do not); the project's
editors and its leader in charge record meetings, action items and decisions.
"""

from guanjia.accounts.models import Role, User
from guanjia.projects.access import can_edit
from guanjia.projects.models import Project


def may_see(user: User) -> bool:
    """Whether the task force panel shows on a project page the user sees."""
    return user.role != Role.ENTERPRISE


def may_record(user: User, project: Project) -> bool:
    """Who keeps the task force's record: the project's editors and its leader in charge."""
    return bool(user.is_active and (can_edit(user, project) or project.leader_id == user.pk))
