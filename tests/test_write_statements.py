"""Statements per write of the load mix (issue 19 item 1), besides the submission
(tests/test_request_statements.py): a note on a request through the API, a project's stage
move through the API and a service record through the web form each read and write only
what they need, and answer from the objects in hand — the same answer a read gives.

The counts are taken after one call warmed the caches. Inside the test's transaction each
write's own transaction shows as one SAVEPOINT/RELEASE pair (BEGIN/COMMIT outside).
"""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from guanjia.accounts.models import ApiToken, Role
from guanjia.core.models import AuditEntry
from guanjia.guarantees.models import Guarantee, GuaranteeOverride
from guanjia.projects.models import Project, StallRule
from guanjia.requests.loading import load_categories
from guanjia.requests.models import RequestEvent
from guanjia.servicerecords.models import ServiceRecord
from guanjia.testing.factories import UserFactory
from guanjia.worktime.loading import load_holidays

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

# The token with its user and area, the request (or project) the caller may see; the
# transaction, the locked row, the row's UPDATE, its audit entry and its history entry; then
# the timeline and the files (a request) or the stage history and the partners (a project).
NOTE_STATEMENTS = 10
TRANSITION_STATEMENTS = 10
# The session, the user with their area, the steward and the enterprise the form names, the
# transaction, the record and its audit entry (that the caller serves the enterprise is seen
# on its row, here its area: `enterprises.access.seen_by_its_row`).
RECORD_STATEMENTS = 8


@pytest.fixture
def world(users, linghai, own_enterprise):
    load_categories()
    load_holidays([2025, 2026])
    steward = UserFactory(username="s_linghai", role=Role.STEWARD, region=linghai)
    own_enterprise.steward = steward
    own_enterprise.save()
    token = ApiToken.issue(users["admin"])[1]
    api = Client(headers={"accept-language": "en", "Authorization": f"Bearer {token}"})
    page = Client()
    assert page.login(username=users["admin"].username, password=PASSWORD)
    return {**users, "steward": steward, "api": api, "page": page, "linghai": linghai}


def post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def counted(fn):
    fn()  # warms the caches
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    return response, [q["sql"] for q in ctx.captured_queries]


@pytest.fixture
def request_id(world, own_enterprise):
    body = {"category": "land", "enterprise_id": own_enterprise.pk, "text": "用电报装进度咨询"}
    response = post(world["api"], "/api/v1/requests", body)
    assert response.status_code == 201, response.content
    return response.json()["id"]


@pytest.fixture
def project_id(world, own_enterprise):
    body = {"name": "压测项目", "enterprise_id": own_enterprise.pk,
            "region_id": world["linghai"].pk, "total_investment_wan": "1000"}  # fmt: skip
    response = post(world["api"], "/api/v1/projects", body)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_a_note_takes_ten_statements_and_answers_as_a_read(world, request_id):
    api = world["api"]
    path = f"/api/v1/requests/{request_id}/steps/note"
    response, statements = counted(lambda: post(api, path, {"note": "已电话联系企业"}))
    assert response.status_code == 200, response.content
    assert len(statements) == NOTE_STATEMENTS, statements
    body = response.json()
    assert body == api.get(f"/api/v1/requests/{request_id}").json()
    assert [e["kind"] for e in body["events"]][-2:] == ["note", "note"]
    # Every change still audited: who, when, what.
    entry = AuditEntry.objects.filter(object_id=str(request_id)).latest("pk")
    assert entry.actor == world["admin"] and entry.note == "note: 已电话联系企业"


def test_a_request_with_a_part_an_extension_and_a_revisit_shows_them(world, request_id):
    """The timeline says which of them to read: a step that makes one writes its entry."""
    from django.utils import timezone

    from guanjia.requests.models import ServiceRequest

    sr = ServiceRequest.objects.get(pk=request_id)
    for kind in ("assist", "extension_asked", "revisit"):
        RequestEvent.objects.create(request=sr, kind=kind, actor=world["admin"], at=timezone.now())
    with CaptureQueriesContext(connection) as ctx:
        world["api"].get(f"/api/v1/requests/{request_id}")
    tables = " ".join(q["sql"] for q in ctx.captured_queries)
    for table in ("requests_requestpart", "requests_extension", "requests_revisit"):
        assert f'FROM "{table}"' in tables


def test_a_stage_move_takes_ten_statements_and_answers_as_a_read(world, project_id):
    api = world["api"]
    forward = [True]

    def move():
        body = {"to_stage": "negotiating"} if forward[0] else {"to_stage": "lead", "reason": "更正"}
        forward[0] = not forward[0]
        return post(api, f"/api/v1/projects/{project_id}/transition", body)

    move()  # to negotiating; the counted pair is back (a correction) and forward again
    response, back = counted(move)
    assert response.status_code == 200 and response.json()["stage"] == "negotiating"
    assert len(back) <= TRANSITION_STATEMENTS, back
    response, statements = counted(move)  # forward: no guarantee feeds lead → negotiating
    assert response.status_code == 200, response.content
    assert len(statements) <= TRANSITION_STATEMENTS, statements
    assert response.json() == api.get(f"/api/v1/projects/{project_id}").json()
    entry = AuditEntry.objects.filter(object_type="projects.project").latest("pk")
    assert entry.actor == world["admin"] and entry.after["stage"] == response.json()["stage"]


def test_a_move_a_guarantee_feeds_is_still_refused_unless_overridden(world, project_id):
    project = Project.objects.get(pk=project_id)
    Project.objects.filter(pk=project_id).update(
        stage="approvals", registered_on=project.created_at
    )
    Guarantee.objects.create(project=project, kind="land", status="not_supplied")
    path = f"/api/v1/projects/{project_id}/transition"
    refused = post(world["api"], path, {"to_stage": "construction"})
    assert refused.status_code == 409, refused.content
    GuaranteeOverride.objects.create(
        project=project, stage="construction", reason="急", by=world["admin"]
    )
    assert post(world["api"], path, {"to_stage": "construction"}).status_code == 200


def test_the_stall_flag_follows_an_edited_rule(world, project_id):
    signed = dt.date.today() - dt.timedelta(days=100)
    Project.objects.filter(pk=project_id).update(stage="signed", signed_on=signed)
    read = lambda: world["api"].get(f"/api/v1/projects/{project_id}").json()["stalled"]  # noqa: E731
    assert read() is True  # 100 days signed, the default allows 90
    rule = StallRule.objects.create(kind="signed_not_registered", level="", days=120)
    assert read() is False
    rule.days = 30
    rule.save()
    assert read() is True
    assert Project.objects.filter(pk=project_id).stalled(dt.date.today()).exists()


def test_a_service_record_takes_eight_statements(world, own_enterprise):
    form = {"steward": world["steward"].pk, "enterprise": own_enterprise.pk, "kind": "call",
            "date": dt.date.today().isoformat(), "summary": "电话了解企业用工需求",
            "problems_solved": "0"}  # fmt: skip
    response, statements = counted(lambda: world["page"].post("/services/new/", form))
    assert response.status_code == 302, response.content
    assert len(statements) == RECORD_STATEMENTS, statements
    record = ServiceRecord.objects.latest("pk")
    assert record.steward == world["steward"] and record.region == own_enterprise.region
    entry = AuditEntry.objects.filter(object_type="servicerecords.servicerecord").latest("pk")
    assert entry.actor == world["admin"] and entry.object_id == str(record.pk)
    # A bad form still says why, with its choices shown.
    bad = world["page"].post("/services/new/", {**form, "kind": "problem_solved"})
    assert bad.status_code == 400 and "problem" in bad.content.decode().lower()
