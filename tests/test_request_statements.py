"""Statements per submission (issue 19 item 1): a submission through the API or the web form
reads and writes only what it needs. The reference data every submission reads (categories,
intake limits, the working calendar, whether any webhook or robot is active) is kept in the
cache under a version each edit moves, so an edit shows on the very next submission.

The counts are taken after one submission warmed the cache. Inside the test's transaction
the request's own transaction shows as one SAVEPOINT/RELEASE pair (BEGIN/COMMIT outside).
"""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guanjia.accounts.models import ApiToken, Role
from guanjia.notifications.models import WebhookDelivery, WebhookEndpoint
from guanjia.requests.loading import load_categories
from guanjia.requests.models import Category, IntakeLimit, ServiceRequest
from guanjia.testing.factories import ProjectFactory, UserFactory
from guanjia.worktime.loading import load_holidays

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

# What a submission writes: the request (and its number), its audit entry, its timeline
# entry, the steward's notification; the transaction around them.
WRITES = 5 + 2
API_STATEMENTS = 10  # + the token (with its user), the enterprise (area, steward), the project
WEB_STATEMENTS = 11  # + the session, the user, the enterprise (area, steward), the project


@pytest.fixture
def world(users, linghai, own_enterprise):
    load_categories()
    load_holidays([2025, 2026])
    steward = UserFactory(username="s_linghai", role=Role.STEWARD, region=linghai)
    own_enterprise.steward = steward
    own_enterprise.save()
    return {
        **users,
        "steward": steward,
        "project": ProjectFactory(enterprise=own_enterprise, region=linghai, steward=steward),
    }


@pytest.fixture
def api(world):
    token = ApiToken.issue(world["enterprise"])[1]
    client = Client(headers={"accept-language": "en", "Authorization": f"Bearer {token}"})

    def submit(category="land"):
        body = {
            "category": category,
            "text": "用地手续卡在规划许可",
            "project_id": world["project"].pk,
        }
        return client.post("/api/v1/requests", json.dumps(body), content_type="application/json")

    return submit


@pytest.fixture
def web(world):
    client = Client()
    assert client.login(username=world["enterprise"].username, password=PASSWORD)
    land = Category.objects.get(code="land").pk

    def submit():
        data = {
            "category": land,
            "project": world["project"].pk,
            "title": "规划条件迟迟未出",
            "text": "项目已摘地三个月，规划条件仍未出具。",
        }
        return client.post(reverse("requests:new"), data)

    return submit


def test_an_api_submission_takes_ten_statements_and_answers_in_full(api, world):
    assert api().status_code == 201  # warms the reference data
    with CaptureQueriesContext(connection) as ctx:
        response = api()
    assert response.status_code == 201, response.content
    assert len(ctx.captured_queries) == API_STATEMENTS, [q["sql"] for q in ctx.captured_queries]
    writes = [q for q in ctx.captured_queries if not q["sql"].startswith("SELECT")]
    assert len(writes) == WRITES
    # The answer built from the objects in hand is the one a read of the request gives.
    body = response.json()
    assert body == api_read(world, body["id"])
    assert body["steward"]["id"] == world["steward"].pk and body["intake_due_at"]
    assert [e["kind"] for e in body["events"]] == ["submit"] and body["attachments"] == []


def api_read(world, pk):
    token = ApiToken.issue(world["enterprise"])[1]
    client = Client(headers={"accept-language": "en", "Authorization": f"Bearer {token}"})
    return client.get(f"/api/v1/requests/{pk}").json()


def test_a_web_submission_takes_eleven_statements(web, world):
    assert web().status_code == 302
    with CaptureQueriesContext(connection) as ctx:
        response = web()
    assert response.status_code == 302
    assert len(ctx.captured_queries) == WEB_STATEMENTS, [q["sql"] for q in ctx.captured_queries]
    sr = ServiceRequest.objects.latest("pk")
    assert sr.steward == world["steward"] and sr.region == world["project"].region


def test_an_edited_category_or_intake_limit_shows_on_the_next_submission(api, world):
    assert api().status_code == 201  # the cache is warm
    land = Category.objects.get(code="land")

    IntakeLimit.objects.update_or_create(
        category=land, source="api", defaults={"hours": Decimal("8")}
    )
    first = ServiceRequest.objects.get(pk=api().json()["id"])
    assert first.intake_hours == Decimal("8")
    limit = IntakeLimit.objects.get(category=land, source="api")
    limit.hours = Decimal("16")
    limit.save()
    assert ServiceRequest.objects.get(pk=api().json()["id"]).intake_hours == Decimal("16")

    land.default_priority = "urgent"
    land.save()
    assert api().json()["priority"] == "urgent"
    land.active = False
    land.save()
    refused = api()
    assert refused.status_code == 422 and "category" in refused.content.decode()


def test_a_webhook_added_hears_of_the_next_submission(api):
    assert api().status_code == 201  # "no webhook" is cached now
    WebhookEndpoint.objects.create(name="OA", url="https://oa.example.cn/hook", kinds="")
    assert api().status_code == 201
    assert WebhookDelivery.objects.filter(notification_kind="request.submitted").exists()
