"""Element guarantees: what blocks a stage, the admin override, who may do what, the list."""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from python_calamine import CalamineWorkbook

from guanjia.core.models import AuditEntry
from guanjia.guarantees import services
from guanjia.guarantees.models import Guarantee, GuaranteeOverride
from guanjia.projects import services as project_services
from guanjia.projects.models import Project
from guanjia.projects.services import TransitionError
from guanjia.projects.stages import Stage
from guanjia.testing.factories import (
    DepartmentFactory,
    EnterpriseFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db

UNMET = reverse("guarantees:unmet")
EXPORT = reverse("guarantees:export")
# A land due date still ahead whatever day the suite runs on (the overdue filter compares it
# with today).
LAND_DUE = dt.date.today() + dt.timedelta(days=90)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def world(users, city, linghai, heishan, own_enterprise):
    land_bureau = users["handler"].department  # 自然资源局
    env_bureau = DepartmentFactory(name="生态环境局", region=city)
    steward = users["steward"]
    own = ProjectFactory(
        name="颜料扩产项目",
        enterprise=own_enterprise,
        region=linghai,
        steward=steward,
        stage=Stage.REGISTERED,
        registered_on=dt.date(2024, 1, 1),
    )
    other = ProjectFactory(
        name="黑山风电项目",
        enterprise=EnterpriseFactory(region=heishan),
        region=heishan,
        stage=Stage.REGISTERED,
        registered_on=dt.date(2024, 1, 1),
    )
    admin = users["admin"]
    services.set_guarantee(admin, own, "land", department=land_bureau, due_on=LAND_DUE, land_mu=120)
    services.set_guarantee(admin, own, "environment", department=env_bureau)
    services.set_guarantee(admin, other, "power", department=env_bureau, due_on=dt.date(2020, 1, 1))
    return {"own": own, "other": other, "land": land_bureau, "env": env_bureau}


def test_construction_refused_while_land_undelivered_and_allowed_once_met(world, users):
    own, steward = world["own"], users["steward"]
    with pytest.raises(TransitionError) as err:
        project_services.transition(own, Stage.CONSTRUCTION, steward, evidence="开工")
    text = " ".join(err.value.messages)
    assert "Land" in text and "自然资源局" in text and LAND_DUE.isoformat() in text
    assert "Environmental assessment" in text
    services.set_guarantee(steward, own, "land", status="delivered")
    with pytest.raises(TransitionError) as err:
        project_services.transition(own, Stage.CONSTRUCTION, steward)
    assert "Land" not in " ".join(err.value.messages)
    services.set_guarantee(
        steward, own, "environment", status="approved", approval_number="锦环审1号"
    )
    project_services.transition(own, Stage.CONSTRUCTION, steward)
    assert Project.objects.get(pk=own.pk).stage == Stage.CONSTRUCTION
    assert Guarantee.objects.get(project=own, kind="land").met_on is not None


def test_projects_without_guarantees_and_corrections_are_not_blocked(world, users, linghai):
    bare = ProjectFactory(region=linghai, stage=Stage.REGISTERED, registered_on=dt.date(2024, 1, 1))
    project_services.transition(bare, Stage.CONSTRUCTION, users["admin"])
    other = world["other"]  # power blocks operation, not construction
    project_services.transition(other, Stage.CONSTRUCTION, users["admin"])
    with pytest.raises(TransitionError, match="Power connection"):
        project_services.transition(other, Stage.OPERATION, users["admin"])
    project_services.transition(other, Stage.REGISTERED, users["admin"], reason="录错")
    project_services.transition(other, Stage.WITHDRAWN, users["admin"], reason="退出")


def test_holding_gives_reasons_for_the_next_stage(world):
    reasons = services.holding(world["own"])
    assert len(reasons) == 2 and any("自然资源局" in r for r in reasons)
    assert services.holding(world["other"]) == []  # power waits for operation


def test_admin_override_lets_the_stage_proceed_and_is_audited(world, users):
    own, admin = world["own"], users["admin"]
    with pytest.raises(PermissionDenied):
        services.override(users["steward"], own, Stage.CONSTRUCTION, "领导同意")
    with pytest.raises(Exception, match="reason"):
        services.override(admin, own, Stage.CONSTRUCTION, "  ")
    item = services.override(admin, own, Stage.CONSTRUCTION, "市长办公会同意先行开工")
    assert AuditEntry.objects.filter(
        object_type="guarantees.guaranteeoverride", object_id=str(item.pk), actor=admin
    ).exists()
    project_services.transition(own, Stage.CONSTRUCTION, users["steward"])
    assert Project.objects.get(pk=own.pk).stage == Stage.CONSTRUCTION


def test_override_view_is_for_city_admins_only(client, world, users):
    url = reverse("guarantees:override", args=[world["own"].pk])
    data = {"stage": Stage.CONSTRUCTION, "reason": "先行开工"}
    for name in ("steward", "official"):
        client.force_login(users[name])
        assert client.post(url, data).status_code == 403
    client.force_login(users["admin"])
    assert client.post(url, data).status_code == 302
    assert GuaranteeOverride.objects.get().by == users["admin"]
    page = client.get(reverse("projects:project_detail", args=[world["own"].pk]))
    assert "先行开工" in page.content.decode()


def test_guarantee_changes_are_audited(world, users):
    g = services.set_guarantee(users["steward"], world["own"], "land", status="listed")
    entry = AuditEntry.objects.filter(object_type="guarantees.guarantee", object_id=str(g.pk))
    assert entry.filter(actor=users["steward"], after__status="listed").exists()
    with pytest.raises(Exception, match="does not apply"):
        services.set_guarantee(users["steward"], world["own"], "land", status="approved")


# Who may update a guarantee from the panel: status code per user and project.
PANEL_POST = [
    ("admin", "own", 302),
    ("admin", "other", 302),
    ("official", "own", 302),  # 凌海市 official, project in 凌海市
    ("official", "other", 404),  # project in 黑山县
    ("steward", "own", 302),
    ("steward", "other", 404),  # another steward's project
    ("handler", "own", 403),
    ("leader", "own", 403),
    ("enterprise", "own", 403),
    ("enterprise", "other", 404),
]


@pytest.mark.parametrize(("who", "which", "code"), PANEL_POST)
def test_panel_post_permissions(client, world, users, who, which, code):
    project = world[which]
    client.force_login(users[who])
    url = reverse("guarantees:update", args=[project.pk])
    response = client.post(url, {"kind": "land", "status": "listed"})
    assert response.status_code == code
    changed = Guarantee.objects.filter(project=project, kind="land", status="listed").exists()
    assert changed == (code == 302)


@pytest.mark.parametrize(
    ("who", "sees_form"),
    [("admin", True), ("steward", True), ("handler", False)],
)
def test_panel_shows_guarantees_and_the_form_to_writers(client, world, users, who, sees_form):
    client.force_login(users[who])
    html = client.get(reverse("projects:project_detail", args=[world["own"].pk])).content.decode()
    assert 'id="guarantees"' in html and "Not supplied" in html
    assert "cannot be reached" in html  # registered may go straight to construction
    assert ("guarantee-update" in html) == sees_form


def test_the_enterprise_follows_its_project_without_the_guarantee_panel(client, world, users):
    """The guarantees are the bureau's working list: the enterprise's contact sees its
    project's stage and milestones, not the panel."""
    client.force_login(users["enterprise"])
    html = client.get(reverse("projects:project_detail", args=[world["own"].pk])).content.decode()
    assert 'id="guarantees"' not in html and "guarantee-update" not in html


UNMET_LIST = [
    ("admin", {"颜料扩产项目", "黑山风电项目"}),
    ("official", {"颜料扩产项目"}),
    ("steward", {"颜料扩产项目"}),
    ("handler", {"颜料扩产项目", "黑山风电项目"}),
    ("enterprise", set()),  # the bureau's list: refused (403) to an enterprise's contact
]


@pytest.mark.parametrize(("who", "names"), UNMET_LIST)
def test_unmet_list_is_scoped(client, world, users, who, names):
    client.force_login(users[who])
    html = client.get(UNMET).content.decode()
    for name in ("颜料扩产项目", "黑山风电项目"):
        assert (name in html) == (name in names)


def test_unmet_list_filters_and_export(client, world, users, linghai):
    client.force_login(users["admin"])
    html = client.get(UNMET, {"department": world["land"].pk}).content.decode()
    assert "颜料扩产项目" in html and "黑山风电项目" not in html
    html = client.get(UNMET, {"area": linghai.pk}).content.decode()
    assert "颜料扩产项目" in html and "黑山风电项目" not in html
    html = client.get(UNMET, {"kind": "power"}).content.decode()
    assert "颜料扩产项目" not in html and "黑山风电项目" in html
    html = client.get(UNMET, {"overdue": "1"}).content.decode()
    assert "颜料扩产项目" not in html and "黑山风电项目" in html and "overdue" in html
    response = client.get(EXPORT, {"kind": "land"})
    assert response.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
    rows = book.get_sheet_by_index(0).to_python()
    assert rows[0][0] == "Project"
    assert [r[0] for r in rows[1:]] == ["颜料扩产项目"]
    assert rows[1][4] == "自然资源局" and rows[1][5] == LAND_DUE  # a real date


def test_unmet_list_pages(client, world, users, settings):
    settings.GUANJIA_PAGE_SIZE = 2
    for _ in range(3):
        services.set_guarantee(users["admin"], ProjectFactory(region=world["own"].region), "gas")
    client.force_login(users["admin"])
    first = client.get(UNMET)
    assert first.context["page"].paginator.num_pages == 3
    assert client.get(UNMET, {"page": 3}).status_code == 200


def test_details_form_keeps_what_it_does_not_post(client, world, users):
    client.force_login(users["steward"])
    url = reverse("guarantees:update", args=[world["own"].pk])
    response = client.post(
        url,
        {
            "kind": "land",
            "land_mu": "150.5",
            "department": world["land"].pk,
            "due_on": "2027-01-15",
            "note": "分两期供地",
        },
    )
    assert response.status_code == 302
    land = Guarantee.objects.get(project=world["own"], kind="land")
    assert (str(land.land_mu), land.due_on, land.note) == (
        "150.50",
        dt.date(2027, 1, 15),
        "分两期供地",
    )
    assert land.status == "not_supplied"  # not posted, not changed
    html = client.get(reverse("projects:project_detail", args=[world["own"].pk])).content.decode()
    assert 'value="150.50"' in html and 'value="2027-01-15"' in html
    client.post(url, {"kind": "land", "status": "bogus"})
    assert Guarantee.objects.get(project=world["own"], kind="land").status == "not_supplied"
