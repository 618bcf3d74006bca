"""Background matching: a changed policy against every enterprise, a changed enterprise
against every policy."""

from django.tasks import task

from guanjia.core.scheduling import periodic
from guanjia.enterprises.models import Enterprise

from . import services
from .models import Policy


@task()
def rematch_policy(policy_id: int) -> int:
    """Re-match one policy (after it was saved); returns how many new deliveries."""
    policy = Policy.objects.filter(pk=policy_id).first()
    if policy is None:
        return 0
    return services.match_policy(policy)[0]


@task()
def rematch_enterprise(enterprise_id: int) -> int:
    """Re-match one enterprise (after its facts changed); returns how many new deliveries."""
    enterprise = Enterprise.objects.filter(pk=enterprise_id).first()
    if enterprise is None:
        return 0
    return services.match_enterprise(enterprise)[0]


@periodic(seconds=24 * 3600)
@task()
def rematch_all() -> int:
    """Every policy against every enterprise (after an import, and nightly as a safety net:
    a change that bypassed the services is caught within a day); returns new deliveries."""
    return services.match_all()[0]
