"""What an enterprise contact reaches, page by page: its requests, its projects' progress and
the policies for it, in its words — never the bureau's own lists (the ledger, the stalled
list, the guarantee lists, the stewards' service log) nor its tags (停滞, 已升级, 督办).

The table is every URL pattern of tests/authz_matrix.py, fetched as the enterprise contact
on its own objects: each is refused (log-in, 403, 404, 405) or answers without the internal
words. The bureau's lists are named: they must be refused (403), not merely empty.
"""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from guanjia.accounts.models import ApiToken, Role
from guanjia.requests import services as request_services
from guanjia.requests.models import Category
from guanjia.testing.factories import ProjectFactory, UserFactory

from .authz_matrix import WEB
from .authz_world import build_world
from .shared_world import shared_world
from .test_authz_matrix import web_url

_shared_world, _fresh, regions, users, own_enterprise, world = shared_world(build_world)

# The bureau's words for its own lists and tags (zh-hans, the default language; every page
# carries the menu, so a menu entry to one of the lists fails the page too).
INTERNAL_WORDS = (
    "项目台账",  # the ledger
    "停滞",  # the stalled list and a project's stall tag
    "要素保障",  # the guarantee lists and panel
    "服务记录",  # the stewards' service log
    "已升级",  # a request's escalation
    "督办",  # supervision
    "内部备注",  # internal notes
    "卡点",  # what holds a project, the stalled list's column
)
# The bureau's lists: refused to an enterprise contact (403: the page exists, not for them).
BUREAU_LISTS = {
    "projects:project_list",
    "projects:stalled_list",
    "projects:stalled_export",
    "projects:export",
    "guarantees:unmet",
    "guarantees:export",
    "servicerecords:list",
    "servicerecords:export",
}
# The public pages and data (no log-in: the portal, open data, Open311's service list, the
# API's schema) are the same for everyone; the request categories' group 要素保障 is a word of
# the city's service list there, not a list of the bureau's.
PUBLIC = {k for k, row in WEB.items() if row.get.split()[0] != "L"}
# Files the enterprise downloads from its own pages: its requests and their attachments, the
# documents of the policies for it.
OWN_DOWNLOADS = {"requests:export", "requests:attachment", "policies:document"}
REFUSED = {401, 403, 404, 405}


def _body(response: Any) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


@pytest.mark.parametrize("key", sorted(set(WEB) - PUBLIC))
def test_every_page_an_enterprise_contact_reaches_is_in_its_words(world: dict[str, Any], key: str):
    row = WEB[key]
    user = world["users"]["enterprise"]
    client = Client()
    client.force_login(user)
    response = client.get(web_url(key, row, world, user, False) + row.query)
    if key in BUREAU_LISTS:
        assert response.status_code == 403, key
        return
    if response.status_code in REFUSED or response.status_code in (301, 302):
        return
    assert response.status_code == 200, (key, response.status_code)
    if response.streaming or not response["Content-Type"].startswith(("text/", "application/json")):
        assert key in OWN_DOWNLOADS, f"{key}: a file the enterprise downloads"
        return
    body = _body(response)
    found = [w for w in INTERNAL_WORDS if w in body]
    assert not found, f"{key}: {found}"


def test_the_enterprise_menu_names_its_own_pages_only(world: dict[str, Any]):
    client = Client()
    client.force_login(world["users"]["enterprise"])
    html = client.get(reverse("requests:queue")).content.decode()
    menu = html[html.index("<nav") : html.index("</nav>")]
    for entry in ("政企直通车", "为您推荐的政策"):
        assert entry in menu
    for entry in ("项目台账", "服务记录", "招商线索", "停滞项目", "要素保障"):
        assert entry not in menu


def test_the_enterprise_does_not_see_its_project_flagged_stalled(world: dict[str, Any]):
    project = world["project"][0]
    for who, shows in (("enterprise", False), ("admin", None)):
        client = Client()
        client.force_login(world["users"][who])
        html = client.get(reverse("projects:project_detail", args=[project.pk])).content.decode()
        if shows is False:
            assert "停滞" not in html and "要素保障" not in html
            assert "项目台账" not in html
        else:
            assert "要素保障" in html and "停滞" in html  # staff keep the panel and the flag


def test_the_api_gives_an_enterprise_its_projects_without_the_stall_flag(world: dict[str, Any]):
    key = ApiToken.issue(world["users"]["enterprise"])[1]
    headers = {"Authorization": f"Bearer {key}"}
    listed = Client().get("/api/v1/projects", {"stalled": "true"}, headers=headers).json()
    assert listed["count"] >= 1  # the stall filter does not sort its projects out
    assert {item["stalled"] for item in listed["items"]} == {None}
    one = Client().get(f"/api/v1/projects/{world['project'][0].pk}", headers=headers).json()
    assert one["stalled"] is None
    admin_key = ApiToken.issue(world["users"]["admin"])[1]
    staff = (
        Client()
        .get(
            f"/api/v1/projects/{world['project'][0].pk}",
            headers={"Authorization": f"Bearer {admin_key}"},
        )
        .json()
    )
    assert staff["stalled"] in (True, False)


def test_company_page_requests_and_projects_name_the_same_steward(world: dict[str, Any]):
    """A project of the enterprise in another county has that county's steward: the
    enterprise still talks to its one steward, on every page."""
    users_ = world["users"]
    enterprise = users_["enterprise"].enterprise
    own_steward = enterprise.steward
    far_steward = UserFactory(username="t_steward_far", role=Role.STEWARD, display_name="远方管家")
    far_project = ProjectFactory(
        name="异地项目", enterprise=enterprise, region=world["other region"],
        steward=far_steward,
    )  # fmt: skip
    sr = request_services.submit(
        users_["enterprise"], enterprise=enterprise, category=Category.objects.get(code="land"),
        title="异地项目用地", text="请协调。", project=far_project,
    )  # fmt: skip
    assert sr.steward == own_steward and sr.assignee == own_steward
    client = Client()
    client.force_login(users_["enterprise"])
    name = str(own_steward)
    pages = {
        "company": reverse("enterprises:enterprise_detail", args=[enterprise.pk]),
        "request": reverse("requests:detail", args=[sr.pk]),
        "project": reverse("projects:project_detail", args=[far_project.pk]),
    }
    for label, url in pages.items():
        html = client.get(url).content.decode()
        assert name in html, label
        assert "远方管家" not in html, label
