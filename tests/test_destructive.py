"""Destructive actions ask for a confirmation and a reason (issue #13, item 8).

One table: each destructive action on each channel that offers it — withdrawing a request
(撤回), withdrawing a project (终止), rejecting an ingested proposal, deleting a service record,
removing a policy document, deleting in the admin. Without a reason, or (on the web) without
the ticked confirmation box, it is refused and nothing changes; with both it happens, and the
reason is on the record or its event and in the audit row. The confirmation works without
JavaScript: it is a form field the server checks.
"""

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse

from guanjia.accounts.models import ApiToken, Department
from guanjia.core.models import AuditAction, AuditEntry
from guanjia.ingest import services as ingest_services
from guanjia.ingest.models import Kind, Proposal
from guanjia.ingest.models import Status as ProposalStatus
from guanjia.policies import services as policy_services
from guanjia.policies.models import Policy, PolicyDocument
from guanjia.projects.models import Project
from guanjia.projects.stages import Stage
from guanjia.requests import services as request_services
from guanjia.requests.loading import load_categories
from guanjia.requests.models import Category, ServiceRequest
from guanjia.requests.models import Status as RequestStatus
from guanjia.servicerecords.models import Kind as ServiceKind
from guanjia.servicerecords.models import ServiceRecord
from guanjia.servicerecords.services import log_service
from guanjia.testing.factories import ProjectFactory, UserFactory
from tests.test_ingest import FAIR, text_of

REASON = "企业已自行解决，录入有误"
API = "/api/v1"


@pytest.fixture
def world(users, linghai, own_enterprise, settings, tmp_path):
    settings.GUANJIA_PRIVATE_ROOT = tmp_path
    load_categories()
    steward = users["steward"]
    own_enterprise.steward = steward
    own_enterprise.save()
    return {"users": users, "region": linghai, "enterprise": own_enterprise}


# --- the objects, and whether the action happened to them ------------------------------------


def a_request(w: dict[str, Any]) -> ServiceRequest:
    return request_services.submit(
        w["users"]["enterprise"],
        enterprise=w["enterprise"],
        category=Category.objects.get(code="land"),
        title="用地手续",
        text="用地手续请求协调。",
    )


def a_project(w: dict[str, Any]) -> Project:
    return ProjectFactory(
        enterprise=w["enterprise"], region=w["region"], lead_on=dt.date(2023, 1, 5)
    )


def a_proposal(w: dict[str, Any]) -> Proposal:
    document, _created = ingest_services.ingest(text_of(FAIR), actor=w["users"]["admin"])
    return document.proposals.filter(kind=Kind.SIGNING).first()


def a_service_record(w: dict[str, Any]) -> ServiceRecord:
    return log_service(
        w["users"]["steward"],
        enterprise=w["enterprise"],
        kind=ServiceKind.VISIT,
        date=dt.date(2024, 3, 1),
        summary="走访企业",
    )


def a_policy_document(w: dict[str, Any]) -> PolicyDocument:
    from django.core.files.uploadedfile import SimpleUploadedFile

    policy = Policy(title="新能源补助", issuer="锦州市发改委", rule={})
    guide = SimpleUploadedFile("申报指南.pdf", b"%PDF-1.4 guide", content_type="application/pdf")
    policy_services.save_policy(w["users"]["admin"], policy, [guide])
    return policy.documents.get()


def a_department(w: dict[str, Any]) -> Department:
    n = Department.objects.count() + 1
    return Department.objects.create(name=f"临时工作组{n}", region=w["region"])


def gone(model: Any) -> Callable[[Any], bool]:
    return lambda obj: not model.objects.filter(pk=obj.pk).exists()


def request_withdrawn(sr: ServiceRequest) -> bool:
    sr.refresh_from_db()
    return sr.status == RequestStatus.WITHDRAWN


def project_withdrawn(p: Project) -> bool:
    p.refresh_from_db()
    return p.stage == Stage.WITHDRAWN


def proposal_rejected(p: Proposal) -> bool:
    p.refresh_from_db()
    return p.status == ProposalStatus.REJECTED


# --- where the reason is kept besides the audit row --------------------------------------------


def reason_on_event(sr: ServiceRequest) -> str:
    return sr.events.get(kind="withdraw").note


def reason_on_project(p: Project) -> str:
    p.refresh_from_db()
    assert p.stage_changes.get(to_stage=Stage.WITHDRAWN).reason == REASON
    return p.withdrawn_reason


def reason_on_proposal(p: Proposal) -> str:
    p.refresh_from_db()
    return p.note


@dataclass(frozen=True)
class Action:
    make: Callable[[dict[str, Any]], Any]
    actor: str
    # web: (url of the object, fields beside reason and confirm); api: (path, body beside reason)
    web: Callable[[Any], tuple[str, dict[str, str]]] | None
    api: Callable[[Any], tuple[str, dict[str, Any]]] | None
    happened: Callable[[Any], bool]
    kept: Callable[[Any], str] | None  # the reason on the record or its event
    audit_action: str
    audit_type: str
    confirm_field: str = "confirm"  # Django's delete page: its "Yes, I'm sure" posts "post"


ACTIONS = {
    "withdraw a request": Action(
        a_request, "enterprise",
        web=lambda sr: (reverse("requests:step", args=[sr.pk, "withdraw"]), {}),
        api=lambda sr: (f"/requests/{sr.pk}/steps/withdraw", {}),
        happened=request_withdrawn, kept=reason_on_event,
        audit_action=AuditAction.TRANSITION, audit_type="requests.servicerequest",
    ),
    "withdraw (终止) a project": Action(
        a_project, "admin",
        web=lambda p: (
            reverse("projects:project_transition", args=[p.pk]),
            {"to_stage": "withdrawn", "on": "2023-06-01"},
        ),
        api=lambda p: (f"/projects/{p.pk}/transition", {"to_stage": "withdrawn", "on": "2023-06-01"}),
        happened=project_withdrawn, kept=reason_on_project,
        audit_action=AuditAction.TRANSITION, audit_type="projects.project",
    ),
    "reject an ingested proposal": Action(
        a_proposal, "admin",
        web=lambda p: (reverse("ingest:reject", args=[p.pk]), {}),
        api=None,
        happened=proposal_rejected, kept=reason_on_proposal,
        audit_action=AuditAction.UPDATE, audit_type="ingest.proposal",
    ),
    "delete a service record": Action(
        a_service_record, "steward",
        web=lambda r: (reverse("servicerecords:delete", args=[r.pk]), {}),
        api=None,
        happened=gone(ServiceRecord), kept=None,
        audit_action=AuditAction.DELETE, audit_type="servicerecords.servicerecord",
    ),
    "remove a policy document": Action(
        a_policy_document, "admin",
        web=lambda d: (reverse("policies:remove_document", args=[d.pk]), {}),
        api=None,
        happened=gone(PolicyDocument), kept=None,
        audit_action=AuditAction.DELETE, audit_type="policies.policydocument",
    ),
    "delete in the admin": Action(
        a_department, "admin",
        web=lambda d: (reverse("admin:accounts_department_delete", args=[d.pk]), {}),
        api=None,
        happened=gone(Department), kept=None,
        audit_action=AuditAction.DELETE, audit_type="accounts.department", confirm_field="post",
    ),
}  # fmt: skip

CONFIRMED = {"reason": REASON, "confirm": "on"}
# variant → (fields sent, does it happen)
WEB_VARIANTS = {
    "neither": ({}, False),
    "no reason": ({"confirm": "on"}, False),
    "a blank reason": ({"reason": "   ", "confirm": "on"}, False),
    "no confirmation": ({"reason": REASON}, False),
    "reason and confirmation": (CONFIRMED, True),
}
API_VARIANTS = {
    "no reason": ({}, 422),
    "a blank reason": ({"reason": "  "}, 422),
    "a reason": ({"reason": REASON}, 200),
}


def audit_rows(action: Action, obj: Any) -> Any:
    return AuditEntry.objects.filter(
        object_type=action.audit_type, object_id=str(obj.pk), action=action.audit_action
    )


def assert_reason_recorded(action: Action, obj: Any) -> None:
    row = audit_rows(action, obj).get()
    assert REASON in row.note
    if action.kept is not None:
        assert action.kept(obj) == REASON


@pytest.mark.parametrize("variant", WEB_VARIANTS)
@pytest.mark.parametrize("name", [n for n, a in ACTIONS.items() if a.web])
def test_on_the_web(client, world, name, variant):
    action = ACTIONS[name]
    obj = action.make(world)
    client.force_login(world["users"][action.actor])
    url, fields = action.web(obj)  # type: ignore[misc]
    sent, happens = WEB_VARIANTS[variant]
    sent = {action.confirm_field if k == "confirm" else k: v for k, v in sent.items()}
    response = client.post(url, fields | sent)
    assert response.status_code in (200, 302, 400)
    assert action.happened(obj) is happens, response.content.decode()[:2000]
    if happens:
        assert_reason_recorded(action, obj)
    else:
        assert not audit_rows(action, obj).exists()
        if response.status_code == 302:  # back to the page, which says why
            page = client.get(response["Location"])
            assert [m for m in page.context["messages"] if m.level_tag == "error"]
        else:
            assert response.status_code == 400


@pytest.mark.parametrize("variant", API_VARIANTS)
@pytest.mark.parametrize("name", [n for n, a in ACTIONS.items() if a.api])
def test_in_the_api(client, world, name, variant):
    action = ACTIONS[name]
    obj = action.make(world)
    _token, raw = ApiToken.issue(world["users"][action.actor])
    path, body = action.api(obj)  # type: ignore[misc]
    sent, status = API_VARIANTS[variant]
    response = client.post(
        f"{API}{path}",
        data=json.dumps(body | sent),
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert response.status_code == status, response.content
    if status == 422:
        assert "reason" in [e["field"] for e in response.json()["errors"]]
        assert not action.happened(obj)
        assert not audit_rows(action, obj).exists()
    else:
        assert action.happened(obj)
        assert_reason_recorded(action, obj)


# Where each confirmation is asked: the page, and the form's action there.
PAGES = {
    "withdraw a request": (lambda sr: reverse("requests:detail", args=[sr.pk]), "step-withdraw"),
    "withdraw (终止) a project": (
        lambda p: reverse("projects:project_detail", args=[p.pk]),
        "move",
    ),
    "reject an ingested proposal": (
        lambda p: reverse("ingest:review", args=[p.document_id]),
        "reject-form",
    ),
    "delete a service record": (
        lambda r: reverse("servicerecords:delete", args=[r.pk]),
        "confirm-action",
    ),
    "remove a policy document": (
        lambda d: reverse("policies:remove_document", args=[d.pk]),
        "confirm-action",
    ),
    "delete in the admin": (
        lambda d: reverse("admin:accounts_department_delete", args=[d.pk]),
        "id_deletion_reason",
    ),
}


@pytest.mark.parametrize("name", PAGES)
def test_the_page_asks_for_the_reason_and_the_confirmation_without_javascript(client, world, name):
    action = ACTIONS[name]
    obj = action.make(world)
    client.force_login(world["users"][action.actor])
    url, marker = PAGES[name]
    response = client.get(url(obj))
    assert response.status_code == 200
    html = response.content.decode()
    assert marker in html
    assert 'name="reason"' in html
    if name != "delete in the admin":  # Django's page: its "Yes, I'm sure" is the confirmation
        assert 'type="checkbox" name="confirm"' in html
    assert "onclick" not in html and "confirm(" not in html


def test_the_admin_asks_for_a_reason_when_deleting_the_selected_too(client, world):
    first, second = a_department(world), a_department(world)
    client.force_login(world["users"]["admin"])
    url = reverse("admin:accounts_department_changelist")
    selected = {"action": "delete_selected", "_selected_action": [first.pk, second.pk]}
    page = client.post(url, selected)
    assert page.status_code == 200 and 'name="reason"' in page.content.decode()
    again = client.post(url, selected | {"post": "yes"})  # confirmed without a reason
    assert again.status_code == 200 and 'name="reason"' in again.content.decode()
    assert Department.objects.filter(pk__in=[first.pk, second.pk]).count() == 2
    done = client.post(url, selected | {"post": "yes", "reason": REASON})
    assert done.status_code == 302
    assert not Department.objects.filter(pk__in=[first.pk, second.pk]).exists()
    rows = AuditEntry.objects.filter(object_type="accounts.department", action=AuditAction.DELETE)
    assert sorted(r.note for r in rows) == [f"admin: {REASON}"] * 2


def test_a_steward_cannot_use_the_delete_page_of_someone_elses_record(client, world):
    record = a_service_record(world)
    client.force_login(UserFactory(username="s_other", role="steward", region=world["region"]))
    assert client.get(reverse("servicerecords:delete", args=[record.pk])).status_code == 404
    assert ServiceRecord.objects.filter(pk=record.pk).exists()
