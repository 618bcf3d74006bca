"""The authorization matrix: every URL pattern and every API operation, every role.

The expected results are data in tests/authz_matrix.py. Two tests make the table complete:
every URL pattern the resolver knows and every operation in the OpenAPI schema must have a row
(or a justified skip), and every row must still match a pattern — so a new endpoint cannot ship
without someone writing down who may reach it. The other tests play each row: a GET of the
"own" object (凌海 / the caller's) and of the "other" object (黑山 / someone else's), and an
empty POST to each, as every role; an empty POST must never be a 500, and a refused one
(login redirect, 403, 404, 405) must write nothing (no audit entry).

To see the observed table after a change: AUTHZ_PRINT=1 pytest tests/test_authz_matrix.py -s
"""

import datetime as dt
import json
import os
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from guanjia.accounts.models import ApiToken, User
from guanjia.api.main import api
from guanjia.core.models import AuditEntry
from guanjia.testing.factories import credit_code

from .authz_matrix import (
    API,
    API_SKIPPED,
    READERS_OF_OTHER,
    ROLES,
    SKIPPED,
    WEB,
    WebRow,
    codes,
)
from .authz_world import build_world, obj
from .shared_world import shared_world
from .test_request_import import xlsx

pytestmark = pytest.mark.django_db

PRINT = bool(os.environ.get("AUTHZ_PRINT"))


# ---------------------------------------------------------------- enumeration


def url_patterns() -> dict[str, str]:
    """Every routable pattern as key → route: "namespace:name", or the route when unnamed."""
    found: dict[str, str] = {}

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                ns = namespace
                if entry.namespace:
                    ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry, prefix + str(entry.pattern), ns)
            elif isinstance(entry, URLPattern):
                route = prefix + str(entry.pattern)
                if entry.name:
                    key = f"{namespace}:{entry.name}" if namespace else entry.name
                else:
                    key = "/" + route
                found.setdefault(key, route)

    walk(get_resolver(), "", "")
    return found


def is_skipped(key: str, route: str) -> bool:
    return key not in WEB and any(route.startswith(prefix) or key == prefix for prefix in SKIPPED)


def api_operations() -> set[str]:
    schema = api.get_openapi_schema()
    return {
        f"{method.upper()} {path.removeprefix('/api/v1')}"
        for path, methods in schema["paths"].items()
        for method in methods
    }


def test_every_url_pattern_has_an_expected_result_per_role():
    patterns = url_patterns()
    missing = sorted(
        k for k, route in patterns.items() if not is_skipped(k, route) and k not in WEB
    )
    assert not missing, f"URL patterns with no row in tests/authz_matrix.py WEB: {missing}"


def test_every_row_still_names_a_url_pattern():
    patterns = url_patterns()
    stale = sorted(set(WEB) - set(patterns))
    assert not stale, f"rows in tests/authz_matrix.py WEB for no URL pattern: {stale}"
    admin_entry_points = [k for k in WEB if k.startswith("admin:")]
    assert admin_entry_points, (
        "the admin's entry points are checked even though its internals are not"
    )


def test_every_skip_still_skips_something():
    patterns = url_patterns()
    for prefix in SKIPPED:
        assert any(
            is_skipped(k, route) and route.startswith(prefix) for k, route in patterns.items()
        ), prefix


def test_every_api_operation_has_an_expected_result_per_role():
    operations = api_operations()
    missing = sorted(operations - set(API) - set(API_SKIPPED))
    assert not missing, f"API operations with no row in tests/authz_matrix.py API: {missing}"
    stale = sorted(set(API) - operations)
    assert not stale, f"rows in tests/authz_matrix.py API for no operation: {stale}"


def test_every_row_gives_a_result_for_every_role():
    for key, row in WEB.items():
        for field in ("get", "get_other", "post", "post_other"):
            value = getattr(row, field)
            if value is not None:
                assert len(codes(value)) == len(ROLES), (key, field)
                assert "500" not in codes(value), (key, field)
        has_objects = any(not spec.startswith("=") for spec in row.kwargs.values())
        assert (row.get_other is None) == (not has_objects), key
    for key, api_row in API.items():
        for value in api_row[1:]:
            if value is not None:
                assert len(codes(value)) == len(ROLES), key


# ---------------------------------------------------------------- the world


# Built once for the module; each test's writes are rolled back (tests/shared_world.py).
_shared_world, _fresh, regions, users, own_enterprise, world = shared_world(build_world)


def users_by_role(world: dict[str, Any]) -> dict[str, User | None]:
    users = world["users"]
    return {
        "anon": None,
        "enterprise": users["enterprise"],
        "steward": users["steward"],
        "handler": users["handler"],
        "official": users["official"],
        "leader": users["leader"],
        "admin": users["admin"],
    }


MISSING = 987654  # an id no object has


def web_url(
    key: str, row: WebRow, world: dict[str, Any], user: User | None, other: bool,
    missing: bool = False,
) -> str:  # fmt: skip
    kwargs: dict[str, Any] = {}
    for name, spec in row.kwargs.items():
        if spec.startswith("="):
            kwargs[name] = spec[1:]
        elif missing:
            kwargs[name] = f"ZT2099{MISSING}" if spec.endswith(".number") else MISSING
        else:
            key_, _, attr = spec.partition(".")
            kwargs[name] = getattr(obj(world, key_, user, other), attr or "pk")
    if row.path:
        return "/" + row.path
    return reverse(key, kwargs=kwargs)


def outcome(response: Any) -> str:
    """The status as the table writes it: L is a redirect to the log-in page."""
    if response.status_code in (301, 302) and response["Location"].startswith(reverse("login")):
        return "L"
    return str(response.status_code)


REFUSED = {"L", "401", "403", "404", "405"}


def call(client: Client, field: str, url: str) -> str:
    # Each call in a savepoint rolled back after it: one role's write never changes what the
    # next role meets.
    # A refused POST must write nothing: its status gets a "!" (never an expected value) if
    # an audit entry appeared.
    with transaction.atomic():
        before = AuditEntry.objects.count()
        response = client.get(url) if field.startswith("get") else client.post(url, {})
        got = outcome(response)
        if field.startswith("post") and got in REFUSED and AuditEntry.objects.count() != before:
            got += "!"
        transaction.set_rollback(True)
    return got


def play_web(key: str, row: WebRow, world: dict[str, Any]) -> dict[str, list[str]]:
    observed: dict[str, list[str]] = {}
    kinds = [spec.partition(".")[0] for spec in row.kwargs.values() if not spec.startswith("=")]
    readers = set.intersection(*(READERS_OF_OTHER[k] for k in kinds)) if kinds else set()
    for role, user in users_by_role(world).items():
        client = Client()
        if user is not None:
            client.force_login(user)
        cases = [("get", False), ("post", False)]
        if row.get_other is not None:
            cases += [("get_other", True), ("post_other", True)]
        for field, other in cases:
            if getattr(row, field) is None:
                continue
            url = web_url(key, row, world, user, other) + row.query
            got = call(client, field, url)
            if other and got in ("403", "404") and role not in readers:
                # Leak by status: refusing another area's object must look exactly like
                # refusing an object that does not exist.
                absent = call(client, field, web_url(key, row, world, user, other, True))
                if absent != got:
                    got += f"(missing:{absent})"
            observed.setdefault(field, []).append(got)
    return observed


@pytest.mark.parametrize("key", sorted(WEB))
def test_web_row(client, world, key):
    row = WEB[key]
    observed = play_web(key, row, world)
    expected = {f: codes(getattr(row, f)) for f in observed}
    if PRINT:
        print(f"\n{key!r}: " + json.dumps({f: " ".join(v) for f, v in observed.items()}))
    diff = {
        f: {r: (e, o) for r, e, o in zip(ROLES, expected[f], observed[f], strict=True) if e != o}
        for f in observed
    }
    diff = {f: d for f, d in diff.items() if d}
    assert not diff, f"{key}: role → (expected, observed): {diff}"


# ---------------------------------------------------------------- the API


def api_path(template: str, world: dict[str, Any], other: bool, missing: bool = False) -> str:
    path = template
    for placeholder, key in (
        ("{enterprise_id}", "enterprise"),
        ("{project_id}", "project"),
        ("{event_id}", "event"),
        ("{request_id}", "request"),
        ("{lead_id}", "lead"),
        ("{investor_id}", "enterprise"),
        ("{visit_id}", "visit"),
        ("{trip_id}", "trip"),
        ("{guest_id}", "guest"),
        ("{row_id}", "signing row"),
        ("{park_id}", "park"),
        ("{plot_id}", "plot"),
        ("{building_id}", "building"),
    ):
        if placeholder in path:
            pk = MISSING if missing else obj(world, key, None, other).pk
            path = path.replace(placeholder, str(pk))
    step = "contact" if path.startswith("/leads") else "accept"
    step = "not_signed" if "/signing-list/" in path else step
    return path.replace("{step}", step)


def api_call(client: Client, method: str, path: str, payload: Any, headers: dict) -> str:
    with transaction.atomic():
        before = AuditEntry.objects.count()
        response = client.generic(
            method, "/api/v1" + path, data=json.dumps(payload) if payload is not None else "",
            content_type="application/json", headers=headers,
        )  # fmt: skip
        got = str(response.status_code)
        if method != "GET" and got in REFUSED and AuditEntry.objects.count() != before:
            got += "!"  # refused, yet it wrote: never an expected value
        transaction.set_rollback(True)
    return got


@pytest.mark.parametrize("operation", sorted(API))
def test_api_row(client, world, operation):
    method, template = operation.split(" ", 1)
    body, own, other = API[operation]
    tokens = {role: ApiToken.issue(user)[1] for role, user in users_by_role(world).items() if user}
    observed: dict[str, list[str]] = {}
    for field, expected, is_other in (("own", own, False), ("other", other, True)):
        if expected is None:
            continue
        path = api_path(template, world, is_other)
        for role in ROLES:
            headers = {"Authorization": f"Bearer {tokens[role]}"} if role in tokens else {}
            payload = body(world, is_other) if callable(body) else body
            got = api_call(client, method, path, payload, headers)
            kind = template.split("/")[1].removesuffix("s")
            readers = READERS_OF_OTHER.get(kind, set())
            if is_other and got in ("403", "404") and "{" in template and role not in readers:
                # Leak by status: another area's object is refused as if it did not exist.
                absent_path = api_path(template, world, is_other, missing=True)
                absent = api_call(client, method, absent_path, payload, headers)
                if absent != got:
                    got += f"(missing:{absent})"
            observed.setdefault(field, []).append(got)
    if PRINT:
        print(f"\n{operation!r}: " + json.dumps({f: " ".join(v) for f, v in observed.items()}))
    wanted = {"own": codes(own), "other": codes(other) if other else None}
    diff = {
        f: {r: (e, o) for r, e, o in zip(ROLES, wanted[f], observed[f], strict=True) if e != o}
        for f in observed
    }
    diff = {f: d for f, d in diff.items() if d}
    assert not diff, f"{operation}: role → (expected, observed): {diff}"


# ---------------------------------------------------------------- what lists show

OTHER_NAMES = ("黑山项目", "黑山风电有限公司", "黑山推介会")
# list page → (the kind of object it lists, the name a reader of that kind must find there)
LISTS = {
    "projects:project_list": ("project", "黑山项目"),
    "enterprises:enterprise_list": ("enterprise", "黑山风电有限公司"),
    "events:event_list": ("event", "黑山推介会"),
    "requests:queue": ("request", None),
    "servicerecords:list": ("service record", None),
    "policies:deliveries": ("match", None),
    "guarantees:unmet": ("project", None),
    "projects:stalled_list": ("project", None),
    "enterprises:enterprise_options": ("enterprise", None),  # the pickers' search (?q=)
    "leads:visits": ("visit", "黑山风电有限公司"),  # the visit's investor
    "leads:trips": ("trip", None),
}


@pytest.mark.parametrize("key", sorted(LISTS))
def test_lists_show_the_other_area_only_to_its_readers(world, key):
    kind, name = LISTS[key]
    for role, user in users_by_role(world).items():
        if user is None:
            continue
        client = Client()
        client.force_login(user)
        response = client.get(reverse(key), {"q": "黑山"} if key.endswith("options") else {})
        if response.status_code != 200:
            continue  # refused outright: the matrix holds that
        html = response.content.decode()
        if role in READERS_OF_OTHER[kind]:
            assert name is None or name in html, (key, role)
        else:
            shown = [n for n in OTHER_NAMES if n in html]
            assert not shown, f"{key} shows {shown} to {role}"


# ---------------------------------------------------------------- references
#
# Every field that names another record, on every write path (tests/authz_matrix.py
# REFERENCES): enumerated here so that a new one without a row fails, then played for each
# writer role with the own (凌海) and the other (黑山) record, and with an id no record has.


def _write_forms() -> dict[str, Any]:
    """Every form class of the project's forms and views modules, by "module.Class"."""
    import importlib
    import inspect
    import pkgutil

    from django import forms as django_forms

    import guanjia

    found: dict[str, Any] = {}
    for info in pkgutil.iter_modules(guanjia.__path__):
        for leaf in ("forms", "views", "views_excel", "views_stalled"):
            try:
                module = importlib.import_module(f"guanjia.{info.name}.{leaf}")
            except ModuleNotFoundError:
                continue
            for name, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, django_forms.BaseForm) and cls.__module__ == module.__name__:
                    found[f"{module.__name__}.{name}"] = cls
    return found


def reference_fields() -> set[str]:
    """Every field of every write path that names another record, as REFERENCES keys."""
    from django.contrib import admin
    from django.forms import ModelChoiceField

    from guanjia.ingest.services import EDITABLE
    from guanjia.leads.importers import COLUMNS as LEADS
    from guanjia.projects.importers import COLUMNS as LEDGER
    from guanjia.requests.importers import COLUMNS as REQUESTS
    from guanjia.requests.models import Category
    from guanjia.requests.open311 import service_definition
    from guanjia.servicerecords.importers import COLUMNS as SERVICES
    from guanjia.targets.importers import HEADERS as TARGETS

    from .authz_matrix import PLAIN_COLUMNS

    keys: set[str] = set()
    for path, cls in _write_forms().items():
        for name, field in cls.base_fields.items():
            if isinstance(field, ModelChoiceField):
                keys.add(f"web {path}.{name}")
    schema = api.get_openapi_schema()
    components = schema["components"]["schemas"]
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if method == "get" or not body:
                continue
            ref = body["schema"].get("$ref", "")
            props = components[ref.rsplit("/", 1)[-1]]["properties"] if ref else {}
            for name in props:
                if name.endswith(("_id", "_ids")):
                    keys.add(f"api {method.upper()} {path.removeprefix('/api/v1')} {name}")
    category = Category(code="x", name="x")
    for attribute in service_definition(category)["attributes"]:
        if attribute["code"].endswith("_id"):
            keys.add(f"open311 POST requests attribute[{attribute['code']}]")
    for importer, columns in (
        ("ledger", [c.key for c in LEDGER]),
        ("requests", [c.key for c in REQUESTS]),
        ("servicerecords", [c.key for c in SERVICES]),
        ("targets", list(TARGETS)),
        ("leads", [c.key for c in LEADS]),
        ("ingest", {k for keys_ in EDITABLE.values() for k in keys_}),
    ):
        for column in columns:
            if column not in PLAIN_COLUMNS[importer]:
                keys.add(f"{importer if importer == 'ingest' else 'import ' + importer} {column}")
    for model_admin in admin.site._registry.values():
        for action in model_admin.actions or []:
            if action != "delete_selected":
                keys.add(
                    f"admin {type(model_admin).__module__}.{type(model_admin).__name__}.{action}"
                )
    return keys


def test_every_field_that_names_a_record_has_a_reference_row(db):
    from .authz_matrix import REFERENCES

    fields = reference_fields()
    missing = sorted(fields - set(REFERENCES))
    assert not missing, f"fields naming records with no row in REFERENCES: {missing}"
    stale = sorted(set(REFERENCES) - fields)
    assert not stale, f"REFERENCES rows for no field: {stale}"


@pytest.fixture
def refs(world, users, linghai, heishan):
    """world, with the own and other record of every kind a reference names."""
    from guanjia.accounts.models import Role
    from guanjia.events import services as event_services
    from guanjia.targets.models import Indicator, Source, Unit
    from guanjia.testing.factories import DepartmentFactory, ProjectFactory, UserFactory
    from guanjia.worktime.loading import load_holidays

    load_holidays([2025])  # the request import's service clock
    Indicator.objects.create(
        code="gdp", name="地区生产总值", unit=Unit.YI, source=Source.ENTERED, sort_order=1
    )  # the targets import's indicator
    other_steward = User.objects.get(username="t_steward_hs")
    own_enterprise = world["enterprise"][0]
    return world | {
        "region": (linghai, heishan),
        "steward": (users["steward"], other_steward),
        "owner": (users["steward"], other_steward),
        "assignee": (users["handler"], other_steward),
        "leader": (
            users["leader"],
            UserFactory(username="t_leader_hs", role=Role.LEADER, region=heishan),
        ),
        "department": (
            users["handler"].department,
            DepartmentFactory(name="黑山县自然资源局", region=heishan),
        ),
        # a project of the contact's enterprise, in 黑山: its steward is another's
        "project": (
            world["project"][0],
            ProjectFactory(
                name="凌海企业黑山项目",
                enterprise=own_enterprise,
                region=heishan,
                steward=other_steward,
            ),
        ),  # fmt: skip
        # Open311: the contact's own project and another enterprise's
        "contact project": world["project"],
        # an event still to come (a lead goes on its signing list), of 凌海 and of 黑山
        "open event": tuple(
            event_services.create_event(
                None, name=f"{region.name}招商对接会", date=dt.date(2099, 5, 1), region=region
            )
            for region in (linghai, heishan)
        ),
    }


def _form(key: str, user: User, w: dict[str, Any]) -> Any:
    """An unbound instance of the form a REFERENCES web row names, as its view builds it."""
    from guanjia.enterprises.forms import EnterpriseForm
    from guanjia.enterprises.models import Enterprise
    from guanjia.events import forms as events_forms
    from guanjia.guarantees.forms import GuaranteeForm
    from guanjia.leads.forms import (
        LeadForm,
        MeetingForm,
        MergeForm,
        SigningListForm,
        TripForm,
        VisitForm,
    )
    from guanjia.parks import forms as park_forms
    from guanjia.projects import forms as projects
    from guanjia.requests import forms as requests_forms
    from guanjia.requests.views import InviteForm
    from guanjia.servicerecords.forms import RecordForm
    from guanjia.targets.access import referenceable_people, referenceable_teams
    from guanjia.targets.forms import ValueForm
    from guanjia.targets.models import Indicator
    from guanjia.targets.views import _regions_for
    from guanjia.taskforces.forms import ActionItemForm

    cls = key.split()[1].rsplit(".", 2)[1]
    build = {
        "ProjectForm": lambda: projects.ProjectForm(instance=w["project"][0], user=user),
        "ProjectCreateForm": lambda: projects.ProjectCreateForm(user=user),
        "EnterpriseForm": lambda: EnterpriseForm(instance=w["enterprise"][0], user=user),
        "SubmitForm": lambda: requests_forms.SubmitForm(user),
        "AssignForm": lambda: requests_forms.AssignForm(w["request"][0]),
        "InviteForm": lambda: InviteForm(user),
        "RecordForm": lambda: RecordForm(user=user),
        "GuaranteeForm": lambda: GuaranteeForm(user=user),
        "LeadForm": lambda: LeadForm(user=user),
        "MergeForm": lambda: MergeForm(user=user, keep=Enterprise()),
        "VisitForm": lambda: VisitForm(user=user),
        "TripForm": lambda: TripForm(user=user),
        "MeetingForm": lambda: MeetingForm(user=user),
        "SigningListForm": lambda: SigningListForm(user=user),
        "ActionItemForm": lambda: ActionItemForm(w["project"][0]),
        "EventForm": lambda: events_forms.EventForm(user=user),
        "GuestForm": lambda: events_forms.GuestForm(user=user),
        "WalkInForm": lambda: events_forms.WalkInForm(user=user),
        "RowForm": lambda: events_forms.RowForm(user=user),
        "ParkForm": lambda: park_forms.ParkForm(user),
        "PlotForm": lambda: park_forms.PlotForm(user),
        "BuildingForm": lambda: park_forms.BuildingForm(user),
        "StepForm": lambda: park_forms.StepForm(user),
        "ValueForm": lambda: ValueForm(
            indicators=Indicator.objects.all(),
            regions=_regions_for(user),
            teams=referenceable_teams(user),
            people=referenceable_people(user),
        ),  # fmt: skip
    }
    return build[cls]()


def _form_outcome(key: str, user: User, w: dict[str, Any], kind: str, other: bool) -> str:
    """ok when the form accepts the record, no when it refuses it exactly as a missing one."""
    from django.forms import ModelMultipleChoiceField

    field_name = key.rsplit(".", 1)[1]
    form = _form(key, user, w)
    if field_name not in form.fields:
        return "-"
    field = form.fields[field_name]
    record = w[kind][1 if other else 0]

    def error(value: Any) -> list[str]:
        data = [value] if isinstance(field, ModelMultipleChoiceField) else value
        try:
            field.clean(data)
        except Exception as exc:  # ValidationError: the message the user reads
            return [str(m).replace(str(value), "ID") for m in getattr(exc, "messages", [exc])]
        return []

    got = error(record.pk)
    if not got:
        return "ok"
    return "no" if got == error(MISSING) else f"refused({got} vs missing {error(MISSING)})"


def _api_request(key: str, w: dict[str, Any], pk: Any, users: dict) -> tuple[str, str, Any]:
    """(method, path, body) of an API row's write naming `pk` in the row's field."""
    _api, method, template, field = key.split()
    own_enterprise, own_project, own_sr = w["enterprise"][0], w["project"][0], w["request"][0]
    value = [pk] if field.endswith("_ids") else pk
    if template == "/projects":
        body = {"name": "引用矩阵项目", "enterprise_id": own_enterprise.pk,
                "region_id": w["region"][0].pk}  # fmt: skip
        return method, template, body | {field: value}
    if template == "/projects/{project_id}":
        return method, f"/projects/{own_project.pk}", {field: value}
    if template == "/enterprises":
        return method, template, {"name": "引用矩阵企业", "credit_code": credit_code(
            w["region"][0].code, 990002), field: value}  # fmt: skip
    if template == "/enterprises/{enterprise_id}":
        return method, f"/enterprises/{own_enterprise.pk}", {field: value}
    if template == "/requests":
        body = {"category": "land", "text": "引用矩阵诉求", "enterprise_id": own_enterprise.pk}
        return method, template, body | {field: value}
    own_event = w["event"][0]
    if template == "/events/{event_id}/guests":
        return method, f"/events/{own_event.pk}/guests", {field: value}
    if template == "/events/{event_id}/signing-list":
        body = {"project_id": own_project.pk, "government_id": w["region"][0].pk,
                "amount_wan": "1000"}  # fmt: skip
        return method, f"/events/{own_event.pk}/signing-list", body | {field: value}
    if template == "/leads":
        if field == "project_id":  # a lead continues a project still at 线索 or 在谈
            from guanjia.projects.models import Project

            Project.objects.filter(pk=pk).update(stage="lead")
        body = {"investor_id": own_enterprise.pk, "name": "引用矩阵线索",
                "region_id": w["region"][0].pk, "source": "expo"}  # fmt: skip
        return method, template, body | {field: value}
    today = timezone.localdate()
    if template == "/visits":
        body = {"date": str(today), "region_id": w["region"][0].pk,
                "investor_ids": [own_enterprise.pk], "visitors": "引用矩阵来宾"}  # fmt: skip
        return method, template, body | {field: value}
    if template == "/trips":
        body = {"destinations": "深圳市", "start_on": str(today), "end_on": str(today),
                "region_id": w["region"][0].pk}  # fmt: skip
        return method, template, body | {field: value}
    if template == "/trips/{trip_id}/meetings":
        trip = w["trip"][0]
        body = {"date": str(trip.start_on), "our_side": "我方", "their_side": "对方",
                "outcome": "引用矩阵会谈"}  # fmt: skip
        return method, f"/trips/{trip.pk}/meetings", body | {field: value}
    if template == "/plots/{plot_id}/reserve":  # the own (凌海) plot, held until next month
        until = str(today + dt.timedelta(days=30))
        return method, f"/plots/{w['plot'][0].pk}/reserve", {"until": until, field: value}
    if template == "/buildings/{building_id}/reserve":  # the own (凌海) building, likewise
        until = str(today + dt.timedelta(days=30))
        return method, f"/buildings/{w['building'][0].pk}/reserve", {"until": until, field: value}
    assert template == "/requests/{request_id}/steps/{step}", key
    if field == "into_id":  # merging a duplicate of the own enterprise (made by `send`)
        return method, f"/requests/{w['_duplicate'].pk}/steps/merge", {"into_id": value}
    assert field in ("to_id", "department_id"), key
    return method, f"/requests/{own_sr.pk}/steps/dispatch", {field: value}


def _written() -> tuple[int, ...]:
    from guanjia.enterprises.models import Enterprise
    from guanjia.projects.models import Project
    from guanjia.requests.models import RequestEvent, ServiceRequest

    return (
        AuditEntry.objects.count(), Project.objects.count(), Enterprise.objects.count(),
        ServiceRequest.objects.count(), RequestEvent.objects.count(),
        User.objects.count(),
    )  # fmt: skip


def _api_outcome(key: str, user: User, w: dict[str, Any], kind: str, other: bool, users) -> str:
    from guanjia.requests import services as request_services

    token = ApiToken.issue(user)[1]
    headers = {"Authorization": f"Bearer {token}"}

    def send(pk: Any) -> tuple[int, str, bool]:
        with transaction.atomic():
            if "steps" in key:
                request_services.accept(w["request"][0], users["admin"])
            if key.endswith(" into_id"):
                own = w["request"][0]
                w["_duplicate"] = request_services.submit(
                    users["admin"], enterprise=own.enterprise, project=own.project,
                    category=own.category, title="重复诉求", text="与前一件相同。",
                )  # fmt: skip
            before = _written()
            method, path, body = _api_request(key, w, pk, users)
            response = Client().generic(
                method, "/api/v1" + path, data=json.dumps(body), content_type="application/json",
                headers=headers,
            )  # fmt: skip
            unchanged = _written() == before
            transaction.set_rollback(True)
        return response.status_code, response.content.decode().replace(str(pk), "ID"), unchanged

    record = w[kind][1 if other else 0]
    status, body, unchanged = send(record.pk)
    if status < 300:
        return "ok"
    missing = send(MISSING)
    if (status, body) == missing[:2] and unchanged:
        return "no"
    return f"refused({status} {body} unchanged={unchanged}; missing: {missing})"


def _played(key: str) -> Any:
    if key.startswith("web "):
        return lambda user, w, kind, other, users: _form_outcome(key, user, w, kind, other)
    if key.startswith("api "):
        return lambda user, w, kind, other, users: _api_outcome(key, user, w, kind, other, users)
    if key.startswith("import "):
        return lambda user, w, kind, other, users: _import_outcome(key, user, w, kind, other)
    if key.startswith("ingest "):
        return lambda user, w, kind, other, users: _ingest_outcome(key, user, w, kind, other)
    if key.startswith("open311 "):
        return lambda user, w, kind, other, users: _open311_outcome(user, w, kind, other)
    return None


# ------------------------------------------ references: importers, the ingest review, Open311
#
# Each attempt runs in a savepoint rolled back after it and says (accepted, what the user
# reads, whether nothing was written). A refusal is "no" when the user reads exactly what a
# name or id no record has gives (the value itself replaced), "refused" when it differs (an
# importer's enterprise column, where an unknown name is a new enterprise), and shows itself
# in full when anything was written.

# Values no record has, per column kind: what "missing" is played with.
MISSING_TEXT = {
    "enterprise": "引用矩阵无此企业有限公司",
    "credit_code": credit_code("210781", 999001),
    "region": "引用矩阵无此县",
    "steward": "nobody_here",
    "leader": "nobody_here",
    "project": "引用矩阵无此项目",
    "investor": "引用矩阵无此企业有限公司",
    "owner": "nobody_here",
    "department": "引用矩阵无此部门",
    "contact project": str(MISSING),
}


def _counts() -> tuple[int, ...]:
    from guanjia.events.models import Signing
    from guanjia.ingest.models import Proposal
    from guanjia.notifications.models import Notification
    from guanjia.projects.models import StageChange
    from guanjia.servicerecords.models import ServiceRecord
    from guanjia.targets.models import Actual

    return (
        *_written(), StageChange.objects.count(), Signing.objects.count(),
        ServiceRecord.objects.count(), Actual.objects.count(), Notification.objects.count(),
        Proposal.objects.filter(status="proposed").count(),
    )  # fmt: skip


Attempt = tuple[bool, list[str], bool]


def _attempt(run: Any) -> Attempt:
    """(accepted, messages, nothing written) of `run()` -> (accepted, messages)."""
    with transaction.atomic():
        before = _counts()
        accepted, messages = run()
        unchanged = _counts() == before
        transaction.set_rollback(True)
    return accepted, messages, unchanged


def _judge(got: Attempt, missing: Attempt, value: str, missing_value: str) -> str:
    accepted, messages, unchanged = got
    if accepted:
        return "ok" if not unchanged else "ok(but nothing written)"
    shown = [m.replace(value, "X") for m in messages]
    missing_shown = [m.replace(missing_value, "X") for m in missing[1]]
    if not unchanged:
        return f"refused!(wrote something: {shown})"
    if not missing[0] and shown == missing_shown:
        return "no"
    return "refused"


def _xlsx(rows: list[list[Any]]) -> Any:
    buffer = xlsx(rows)  # the request import tests' sheet writer: dates as real dates
    buffer.name = "引用矩阵.xlsx"
    return buffer


def _text_of(column: str, record: Any) -> str:
    """What a file writes in `column` to name `record`."""
    if column == "credit_code":
        return str(record.credit_code)
    if column in ("steward", "leader", "owner"):
        return str(record.username)
    return str(record.name)


def _import_gate(importer: str, user: User) -> bool:
    """Whether the role may use the importer at all (its page's own check)."""
    from guanjia.leads.access import can_create as can_enter_leads
    from guanjia.requests.access import can_import
    from guanjia.servicerecords.access import can_log
    from guanjia.targets.access import can_enter_actuals

    return {
        "ledger": lambda: user.can_write,
        "requests": lambda: can_import(user),
        "servicerecords": lambda: can_log(user),
        "targets": lambda: can_enter_actuals(user),
        "leads": lambda: can_enter_leads(user),
    }[importer]()


def _import_file(importer: str, column: str, text: str, w: dict[str, Any]) -> Any:
    """A one-row file for `importer` naming `text` in `column`, everything else the own
    (凌海) records."""
    own_enterprise, own_project = w["enterprise"][0], w["project"][0]
    steward = w["steward"][0]
    if importer == "ledger":
        row = {"项目名称": "引用矩阵项目", "企业名称": own_enterprise.name, "所属县区": "凌海市"}
        header = {"enterprise": "企业名称", "credit_code": "统一社会信用代码",
                  "region": "所属县区", "steward": "项目管家", "leader": "包保领导"}[column]  # fmt: skip
        if column == "credit_code":
            row["企业名称"] = "引用矩阵新企业有限公司"
        row[header] = text
    elif importer == "requests":
        row = {
            "编号": "RM-2025-001", "提交时间": dt.datetime(2025, 3, 3, 9, 0),
            "企业": own_enterprise.name, "类别": "用地保障", "标题": "规划条件迟迟未出",
            "内容": "项目已摘地三个月，规划条件仍未出具。", "状态": "已办结",
            "答复时间": dt.datetime(2025, 3, 5, 10, 0), "答复内容": "已协调出具规划条件。",
            "项目管家": steward.username, "项目": own_project.name,
        }  # fmt: skip
        header = {"enterprise": "企业", "credit_code": "统一社会信用代码", "project": "项目",
                  "steward": "项目管家"}[column]  # fmt: skip
        if column == "project":
            row["项目"] = text  # of the own enterprise: the other project is its 黑山 one
        else:
            row[header] = text
        if column in ("enterprise", "credit_code"):
            row["项目"] = None
    elif importer == "servicerecords":
        row = {
            "日期": timezone.localdate() - dt.timedelta(days=7), "管家": steward.username,
            "企业": own_enterprise.name, "项目": own_project.name, "方式": "走访",
            "内容": "走访企业，了解用地进度。",
        }  # fmt: skip
        header = {"enterprise": "企业", "credit_code": "统一社会信用代码", "project": "项目",
                  "steward": "管家"}[column]  # fmt: skip
        row[header] = text
        if column in ("enterprise", "credit_code"):
            row["项目"] = None
    elif importer == "leads":
        row = {"项目名称": "引用矩阵线索", "投资方": own_enterprise.name, "所属区县": "凌海市",
               "来源": "展会"}  # fmt: skip
        header = {"investor": "投资方", "credit_code": "统一社会信用代码", "region": "所属区县",
                  "department": "招商小分队", "owner": "负责人", "project": "台账项目"}[column]  # fmt: skip
        if column == "credit_code":
            row["投资方"] = "引用矩阵新企业有限公司"
        if column == "project":  # a lead continues a project of its investor at 线索 or 在谈
            from guanjia.projects.models import Project

            Project.objects.filter(enterprise=own_enterprise).update(stage="lead")
        row[header] = text
    else:
        assert importer == "targets" and column == "region", (importer, column)
        row = {"指标": "地区生产总值", "地区": text, "期间": "2026Q1", "实际值(亿元)": 15}
    headers = [h for h, v in row.items() if v is not None]
    return _xlsx([headers, [row[h] for h in headers]])


def _run_import(importer: str, user: User, source: Any) -> tuple[bool, list[str]]:
    from guanjia.leads.importers import import_leads
    from guanjia.projects.importers import FileError, run_import
    from guanjia.requests.importers import import_requests
    from guanjia.servicerecords.importers import import_services
    from guanjia.targets.importers import ActualImporter

    if importer == "ledger":
        result = run_import(source, user)
        done = result.committed and result.created > 0
    elif importer == "requests":
        result = import_requests(source, user)
        done = result.created > 0
    elif importer == "servicerecords":
        result = import_services(source, user)
        done = result.created > 0
    elif importer == "leads":
        result = import_leads(source, user)
        done = result.committed and result.created > 0
    else:
        try:
            result = ActualImporter(user).run(source)
        except FileError as exc:
            return False, [str(exc)]
        done = result.written > 0
    messages = [str(m) for m in getattr(result, "file_errors", [])]
    messages += [f"{e.column}: {e.reason}" for e in result.errors]
    return done, messages


def _import_outcome(key: str, user: User, w: dict[str, Any], kind: str, other: bool) -> str:
    _prefix, importer, column = key.split()
    if not _import_gate(importer, user):
        return "-"
    value = _text_of(column, w[kind][1 if other else 0])
    missing_value = MISSING_TEXT[column]

    def play(text: str) -> Attempt:
        return _attempt(
            lambda: _run_import(importer, user, _import_file(importer, column, text, w))
        )

    return _judge(play(value), play(missing_value), value, missing_value)


def _ingest_outcome(key: str, user: User, w: dict[str, Any], kind: str, other: bool) -> str:
    """Accepting a proposal that names an enterprise (a new project for it) or matches a
    project (a milestone that changes it)."""
    from django.core.exceptions import ValidationError

    from guanjia.ingest import services as ingest
    from guanjia.ingest.models import IngestedDocument, Proposal

    if not ingest.can_review(user):
        return "-"
    column = key.split()[1]

    def accept(text: str) -> Attempt:
        # A new project's milestone for the named enterprise; a signing of the matched project.
        kind = "milestone" if column == "enterprise" else "signing"
        payload: dict[str, Any] = {"date": {"value": "2026-11-02"}, "kind": "started"}
        if column == "enterprise":
            payload |= {"project": {"value": "引用矩阵新项目"}, "enterprise": {"value": text}}
        else:
            payload |= {"project": {"value": text}, "investment_yuan": {"value": "10000000"}}
        document = IngestedDocument.objects.create(
            source_name="锦州日报", text=text, sha256=ingest.sha256("引用矩阵" + text),
            uploaded_by=w["users"]["admin"], published=dt.date(2026, 11, 2),
        )  # fmt: skip
        proposal = Proposal.objects.create(
            document=document, kind=kind, match="create", region=w["region"][0],
            payload=payload,
        )  # fmt: skip
        before = _counts()
        try:
            ingest.accept(proposal, user)
        except ValidationError as exc:
            messages = (
                [f"{f}: {m}" for f, ms in exc.message_dict.items() for m in ms]
                if hasattr(exc, "error_dict")
                else list(exc.messages)
            )
            return False, messages, _counts() == before
        # accepted: the proposal is decided; it was played if the ledger changed
        return _counts()[:-1] != before[:-1], [], False

    def attempt(text: str) -> Attempt:
        with transaction.atomic():
            got = accept(text)
            transaction.set_rollback(True)
        return got

    value = _text_of(column, w[kind][1 if other else 0])
    missing_value = MISSING_TEXT[column]
    return _judge(attempt(value), attempt(missing_value), value, missing_value)


def _open311_outcome(user: User, w: dict[str, Any], kind: str, other: bool) -> str:
    """An enterprise contact's Open311 POST naming a project in attribute[project_id]."""
    from guanjia.accounts.models import Role

    if user.role != Role.ENTERPRISE:
        return "-"
    key = ApiToken.issue(user)[1]

    def post(pk: Any) -> tuple[bool, list[str]]:
        response = Client().post(
            "/open311/v2/requests.json",
            {"api_key": key, "service_code": "land", "description": "请协调用地",
             "attribute[project_id]": pk},
        )  # fmt: skip
        return response.status_code < 300, [f"{response.status_code} {response.content.decode()}"]

    value = str(w[kind][1 if other else 0].pk)
    return _judge(
        _attempt(lambda: post(value)), _attempt(lambda: post(MISSING)), value, str(MISSING)
    )


def _reference_rows(prefix: str) -> list[str]:
    from .authz_matrix import REFERENCES

    return sorted(
        k for k, (kind, *_codes) in REFERENCES.items()
        if k.startswith(prefix) and not kind.startswith("public:")
    )  # fmt: skip


@pytest.mark.parametrize(
    "key",
    _reference_rows("web ") + _reference_rows("api ") + _reference_rows("import ")
    + _reference_rows("ingest ") + _reference_rows("open311 "),
)  # fmt: skip
def test_reference_row(refs, users, key):
    """Each role naming the own and the other record: accepted, or refused exactly as a record
    that does not exist (same form error / same status and body / same row error) with nothing
    written; "refused" where the path cannot answer "missing" (an importer's unknown
    enterprise is a new one) — refused all the same, with nothing written."""
    from .authz_matrix import REF_ROLES, REFERENCES

    kind, own, other, *how = REFERENCES[key]
    roles = how[0].split() if how else list(REF_ROLES)
    play = _played(key)
    observed = {
        "own": [play(users[r], refs, kind, False, users) for r in roles],
        "other": [play(users[r], refs, kind, True, users) for r in roles],
    }
    # A web form or API row's "-" is a role the page or operation refuses (the WEB and API
    # rows say so); the other paths check their own door, so "-" must be observed.
    if PRINT:
        print(key, observed)
    lenient = key.startswith(("web ", "api "))
    for field, expected in (("own", own), ("other", other)):
        wanted = expected.split()
        got = [
            g if (w != "-" or not lenient) else "-"
            for g, w in zip(observed[field], wanted, strict=True)
        ]
        assert got == wanted, f"{key} ({field}): expected {wanted}, observed {observed[field]}"


@pytest.mark.parametrize("importer", ["ledger", "requests", "servicerecords", "targets"])
@pytest.mark.parametrize("role", ["leader", "handler", "enterprise"])
def test_read_only_roles_cannot_use_an_importer_at_all(users, importer, role):
    """Where the reference rows say "-" for the rest: the importers are closed to them."""
    from guanjia.ingest.services import can_review

    assert not _import_gate(importer, users[role])
    assert not can_review(users[role])


INVITES = [
    # (role, whose enterprise, expected): the web row plays the form's field; this plays the
    # whole invitation page, where a success creates an account that reads all the
    # enterprise's requests.
    ("steward", "own", "ok"), ("steward", "other", "no"),
    ("official", "own", "ok"), ("official", "other", "no"),
    ("admin", "own", "ok"), ("admin", "other", "ok"),
]  # fmt: skip


@pytest.mark.parametrize(("role", "whose", "expected"), INVITES)
def test_an_invitation_for_an_enterprise_out_of_reach_is_refused_like_a_missing_one(
    refs, users, mailoutbox, role, whose, expected
):
    from guanjia.enterprises import invites
    from guanjia.notifications.models import Notification

    enterprise = refs["enterprise"][1 if whose == "other" else 0]
    client = Client()
    client.force_login(users[role])

    def invite(pk: Any) -> tuple[int, Any, bool]:
        with transaction.atomic():
            before = (_counts(), Notification.objects.count(), len(mailoutbox))
            response = client.post(
                reverse("requests:invite"),
                {"enterprise": pk, "display_name": "新联系人", "email": "new@example.com"},
            )
            errors = response.context["form"].errors if response.context else None
            unchanged = before == (_counts(), Notification.objects.count(), len(mailoutbox))
            transaction.set_rollback(True)
        return response.status_code, errors, unchanged

    status, errors, unchanged = invite(enterprise.pk)
    if expected == "ok":
        assert status == 200 and not errors and not unchanged
        return
    assert (status, errors, unchanged) == invite(MISSING)[:2] + (True,)
    assert errors and list(errors) == ["enterprise"]
    # and the service itself, whatever form reaches it, refuses it as a missing record
    with pytest.raises(invites.ReferenceOutOfScope), transaction.atomic():
        invites.invite_contact(users[role], enterprise=enterprise, display_name="新联系人")
