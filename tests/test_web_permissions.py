"""Who may do what on the ledger's web pages: one row per role and action.

The official works in 凌海市; the steward serves the 凌海 project only; the handler and the
leader read the whole city; the enterprise contact sees only their own enterprise.
Outsiders get 404 (nothing leaks), read-only roles 403 on writes, writers a redirect.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from guanjia.events import services as event_services
from guanjia.projects.models import Project
from guanjia.projects.stages import Stage
from guanjia.testing.factories import EnterpriseFactory, ProjectFactory

from .shared_world import shared_world

pytestmark = pytest.mark.django_db

ROLES = ["admin", "official", "steward", "handler", "leader", "enterprise"]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def build_world(users, linghai, heishan, city):
    """A project in 凌海 (the enterprise contact's, served by the steward), one in 黑山."""
    own_enterprise = users["enterprise"].enterprise
    other_enterprise = EnterpriseFactory(name="黑山风电有限公司", region=heishan)
    in_linghai = ProjectFactory(
        name="凌海项目", enterprise=own_enterprise, region=linghai, steward=users["steward"]
    )
    in_heishan = ProjectFactory(name="黑山项目", enterprise=other_enterprise, region=heishan)
    event = event_services.create_event(
        users["admin"],
        name="央地合作对接会",
        date=dt.date(2023, 3, 23),
        region=city,
        participants=[own_enterprise, other_enterprise],
    )
    event_services.record_signing(
        users["admin"],
        project=in_linghai,
        government=linghai,
        signed_on=dt.date(2023, 3, 23),
        amount_wan=Decimal("10000"),
        event=event,
    )
    in_linghai.refresh_from_db()
    return {
        "linghai": in_linghai,
        "heishan": in_heishan,
        "own": own_enterprise,
        "other": other_enterprise,
        "event": event,
        "region": linghai,
    }


# Built once for the module; each test's writes are rolled back (tests/shared_world.py).
_shared_world, _fresh, regions, users, own_enterprise, world = shared_world(build_world)


def new_project_data(world) -> dict[str, str]:
    return {
        "name": "新项目",
        "enterprise": str(world["own"].pk),
        "region": str(world["region"].pk),
        "level": "general",
        "total_investment_wan": "1.2亿元",
        "stage": "lead",
    }


def project_edit_data(project: Project) -> dict[str, str]:
    return {
        "name": "改过的名字",
        "enterprise": str(project.enterprise_id),
        "region": str(project.region_id),
        "level": "general",
        "total_investment_wan": "20000",
    }


# action → how to perform it, given a client and the world.
ACTIONS = {
    "view list": lambda c, w: c.get(reverse("projects:project_list")),
    "view 凌海 project": lambda c, w: c.get(
        reverse("projects:project_detail", args=[w["linghai"].pk])
    ),
    "view 黑山 project": lambda c, w: c.get(
        reverse("projects:project_detail", args=[w["heishan"].pk])
    ),
    "open 凌海 edit form": lambda c, w: c.get(
        reverse("projects:project_edit", args=[w["linghai"].pk])
    ),
    "open 黑山 edit form": lambda c, w: c.get(
        reverse("projects:project_edit", args=[w["heishan"].pk])
    ),
    "save 凌海 edit": lambda c, w: c.post(
        reverse("projects:project_edit", args=[w["linghai"].pk]), project_edit_data(w["linghai"])
    ),
    "save 黑山 edit": lambda c, w: c.post(
        reverse("projects:project_edit", args=[w["heishan"].pk]), project_edit_data(w["heishan"])
    ),
    "move 凌海 stage": lambda c, w: c.post(
        reverse("projects:project_transition", args=[w["linghai"].pk]),
        {"to_stage": "registered", "on": "2023-04-01"},
    ),
    "move 黑山 stage": lambda c, w: c.post(
        reverse("projects:project_transition", args=[w["heishan"].pk]),
        {"to_stage": "negotiating", "on": "2023-04-01"},
    ),
    "open new project form": lambda c, w: c.get(reverse("projects:project_create")),
    "create project in 凌海": lambda c, w: c.post(
        reverse("projects:project_create"), new_project_data(w)
    ),
    "view enterprise list": lambda c, w: c.get(reverse("enterprises:enterprise_list")),
    "view own enterprise": lambda c, w: c.get(
        reverse("enterprises:enterprise_detail", args=[w["own"].pk])
    ),
    "view other enterprise": lambda c, w: c.get(
        reverse("enterprises:enterprise_detail", args=[w["other"].pk])
    ),
    "open own enterprise edit form": lambda c, w: c.get(
        reverse("enterprises:enterprise_edit", args=[w["own"].pk])
    ),
    "open new enterprise form": lambda c, w: c.get(reverse("enterprises:enterprise_create")),
    "view event list": lambda c, w: c.get(reverse("events:event_list")),
    "view event": lambda c, w: c.get(reverse("events:event_detail", args=[w["event"].pk])),
}

# Expected status per action, in the order of ROLES:
#                                admin official steward handler leader enterprise
EXPECTED = {
    "view list":                     (200, 200, 200, 200, 200, 403),  # the ledger: staff
    "view 凌海 project":             (200, 200, 200, 200, 200, 200),
    "view 黑山 project":             (200, 404, 404, 200, 200, 404),
    "open 凌海 edit form":           (200, 200, 200, 403, 403, 403),
    "open 黑山 edit form":           (200, 404, 404, 403, 403, 404),
    "save 凌海 edit":                (302, 302, 302, 403, 403, 403),
    "save 黑山 edit":                (302, 404, 404, 403, 403, 404),
    "move 凌海 stage":               (302, 302, 302, 403, 403, 403),
    "move 黑山 stage":               (302, 404, 404, 403, 403, 404),
    "open new project form":         (200, 200, 200, 403, 403, 403),
    "create project in 凌海":        (302, 302, 302, 403, 403, 403),
    "view enterprise list":          (200, 200, 200, 200, 200, 200),
    "view own enterprise":           (200, 200, 200, 200, 200, 200),
    "view other enterprise":         (200, 404, 404, 200, 200, 404),
    "open own enterprise edit form": (200, 200, 200, 403, 403, 403),
    "open new enterprise form":      (200, 200, 200, 403, 403, 403),
    "view event list":               (200, 200, 200, 200, 200, 200),
    "view event":                    (200, 200, 200, 200, 200, 200),
}  # fmt: skip

TABLE = [
    pytest.param(role, action, codes[i], id=f"{role}-{action}")
    for action, codes in EXPECTED.items()
    for i, role in enumerate(ROLES)
]


@pytest.mark.parametrize(("role", "action", "expected"), TABLE)
def test_role_action_status(client, users, world, role, action, expected):
    client.force_login(users[role])
    response = ACTIONS[action](client, world)
    assert response.status_code == expected


@pytest.mark.parametrize("role", ROLES)
def test_a_stage_move_changes_the_project_only_when_allowed(client, users, world, role):
    client.force_login(users[role])
    response = ACTIONS["move 凌海 stage"](client, world)
    world["linghai"].refresh_from_db()
    moved = world["linghai"].stage == Stage.REGISTERED
    assert moved == (response.status_code == 302)


@pytest.mark.parametrize("role", ROLES)
def test_an_edit_changes_the_project_only_when_allowed(client, users, world, role):
    client.force_login(users[role])
    response = ACTIONS["save 黑山 edit"](client, world)
    world["heishan"].refresh_from_db()
    assert (world["heishan"].name == "改过的名字") == (response.status_code == 302)


@pytest.mark.parametrize("role", ROLES)
def test_a_project_is_created_only_when_allowed(client, users, world, role):
    client.force_login(users[role])
    response = ACTIONS["create project in 凌海"](client, world)
    assert Project.objects.filter(name="新项目").exists() == (response.status_code == 302)


@pytest.mark.parametrize("role", [r for r in ROLES if r != "enterprise"])
def test_the_ledger_lists_exactly_the_projects_the_role_may_see(client, users, world, role):
    client.force_login(users[role])
    html = ACTIONS["view list"](client, world).content.decode()
    sees_heishan = role in ("admin", "handler", "leader")
    assert "凌海项目" in html
    assert ("黑山项目" in html) == sees_heishan


@pytest.mark.parametrize("action", list(ACTIONS))
def test_an_anonymous_visitor_is_sent_to_log_in(client, world, action):
    response = ACTIONS[action](client, world)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
