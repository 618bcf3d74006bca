"""Who may do what on the people-and-access pages (the account page, the audit log).

The rules of who sees which region are in `scope.py`; this module answers the questions the
accounts pages ask, so that neither a view nor a template tests a role by its name.
"""

from .models import User
from .scope import is_admin


def can_read_audit_log(user: User) -> bool:
    """Who reads and exports the audit log: city admins (and superusers)."""
    return bool(user.is_authenticated and is_admin(user))
