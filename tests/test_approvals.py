"""Approvals with tolerated gaps (容缺受理): the life cycle under a moved clock, the refusals,
and who may do what."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from guanjia.accounts.models import Role
from guanjia.approvals import services
from guanjia.approvals.loading import load_approval_kinds
from guanjia.approvals.models import (
    ApprovalItem,
    ApprovalKind,
    EnterpriseFlag,
    FlagKind,
    Status,
)
from guanjia.approvals.sweep import sweep
from guanjia.core.models import AuditEntry
from guanjia.notifications.models import Notification
from guanjia.testing.factories import ProjectFactory, UserFactory

from .conftest import PASSWORD

TZ = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=TZ)  # a Monday
PROMISED = dt.date(2026, 3, 13)  # a Friday, before the 15-working-day deadline


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _private(settings, tmp_path):
    settings.GUANJIA_PRIVATE_ROOT = tmp_path
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def kinds(db):
    load_approval_kinds()
    return {k.name: k for k in ApprovalKind.objects.all()}


@pytest.fixture
def kind(kinds, users):
    kind = kinds["施工许可"]
    kind.department = users["handler"].department
    kind.save()
    return kind


@pytest.fixture
def project(users, linghai, own_enterprise):
    return ProjectFactory(
        name="锦州容缺项目", enterprise=own_enterprise, region=linghai, steward=users["steward"]
    )


def pdf(name: str = "承诺书.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 commitment", content_type="application/pdf")


def submitted(project, kind, actor, *, core_only: bool = True) -> ApprovalItem:
    """An item with every core material handed in (and no non-core one)."""
    item = services.add_item(project, kind, actor)
    chosen = [m for m in kind.materials.all() if m.core or not core_only]
    return services.submit(item, actor, chosen)


def events(item: ApprovalItem) -> list[str]:
    return list(item.events.values_list("kind", flat=True))


def test_loader_is_idempotent(db):
    assert load_approval_kinds() > 0
    assert load_approval_kinds() == 0
    names = set(ApprovalKind.objects.values_list("name", flat=True))
    assert {"立项备案", "用地规划许可", "工程规划许可", "施工许可", "环评批复", "节能审查"} <= names
    for kind in ApprovalKind.objects.all():
        materials = list(kind.materials.all())
        assert 2 <= len(materials) <= 4
        assert any(m.core for m in materials) and any(not m.core for m in materials)


@time_machine.travel(T0, tick=False)
def test_tolerance_life_cycle_remind_suspend_return(users, project, kind):
    steward = users["steward"]
    item = submitted(project, kind, steward)
    item = services.accept_tolerated(item, steward, pdf(), PROMISED)
    assert item.status == Status.TOLERATED
    assert item.deadline_on is not None and item.deadline_on >= PROMISED
    assert item.commitment_name == "承诺书.pdf"

    assert sweep(at(2026, 3, 10, 17, 0)) == 0  # nothing due yet

    # Two working days before the promised date: a reminder, once.
    assert sweep(at(2026, 3, 11, 9, 0)) == 1
    assert sweep(at(2026, 3, 11, 9, 0)) == 0
    item.refresh_from_db()
    assert item.status == Status.TOLERATED and item.reminded_at is not None
    assert Notification.objects.filter(kind="approval.reminded", recipient=steward).count() == 1
    assert Notification.objects.filter(
        kind="approval.reminded", recipient=users["enterprise"]
    ).exists()
    assert Notification.objects.filter(
        kind="approval.reminded", recipient=users["handler"]
    ).exists()

    # The promised date passes with a material still missing: suspended, enterprise flagged.
    assert sweep(at(2026, 3, 13, 17, 0)) == 0
    assert sweep(at(2026, 3, 16, 9, 0)) == 1
    assert sweep(at(2026, 3, 16, 9, 0)) == 0
    item.refresh_from_db()
    assert item.status == Status.SUSPENDED
    assert EnterpriseFlag.objects.filter(
        enterprise=project.enterprise, kind=FlagKind.BROKEN_COMMITMENT, active=True
    ).exists()

    # Fifteen working days after the lapse (16 March to 3 April) it is returned.
    assert sweep(at(2026, 4, 3, 12, 0)) == 0
    call_command("sweep_approvals", "--at", "2026-04-06T09:00")
    item.refresh_from_db()
    assert item.status == Status.RETURNED and item.next_check_at is None
    assert sweep(at(2026, 4, 7, 9, 0)) == 0
    assert events(item) == [
        "created",
        "submitted",
        "tolerated",
        "reminded",
        "suspended",
        "returned",
    ]
    assert (
        AuditEntry.objects.filter(
            object_type="approvals.approvalitem", object_id=str(item.pk)
        ).count()
        >= 6
    )

    # The project page shows it all.
    from django.test import Client

    client = Client()
    client.login(username="t_steward", password=PASSWORD)
    page = client.get(reverse("projects:project_detail", args=[project.pk])).content.decode()
    assert "施工许可" in page and "Returned" in page and "Reminder sent" in page


@time_machine.travel(T0, tick=False)
def test_supply_before_the_date_accepts_and_sends_no_reminder(users, project, kind):
    steward = users["steward"]
    item = services.accept_tolerated(submitted(project, kind, steward), steward, pdf(), PROMISED)
    item = services.supply(item, users["handler"], item.missing())
    assert item.status == Status.ACCEPTED and item.next_check_at is None
    assert sweep(at(2026, 3, 11, 9, 0)) == 0
    assert sweep(at(2026, 5, 1, 9, 0)) == 0
    assert not Notification.objects.filter(kind__startswith="approval.").exists()
    item = services.approve(item, users["handler"])
    assert item.status == Status.APPROVED


@time_machine.travel(T0, tick=False)
def test_complete_application_is_accepted_without_tolerance(users, project, kind):
    steward = users["steward"]
    item = submitted(project, kind, steward, core_only=False)
    item = services.accept(item, steward)
    assert item.status == Status.ACCEPTED and item.deadline_on is not None
    assert sweep(at(2026, 6, 1, 9, 0)) == 0


@time_machine.travel(T0, tick=False)
def test_missing_core_material_is_refused(users, project, kind):
    steward = users["steward"]
    item = services.add_item(project, kind, steward)
    item = services.submit(item, steward, [m for m in kind.materials.all() if not m.core])
    with pytest.raises(services.ApprovalError, match="Core materials"):
        services.accept_tolerated(item, steward, pdf(), PROMISED)
    with pytest.raises(services.ApprovalError, match="missing"):
        services.accept(item, steward)
    item.refresh_from_db()
    assert item.status == Status.PENDING


@time_machine.travel(T0, tick=False)
def test_promised_date_after_the_deadline_is_refused(users, project, kind):
    steward = users["steward"]
    item = submitted(project, kind, steward)
    with pytest.raises(services.ApprovalError, match="deadline"):
        services.accept_tolerated(item, steward, pdf(), dt.date(2026, 6, 1))
    with pytest.raises(services.ApprovalError, match="promised date"):
        services.accept_tolerated(item, steward, pdf(), None)
    with pytest.raises(services.ApprovalError, match="commitment"):
        services.accept_tolerated(item, steward, None, PROMISED)
    item.refresh_from_db()
    assert item.status == Status.PENDING and not item.commitment


@time_machine.travel(T0, tick=False)
@pytest.mark.parametrize("flag", [FlagKind.BAD_CREDIT, FlagKind.BROKEN_COMMITMENT])
def test_flagged_enterprise_cannot_use_tolerance(users, project, kind, flag):
    EnterpriseFlag.objects.create(enterprise=project.enterprise, kind=flag, reason="test")
    steward = users["steward"]
    item = submitted(project, kind, steward)
    with pytest.raises(services.ApprovalError, match="flagged"):
        services.accept_tolerated(item, steward, pdf(), PROMISED)
    # An inactive flag no longer bars it.
    EnterpriseFlag.objects.update(active=False)
    assert services.accept_tolerated(item, steward, pdf(), PROMISED).status == Status.TOLERATED


@time_machine.travel(T0, tick=False)
def test_commitment_file_is_checked_by_content(users, project, kind, client):
    steward = users["steward"]
    item = submitted(project, kind, steward)
    fake = SimpleUploadedFile("假承诺书.pdf", b"MZ not a pdf", content_type="application/pdf")
    with pytest.raises(services.ApprovalError, match="假承诺书.pdf"):
        services.accept_tolerated(item, steward, fake, PROMISED)
    # Through the web: refused with a message, then accepted with a real PDF.
    client.login(username="t_steward", password=PASSWORD)
    url = reverse("approvals:step", args=[item.pk, "tolerate"])
    fake.seek(0)
    response = client.post(url, {"commitment": fake, "promised_on": "2026-03-13"}, follow=True)
    assert "假承诺书.pdf" in response.content.decode()  # the message names the file
    item.refresh_from_db()
    assert item.status == Status.PENDING
    client.post(url, {"commitment": pdf(), "promised_on": "2026-03-13"})
    item.refresh_from_db()
    assert item.status == Status.TOLERATED
    download = client.get(reverse("approvals:commitment", args=[item.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert download["Cache-Control"] == "private, no-store"
    # The enterprise contact may read it; a steward of other projects may not even see it.
    UserFactory(username="t_steward_x", role=Role.STEWARD)
    for username, status in (("t_enterprise", 200), ("t_steward_x", 404)):
        client.logout()
        client.login(username=username, password=PASSWORD)
        assert client.get(reverse("approvals:commitment", args=[item.pk])).status_code == status


@time_machine.travel(T0, tick=False)
def test_web_flow_add_submit_accept(users, project, kind, client):
    client.login(username="t_handler", password=PASSWORD)
    client.post(reverse("approvals:add", args=[project.pk]), {"kind": kind.pk})
    item = ApprovalItem.objects.get(project=project, kind=kind)
    ids = [m.pk for m in kind.materials.all()]
    client.post(reverse("approvals:step", args=[item.pk, "submit"]), {"materials": ids})
    response = client.post(reverse("approvals:step", args=[item.pk, "accept"]), follow=True)
    item.refresh_from_db()
    assert item.status == Status.ACCEPTED
    assert "Accepted." in response.content.decode()


def _outsiders(users, linghai, heishan, kind):
    return {
        "official_out": UserFactory(
            username="t_official_hs", role=Role.AREA_OFFICIAL, region=heishan
        ),
        "steward_other": UserFactory(username="t_steward2", role=Role.STEWARD, region=linghai),
        "handler_other": UserFactory(
            username="t_handler2",
            role=Role.HANDLER,
            region=users["handler"].region,
            department=None,
        ),
    }


@time_machine.travel(T0, tick=False)
@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("admin", 302),
        ("official", 302),  # in the project's area
        ("official_out", 404),
        ("steward", 302),  # the project's own
        ("steward_other", 404),
        ("handler", 302),  # of the kind's department
        ("handler_other", 403),  # no such department
        ("leader", 403),
        ("enterprise", 403),
    ],
)
def test_permission_table(users, linghai, heishan, project, kind, client, who, expected):
    people = {**users, **_outsiders(users, linghai, heishan, kind)}
    item = submitted(project, kind, users["steward"], core_only=False)
    client.login(username=people[who].username, password=PASSWORD)
    response = client.post(reverse("approvals:step", args=[item.pk, "accept"]))
    assert response.status_code == expected
    item.refresh_from_db()
    assert (item.status == Status.ACCEPTED) == (expected == 302)
    # Reading the commitment follows project visibility.
    page = client.get(reverse("projects:project_detail", args=[project.pk]))
    assert page.status_code == (404 if expected == 404 else 200)


def test_sweep_task_is_periodic():
    from guanjia.approvals.tasks import sweep_approvals
    from guanjia.core.scheduling import REGISTRY

    assert sweep_approvals.module_path in REGISTRY


def test_the_common_kinds_go_to_the_department_that_decides_them(regions, city, linghai):
    from guanjia.accounts.models import Department

    county = Department.objects.create(name="自然资源局", region=linghai)
    own = Department.objects.create(name="自然资源局", region=city)
    Department.objects.create(name="住房和城乡建设局", region=city)
    load_approval_kinds()
    assert ApprovalKind.objects.get(name="用地规划许可").department == own != county
    assert ApprovalKind.objects.get(name="施工许可").department.name == "住房和城乡建设局"
    assert ApprovalKind.objects.get(name="环评批复").department is None  # no such department
