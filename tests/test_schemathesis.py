"""Property-based run over the API's own OpenAPI schema (schemathesis), in process.

For every operation, schemathesis generates requests from the schema (valid and invalid
bodies, query strings and path ids) and sends them to the Django WSGI application with the
bearer token of a real user — a city admin, and an area official (凌海) whose scope refuses
part of the world. Each response must not be a server error and must match the schema
(status code documented, body valid against the documented response schema, content type).

Bounded so the suite stays quick: MAX_EXAMPLES per operation, no deadline, derandomized (the
same cases every run, so CI is stable). GUANJIA_FUZZ_EXAMPLES raises the bound for a deeper
local run. Path ids are half of the time a real object of the world (凌海 or 黑山), otherwise
whatever schemathesis draws (mostly ids that do not exist: the 404 path).
"""

import os
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from guanjia.accounts.models import ApiToken
from guanjia.api.main import api

from .authz_world import build_world
from .shared_world import shared_world

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = int(os.environ.get("GUANJIA_FUZZ_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# The world object each path parameter names.
PATH_OBJECTS = {
    "enterprise_id": "enterprise",
    "project_id": "project",
    "event_id": "event",
    "request_id": "request",
    "lead_id": "lead",
    "investor_id": "enterprise",
}


def _schema() -> Any:
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
    return schema


def _operations() -> list[str]:
    found = []
    for result in _schema().get_all_operations():
        operation = result.ok()
        found.append(f"{operation.method.upper()} {operation.path}")
    return found


OPERATIONS = _operations()


@pytest.fixture
def wsgi_app() -> Any:
    """The real WSGI handler; like Django's test client, it must not close the database
    connection at the end of each request (that would end the test's transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# Built once for the module; each test's writes are rolled back (tests/shared_world.py).
_shared_world, _fresh, regions, users, own_enterprise, world = shared_world(build_world)


def test_the_schema_lists_operations():
    assert len(OPERATIONS) >= 18


@pytest.mark.parametrize("role", ["admin", "official"])
@pytest.mark.parametrize("label", OPERATIONS)
def test_no_server_error_and_the_schema_holds(world, wsgi_app, role, label):
    method, path = label.split(" ", 1)
    operation = _schema()[path][method]
    _, token = ApiToken.issue(world["users"][role])
    headers = {"Authorization": f"Bearer {token}"}
    real_ids = {
        name: [obj.pk for obj in world[key]]
        for name, key in PATH_OBJECTS.items()
        if "{" + name + "}" in path
    }

    @given(case=operation.as_strategy(), pick=st.data())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any, pick: Any) -> None:
        for name, ids in real_ids.items():
            if pick.draw(st.booleans(), label=f"real {name}"):
                case.path_parameters[name] = pick.draw(st.sampled_from(ids), label=name)
        # Each case in a savepoint rolled back after it: the next case meets the same world.
        with transaction.atomic():
            response = case.call(app=wsgi_app, headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)
            transaction.set_rollback(True)

    run()
