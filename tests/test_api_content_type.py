"""The API reads JSON bodies only: every write operation (POST, PUT, PATCH in the OpenAPI
schema, so a new one is covered without a new row) refuses a body declared as anything else
with 415 and the API's error body, and writes nothing. Open311 stays form-encoded."""

import json
import re
from urllib.parse import urlencode

import pytest
from django.test import Client

from guanjia.accounts.models import ApiToken
from guanjia.api.main import api
from guanjia.core.models import AuditEntry
from guanjia.projects.models import Project

from .authz_world import build_world
from .shared_world import shared_world

API = "/api/v1"
WRITES = sorted(
    f"{method.upper()} {path}"
    for path, item in api.get_openapi_schema()["paths"].items()
    for method in item
    if method in ("post", "put", "patch")
)
# (Content-Type, the body as sent): what browsers' forms, scripts and careless clients send.
NOT_JSON = [
    ("application/x-www-form-urlencoded", urlencode({"name": "表单项目"})),
    ("multipart/form-data; boundary=BoUnDaRy",
     '--BoUnDaRy\r\nContent-Disposition: form-data; name="name"\r\n\r\n表单项目\r\n--BoUnDaRy--\r\n'),
    ("text/plain", json.dumps({"name": "表单项目"})),  # JSON inside, declared text: refused
    ("application/xml", "<name>表单项目</name>"),
    ("", json.dumps({"name": "表单项目"})),  # no type at all
]  # fmt: skip
PATH_OBJECTS = {"enterprise_id": "enterprise", "project_id": "project", "request_id": "request",
                "event_id": "event", "lead_id": "lead", "visit_id": "visit", "trip_id": "trip",
                "guest_id": "guest", "row_id": "signing row", "park_id": "park",
                "plot_id": "plot", "building_id": "building"}  # fmt: skip


# Built once for the module; each test's writes are rolled back (tests/shared_world.py).
_shared_world, _fresh, regions, users, own_enterprise, world = shared_world(build_world)


@pytest.fixture
def as_admin(users):
    _, raw = ApiToken.issue(users["admin"], "tests")
    return {"Authorization": f"Bearer {raw}", "accept-language": "en"}


def real_path(template: str, world) -> str:
    """The operation's path (as the schema names it) with real objects of the caller's area."""

    def fill(match: re.Match) -> str:
        name = match.group(1)
        return "accept" if name == "step" else str(world[PATH_OBJECTS[name]][0].pk)

    return re.sub(r"\{(\w+)\}", fill, template)


def test_every_write_operation_is_covered():
    assert len(WRITES) >= 7, WRITES


def test_every_write_operation_documents_its_415():
    """A client generated from the schema knows a non-JSON body is refused and how."""
    schema = api.get_openapi_schema()
    for operation in WRITES:
        method, path = operation.split(" ", 1)
        answer = schema["paths"][path][method.lower()]["responses"]["415"]
        assert answer["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/InvalidOut"
        }, operation
    assert "errors" in schema["components"]["schemas"]["InvalidOut"]["properties"]
    reads = [item["get"] for item in schema["paths"].values() if "get" in item]
    assert reads and not any("415" in read["responses"] for read in reads)


@pytest.mark.parametrize("operation", WRITES)
@pytest.mark.parametrize(("content_type", "body"), NOT_JSON, ids=lambda v: v[:24] or "none")
def test_a_write_whose_body_is_not_json_is_a_415(world, as_admin, operation, content_type, body):
    method, template = operation.split(" ", 1)
    before = AuditEntry.objects.count()
    response = Client().generic(
        method, real_path(template, world), body.encode(), content_type=content_type,
        headers=as_admin,
    )  # fmt: skip
    assert response.status_code == 415, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {
        "detail": "The request body must be JSON.",
        "errors": [{"field": None, "message": "send Content-Type: application/json"}],
    }
    assert AuditEntry.objects.count() == before


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON"]
)
def test_json_with_or_without_a_charset_is_read(world, as_admin, content_type):
    project = world["project"][0]
    response = Client().patch(
        f"{API}/projects/{project.pk}", json.dumps({"name": "改名项目"}),
        content_type=content_type, headers=as_admin,
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert Project.objects.get(pk=project.pk).name == "改名项目"


def test_the_same_change_as_a_form_changes_nothing(world, as_admin):
    project = world["project"][0]
    response = Client().patch(
        f"{API}/projects/{project.pk}", urlencode({"name": "改名项目"}),
        content_type="application/x-www-form-urlencoded", headers=as_admin,
    )  # fmt: skip
    assert response.status_code == 415
    assert Project.objects.get(pk=project.pk).name == project.name


def test_reads_an_empty_write_and_a_wrong_method_are_not_415(world, as_admin):
    project = world["project"][0]
    client = Client()
    # A GET's content type is irrelevant.
    read = client.get(f"{API}/projects/{project.pk}", content_type="text/plain", headers=as_admin)
    assert read.status_code == 200
    # No body at all: the operation answers that its fields are missing.
    empty = client.generic("POST", f"{API}/projects", b"", content_type="", headers=as_admin)
    assert empty.status_code in (400, 422)
    # A method the address does not have stays the JSON 405.
    wrong = client.put(
        f"{API}/projects/{project.pk}", "name=x", content_type="text/plain", headers=as_admin
    )
    assert wrong.status_code == 405


def test_open311_stays_form_encoded(world):
    """Open311 GeoReport v2 posts service requests form-encoded: not this API, no 415."""
    response = Client().post(
        "/open311/v2/requests.json", {"api_key": "not-a-key", "service_code": "land"}
    )
    assert response.status_code == 403  # the key is refused, the encoding is not


def test_a_body_over_the_limit_is_a_413_in_the_callers_format(world, as_admin, settings):
    """A body larger than GUANJIA_MAX_BODY_BYTES is refused before it is read, in the API's
    JSON and in Open311's own format: never Django's HTML 400 page."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    before = Project.objects.count()
    big = json.dumps({"name": "大项目", "construction_content": "建" * 100_000})
    response = Client().post(
        f"{API}/projects", big, content_type="application/json", headers=as_admin
    )
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) in response.json()["detail"]
    assert Project.objects.count() == before
    for fmt in ("json", "xml"):
        answer = Client().post(
            f"/open311/v2/requests.{fmt}", {"api_key": "k", "description": "诉" * 100_000}
        )
        assert answer.status_code == 413, fmt
        assert fmt in answer["Content-Type"]
        assert str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE).encode() in answer.content
    # Within the limit, the same operation reads the body as ever.
    small = Client().post(
        f"{API}/projects", "{}", content_type="application/json", headers=as_admin
    )
    assert small.status_code == 422
