import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from guanjia.core.models import AuditEntry
from guanjia.projects import services
from guanjia.projects.models import Project, StageChange, StallKind, StallRule
from guanjia.projects.stages import Stage
from guanjia.testing.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(linghai):
    return services.create_project(
        None,
        name="针状焦项目",
        enterprise=ProjectFactory.build().enterprise.__class__.objects.create(
            name="中国石油锦州石化分公司"
        ),
        region=linghai,
        total_investment_wan=Decimal("100000"),
        stage_on=dt.date(2023, 1, 5),
    )


def test_a_new_project_starts_as_a_lead_with_its_date_and_history(project):
    assert project.stage == Stage.LEAD
    assert project.lead_on == dt.date(2023, 1, 5)
    assert StageChange.objects.filter(project=project, to_stage=Stage.LEAD).exists()
    assert AuditEntry.objects.filter(object_id=str(project.pk), action="create").exists()


def test_it_moves_forward_stamping_the_date_and_auditing(project, users):
    services.transition(project, Stage.SIGNED, users["admin"], on=dt.date(2023, 3, 23))
    project.refresh_from_db()
    assert project.stage == Stage.SIGNED
    assert project.signed_on == dt.date(2023, 3, 23)
    entry = AuditEntry.objects.get(object_id=str(project.pk), action="transition")
    assert entry.actor == users["admin"]
    assert entry.before["stage"] == "lead" and entry.after["stage"] == "signed"


def test_it_refuses_to_skip_from_signed_to_operation(project):
    services.transition(project, Stage.SIGNED, None, on=dt.date(2023, 3, 23))
    with pytest.raises(services.TransitionError):
        services.transition(project, Stage.OPERATION, None)
    project.refresh_from_db()
    assert project.stage == Stage.SIGNED


def test_going_back_needs_a_reason_and_clears_later_dates(project):
    services.transition(project, Stage.SIGNED, None, on=dt.date(2023, 3, 23))
    services.transition(project, Stage.REGISTERED, None, on=dt.date(2023, 4, 1))
    with pytest.raises(services.TransitionError):
        services.transition(project, Stage.SIGNED, None)
    change = services.transition(project, Stage.SIGNED, None, reason="registered by mistake")
    project.refresh_from_db()
    assert change.is_correction
    assert project.stage == Stage.SIGNED and project.registered_on is None
    assert project.signed_on == dt.date(2023, 3, 23)


def test_withdrawal_needs_a_reason(project):
    with pytest.raises(services.TransitionError):
        services.transition(project, Stage.WITHDRAWN, None)
    services.transition(project, Stage.WITHDRAWN, None, reason="investor pulled out")
    project.refresh_from_db()
    assert project.withdrawn_reason == "investor pulled out"


def test_a_date_before_the_current_stage_is_refused(project):
    with pytest.raises(services.TransitionError):
        services.transition(project, Stage.NEGOTIATING, None, on=dt.date(2022, 12, 1))


@time_machine.travel(dt.datetime(2023, 9, 1, 12, tzinfo=dt.UTC))
def test_signed_but_not_registered_is_stalled_after_its_limit(project):
    services.transition(project, Stage.SIGNED, None, on=dt.date(2023, 3, 23))
    today = dt.date(2023, 9, 1)
    assert project in Project.objects.stalled(today)
    project.refresh_from_db()  # stall_kinds reads the row it is given
    assert project.stall_kinds(today) == [StallKind.SIGNED_NOT_REGISTERED]
    StallRule.objects.create(kind=StallKind.SIGNED_NOT_REGISTERED, level="general", days=365)
    assert project not in Project.objects.stalled(today)
