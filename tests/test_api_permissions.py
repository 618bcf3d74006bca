"""The API's access rules as a table: role × action × expected status, as the web has them.

Outsiders get 404 (nothing leaks), read-only roles 403 on writes. The official works in 凌海市,
the steward serves one 凌海 project, the enterprise contact belongs to 锦州测试自有企业.
"""

import datetime as dt
import json
from decimal import Decimal

import pytest

from guanjia.accounts.models import ApiToken
from guanjia.events import services as event_services
from guanjia.projects import services as project_services
from guanjia.testing.factories import EnterpriseFactory, credit_code

from .shared_world import shared_world

pytestmark = pytest.mark.django_db

API = "/api/v1"
ROLES = ["admin", "official", "steward", "handler", "leader", "enterprise"]


def build_world(users, linghai, heishan, city):
    """Three projects (the contact's own, a stewarded one in 凌海, one in 黑山) and two events."""
    own_enterprise = users["enterprise"].enterprise
    linghai_firm = EnterpriseFactory(name="凌海企业", region=linghai)
    heishan_firm = EnterpriseFactory(name="黑山企业", region=heishan)

    def project(name, enterprise, region, **fields):
        return project_services.create_project(
            None, name=name, enterprise=enterprise, region=region,
            total_investment_wan=Decimal("10000"), stage_on=dt.date(2023, 1, 5), **fields,
        )  # fmt: skip

    own = project("自有企业项目", own_enterprise, linghai)
    stewarded = project("凌海管家项目", linghai_firm, linghai, steward=users["steward"])
    far = project("黑山风电项目", heishan_firm, heishan)

    def event(name, region, participant, signed):
        found = event_services.create_event(
            None, participants=[participant], name=name, date=dt.date(2023, 3, 23), region=region
        )
        event_services.record_signing(
            None, project=signed, government=region, signed_on=dt.date(2023, 3, 23),
            amount_wan=Decimal("10000"), event=found,
        )  # fmt: skip
        return found

    return {
        "own project": own,
        "凌海 project": stewarded,
        "黑山 project": far,
        "own enterprise": own_enterprise,
        "凌海 enterprise": linghai_firm,
        "黑山 enterprise": heishan_firm,
        "凌海 event": event("凌海推介会", linghai, own_enterprise, own),
        "黑山 event": event("黑山推介会", heishan, heishan_firm, far),
        "凌海": linghai,
        "黑山": heishan,
    }


# Built once for the module; each test's writes are rolled back (tests/shared_world.py).
_shared_world, _fresh, regions, users, own_enterprise, world = shared_world(build_world)


@pytest.fixture
def call(client, users):
    """Call the API as a role, with that user's bearer token."""
    tokens = {role: ApiToken.issue(user)[1] for role, user in users.items()}

    def call(role, method, path, body=None):
        headers = {"Authorization": f"Bearer {tokens[role]}"}
        if body is None:
            return getattr(client, method)(f"{API}{path}", headers=headers)
        return getattr(client, method)(
            f"{API}{path}", data=json.dumps(body), content_type="application/json",
            headers=headers,
        )  # fmt: skip

    return call


def expect(**by_role):
    """One row of the table: the status for each role (all six must be given)."""
    assert set(by_role) == set(ROLES)
    return by_role


# action → (method, path template, body builder, expected status per role)
TABLE = {
    "read the regions": (
        "get", "/regions", None,
        expect(admin=200, official=200, steward=200, handler=200, leader=200, enterprise=200),
    ),
    "read the industries": (
        "get", "/industries", None,
        expect(admin=200, official=200, steward=200, handler=200, leader=200, enterprise=200),
    ),
    "read the own enterprise's project": (
        "get", "/projects/{own project}", None,
        expect(admin=200, official=200, steward=404, handler=200, leader=200, enterprise=200),
    ),
    "read a 凌海 project": (
        "get", "/projects/{凌海 project}", None,
        expect(admin=200, official=200, steward=200, handler=200, leader=200, enterprise=404),
    ),
    "read a 黑山 project": (
        "get", "/projects/{黑山 project}", None,
        expect(admin=200, official=404, steward=404, handler=200, leader=200, enterprise=404),
    ),
    "edit a 凌海 project": (
        "patch", "/projects/{凌海 project}", lambda w: {"task_force": "针状焦专班"},
        expect(admin=200, official=200, steward=200, handler=403, leader=403, enterprise=404),
    ),
    "edit the own enterprise's project": (
        "patch", "/projects/{own project}", lambda w: {"task_force": "专班"},
        expect(admin=200, official=200, steward=404, handler=403, leader=403, enterprise=403),
    ),
    "edit a 黑山 project": (
        "patch", "/projects/{黑山 project}", lambda w: {"task_force": "风电专班"},
        expect(admin=200, official=404, steward=404, handler=403, leader=403, enterprise=404),
    ),
    "move a 凌海 project on": (
        "post", "/projects/{凌海 project}/transition", lambda w: {"to_stage": "negotiating"},
        expect(admin=200, official=200, steward=200, handler=403, leader=403, enterprise=404),
    ),
    "move a 黑山 project on": (
        "post", "/projects/{黑山 project}/transition", lambda w: {"to_stage": "registered"},
        expect(admin=200, official=404, steward=404, handler=403, leader=403, enterprise=404),
    ),
    "create a project in 凌海": (
        "post", "/projects",
        lambda w: {"name": "新项目", "enterprise_id": w["凌海 enterprise"].pk,
                   "region_id": w["凌海"].pk},
        expect(admin=201, official=201, steward=201, handler=403, leader=403, enterprise=403),
    ),
    "create a project in 黑山": (
        "post", "/projects",
        lambda w: {"name": "新项目", "enterprise_id": w["黑山 enterprise"].pk,
                   "region_id": w["黑山"].pk},
        expect(admin=201, official=422, steward=422, handler=403, leader=403, enterprise=403),
    ),
    # Naming another area's enterprise is refused as an unknown id: the project would make it
    # the official's (or the steward's) to read and edit.
    "create a 凌海 project for a 黑山 enterprise": (
        "post", "/projects",
        lambda w: {"name": "新项目", "enterprise_id": w["黑山 enterprise"].pk,
                   "region_id": w["凌海"].pk},
        expect(admin=201, official=422, steward=422, handler=403, leader=403, enterprise=403),
    ),
    "read the own enterprise": (
        "get", "/enterprises/{own enterprise}", None,
        expect(admin=200, official=200, steward=404, handler=200, leader=200, enterprise=200),
    ),
    "read a 黑山 enterprise": (
        "get", "/enterprises/{黑山 enterprise}", None,
        expect(admin=200, official=404, steward=404, handler=200, leader=200, enterprise=404),
    ),
    "edit the own enterprise": (
        "patch", "/enterprises/{own enterprise}", lambda w: {"address": "凌海市"},
        expect(admin=200, official=200, steward=404, handler=403, leader=403, enterprise=403),
    ),
    "edit a stewarded enterprise": (
        "patch", "/enterprises/{凌海 enterprise}", lambda w: {"address": "凌海市"},
        expect(admin=200, official=200, steward=200, handler=403, leader=403, enterprise=404),
    ),
    "edit a 黑山 enterprise": (
        "patch", "/enterprises/{黑山 enterprise}", lambda w: {"address": "黑山县"},
        expect(admin=200, official=404, steward=404, handler=403, leader=403, enterprise=404),
    ),
    "register an enterprise": (
        "post", "/enterprises", lambda w: {"name": "新企业", "credit_code": credit_code()},
        expect(admin=201, official=201, steward=201, handler=403, leader=403, enterprise=403),
    ),
    "register an enterprise in 黑山": (
        "post", "/enterprises",
        lambda w: {"name": "新企业", "credit_code": credit_code(), "region_id": w["黑山"].pk},
        expect(admin=201, official=422, steward=201, handler=403, leader=403, enterprise=403),
    ),
    "read a 凌海 event": (
        "get", "/events/{凌海 event}", None,
        expect(admin=200, official=200, steward=200, handler=200, leader=200, enterprise=200),
    ),
    "read a 黑山 event": (
        "get", "/events/{黑山 event}", None,
        expect(admin=200, official=404, steward=200, handler=200, leader=200, enterprise=404),
    ),
}  # fmt: skip

CASES = [
    pytest.param(action, role, id=f"{role} may {action}: {table[3][role]}")
    for action, table in TABLE.items()
    for role in ROLES
]


@pytest.mark.parametrize(("action", "role"), CASES)
def test_each_role_gets_what_the_table_says(world, call, action, role):
    method, template, body, expected = TABLE[action]
    path = template.format(**{key: getattr(value, "pk", value) for key, value in world.items()})
    response = call(role, method, path, body(world) if body else None)
    assert response.status_code == expected[role], response.content.decode()
    if expected[role] >= 400:
        assert "detail" in response.json()


def test_a_refused_write_changes_nothing(world, call):
    far = world["黑山 project"]
    call("official", "patch", f"/projects/{far.pk}", {"task_force": "改"})
    call("leader", "patch", f"/projects/{far.pk}", {"task_force": "改"})
    call("handler", "post", f"/projects/{far.pk}/transition", {"to_stage": "registered"})
    far.refresh_from_db()
    assert far.task_force == "" and far.stage == "signed"


LISTS = {
    "admin": ["own project", "凌海 project", "黑山 project"],
    "official": ["own project", "凌海 project"],
    "steward": ["凌海 project"],
    "handler": ["own project", "凌海 project", "黑山 project"],
    "leader": ["own project", "凌海 project", "黑山 project"],
    "enterprise": ["own project"],
}


@pytest.mark.parametrize("role", ROLES)
def test_the_project_list_shows_each_role_only_its_projects(world, call, role):
    body = call(role, "get", "/projects").json()
    assert sorted(item["id"] for item in body["items"]) == sorted(
        world[key].pk for key in LISTS[role]
    )
    assert body["count"] == len(LISTS[role])
    assert body["total_investment_wan"] == f"{10000 * len(LISTS[role])}.0000"


ENTERPRISE_LISTS = {
    "admin": ["own enterprise", "凌海 enterprise", "黑山 enterprise"],
    "official": ["own enterprise", "凌海 enterprise"],
    "steward": ["凌海 enterprise"],
    "handler": ["own enterprise", "凌海 enterprise", "黑山 enterprise"],
    "leader": ["own enterprise", "凌海 enterprise", "黑山 enterprise"],
    "enterprise": ["own enterprise"],
}


@pytest.mark.parametrize("role", ROLES)
def test_the_enterprise_list_shows_each_role_only_its_enterprises(world, call, role):
    body = call(role, "get", "/enterprises").json()
    assert sorted(item["id"] for item in body["items"]) == sorted(
        world[key].pk for key in ENTERPRISE_LISTS[role]
    )


EVENT_LISTS = {
    "admin": ["凌海 event", "黑山 event"],
    "official": ["凌海 event"],
    "steward": ["凌海 event", "黑山 event"],
    "handler": ["凌海 event", "黑山 event"],
    "leader": ["凌海 event", "黑山 event"],
    "enterprise": ["凌海 event"],
}


@pytest.mark.parametrize("role", ROLES)
def test_the_event_list_shows_each_role_only_its_events(world, call, role):
    body = call(role, "get", "/events").json()
    assert sorted(item["id"] for item in body["items"]) == sorted(
        world[key].pk for key in EVENT_LISTS[role]
    )
    assert body["count"] == len(EVENT_LISTS[role])


def test_a_city_event_shows_an_official_the_figures_but_only_their_areas_signings(
    world, call, city, users
):
    conference = event_services.create_event(
        None, name="央地合作对接会", date=dt.date(2023, 3, 23), region=city
    )
    for key in ("凌海 project", "黑山 project"):
        project = world[key]
        event_services.record_signing(
            None, project=project, government=project.region, signed_on=dt.date(2023, 3, 24),
            amount_wan=Decimal("20000"), event=conference,
        )  # fmt: skip
    body = call("official", "get", f"/events/{conference.pk}").json()
    assert [s["project"]["id"] for s in body["signings"]] == [world["凌海 project"].pk]
    # The figures cover every signing: 凌海's first (20000) and 黑山's increase (10000).
    assert body["signed_investment_wan"] == "30000.0000"
    admin_view = call("admin", "get", f"/events/{conference.pk}").json()
    assert len(admin_view["signings"]) == 2


# A credit code already registered: the refusal names the enterprise that has it only for a
# caller who may see that enterprise; for another area's, neither its name nor its id.
HIDDEN = (
    "an enterprise with this credit code is already registered; ask the city bureau to give "
    "you access or merge"
)
DUPLICATES = [
    # (role, whose code, named?)
    ("admin", "黑山 enterprise", True),
    ("admin", "凌海 enterprise", True),
    ("official", "凌海 enterprise", True),
    ("official", "黑山 enterprise", False),
    ("steward", "凌海 enterprise", True),
    ("steward", "黑山 enterprise", False),
]


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.mark.parametrize(("role", "whose", "named"), DUPLICATES)
def test_a_taken_credit_code_names_the_enterprise_only_to_those_who_see_it(
    world, call, english, role, whose, named
):
    from guanjia.core.models import AuditEntry
    from guanjia.enterprises.models import Enterprise

    taken = world[whose]
    before = (Enterprise.objects.count(), AuditEntry.objects.count())
    created = call(
        role, "post", "/enterprises", {"name": "新注册企业", "credit_code": taken.credit_code}
    )
    mine = (
        world["凌海 enterprise"] if taken != world["凌海 enterprise"] else world["own enterprise"]
    )
    if role == "steward":  # a steward edits only what they serve
        mine = world["凌海 enterprise"] if taken != world["凌海 enterprise"] else None
    patched = (
        call(role, "patch", f"/enterprises/{mine.pk}", {"credit_code": taken.credit_code})
        if mine is not None
        else None
    )
    for response in filter(None, (created, patched)):
        assert response.status_code == 409
        body = response.json()
        message = body["errors"][0]["message"]
        assert body["errors"][0]["field"] == "credit_code"
        if named:
            assert body["existing_id"] == taken.pk and taken.name in message
        else:
            assert "existing_id" not in body or body["existing_id"] is None
            assert message == HIDDEN
            assert taken.name not in response.content.decode()
            assert str(taken.pk) not in json.dumps(body)
    assert (Enterprise.objects.count(), AuditEntry.objects.count()) == before


@pytest.mark.parametrize(("role", "whose", "named"), DUPLICATES)
def test_the_enterprise_form_names_a_taken_code_only_to_those_who_see_it(
    world, users, client, english, role, whose, named
):
    from django.urls import reverse

    from guanjia.enterprises.models import Enterprise

    taken = world[whose]
    client.force_login(users[role])
    before = Enterprise.objects.count()
    response = client.post(
        reverse("enterprises:enterprise_create"),
        {
            "name": "新注册企业",
            "credit_code": taken.credit_code,
            "ownership": "private",
            "capital_origin": "private",
        },
    )
    page = response.content.decode()
    assert response.status_code in (200, 400) and Enterprise.objects.count() == before
    if named:
        assert taken.name in page
    else:
        assert HIDDEN in page and taken.name not in page
