"""Open311 GeoReport v2 at /open311/v2/: the direct line for 12345 hotlines and other machines.

The resources are the spec's (https://wiki.open311.org/GeoReport_v2), each in `.json` and `.xml`:

    GET  services.{fmt}                 the active request categories
    GET  services/{service_code}.{fmt}  a category's definition (its attributes)
    GET  requests.{fmt}                 requests, with the spec's filters
    POST requests.{fmt}                 submit a request (form-encoded, or a JSON body)
    GET  requests/{service_request_id}.{fmt}

Where Guanjia departs from the spec, and why:

- Requests are not public. An enterprise's requests are its business with the city, so GET on
  requests needs an `api_key` as POST does, and answers only what that key's user may see
  (`access.requests_for`): an enterprise contact its own enterprise's, staff their scope. A
  missing or wrong key is 403. The key may also be sent as `Authorization: Bearer <key>`,
  which keeps it out of server logs. The service list and definitions stay public.
- Keys are Guanjia API tokens (`guanjia token USERNAME`). Only enterprise contacts may POST,
  for their own enterprise; a staff member's key is refused with 403 (staff enter requests
  on an enterprise's behalf in the web or the JSON API, where the source says so).
- `service_request_id` is the request's number (e.g. "ZT20260000012"), a string: the spec
  allows this. Every POST is answered at once (all services are "realtime"): no tokens.
- Location is not required: `lat`, `long`, `address_string`, `address_id` are accepted and
  ignored, as are the personal fields (`email`, `first_name`, …) and `media_url`; the caller is
  known from the key. In answers `address` is "" and `lat`, `long`, `media_url` are null.
  `jurisdiction_id` is ignored: one installation answers for its own city.
- Two attributes on every service: `project_id` (the Guanjia id of one of the enterprise's
  projects) and `priority` (urgent, general or complex; the category's default otherwise).
- `status_notes` is the latest progress note the enterprise may read (an answer, a progress
  note, a question), whoever's key asks; staff notes on routing and internal notes never.
- `expected_datetime` is the resolution deadline in working time; it is null until the
  request is dispatched, since the service clock starts at dispatch.
- A request's `status` is "open" while the city works on it, "closed" once answered, closed
  or withdrawn (an answered request reopens if the enterprise is unsatisfied).
- GET requests answers at most 1000 requests, newest first; without dates, those of the last
  90 days. A successful POST is 201 Created.

Errors are the spec's list of `{"code": <HTTP status>, "description": "…"}` (XML:
`<errors><error><code/><description/></error></errors>`): 400 for missing or bad
parameters, 403 for a missing or wrong key or a caller who may not do this, 404 for what does
not exist or is not the caller's to see, 405 for a wrong method.
"""

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt

from guanjia.accounts import ratelimit
from guanjia.accounts.models import ApiToken, Role, User
from guanjia.core.bounds import without_invisible
from guanjia.projects.access import projects_for
from guanjia.projects.models import Project

from . import access, services
from .models import (
    OPEN_STATUSES,
    Category,
    Priority,
    RequestEvent,
    ServiceRequest,
    Source,
)

CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "xml": "text/xml; charset=utf-8",
}
MAX_RESULTS = 1000
DEFAULT_SPAN = dt.timedelta(days=90)
TITLE_LENGTH = 60
MAX_IDS = MAX_RESULTS

# The element each list's items get in XML.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
}

# Names of the fields `services.submit` complains about → the Open311 parameter.
PARAMETER_NAMES = {
    "text": "description",
    "title": "description",
    "category": "service_code",
    "project": "attribute[project_id]",
    "priority": "attribute[priority]",
    "enterprise": "api_key",
}


class Open311Error(Exception):
    """Answer with `status` and one error entry per description."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(*descriptions)
        self.status = status
        self.descriptions = descriptions or (str(status),)


# ----------------------------------------------------------------------------- rendering

# Characters XML 1.0 cannot carry at all (even escaped): dropped from XML answers.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _element(tag: str, value: Any) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        for key, item in value.items():
            element.append(_element(key, item))
    elif isinstance(value, list | tuple):
        item_tag = ITEM_TAGS.get(tag, "item")
        for item in value:
            element.append(_element(item_tag, item))
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = _NOT_XML.sub("", str(value))
    return element


def to_xml(root: str, data: Any) -> bytes:
    """`data` as the spec's XML: lists become `<root><item>…</item></root>`."""
    return ET.tostring(_element(root, data), encoding="utf-8", xml_declaration=True)


def render(fmt: str, root: str, data: Any, status: int = 200) -> HttpResponse:
    body = to_xml(root, data) if fmt == "xml" else json.dumps(data, ensure_ascii=False).encode()
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def error_response(fmt: str, status: int, descriptions: tuple[str, ...]) -> HttpResponse:
    errors = [{"code": status, "description": str(d)} for d in descriptions]
    return render(fmt if fmt in CONTENT_TYPES else "json", "errors", errors, status=status)


def unavailable_response(request: HttpRequest, message: str) -> HttpResponse:
    """The 503 of `core.errors` (database unreachable) as the spec's error list, in the format
    the path asks for; registered for /open311/ in RequestsConfig.ready()."""
    fmt = "xml" if request.path.endswith(".xml") else "json"
    return error_response(fmt, 503, (message,))


def too_big_message() -> str:
    return _("The request body is larger than %(limit)s bytes; nothing was read.") % {
        "limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    }


def endpoint(*methods: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A view answering `methods`; Open311Error and PermissionDenied become the spec's errors."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt  # machines authenticate with api_key, never with a browser session
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, fmt: str = "json", **kwargs: Any) -> Any:
            if request.method not in methods:
                response = error_response(
                    fmt,
                    405,
                    (_("Method %(method)s is not allowed here.") % {"method": request.method},),
                )
                response["Allow"] = ", ".join(methods)
                return response
            try:
                for key, value in request.GET.items():
                    _check_text(key, value)
                response = view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as exc:
                response = error_response(fmt, exc.status, exc.descriptions)
            except PermissionDenied:
                response = error_response(fmt, 403, (_("You may not do this."),))
            except RequestDataTooBig:
                response = error_response(fmt, 413, (too_big_message(),))
            patch_cache_control(response, private=True, no_store=True)
            return response

        return wrapped

    return decorate


def timestamp(moment: dt.datetime | None) -> str | None:
    """ISO 8601 with the offset, in the installation's time zone (2026-03-02T09:00:00+08:00)."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


# ----------------------------------------------------------------------------- input


def _check_text(name: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Open311Error(400, _("%(name)s must be a single value.") % {"name": name})
    text = str(value)
    if "\x00" in text:
        raise Open311Error(400, _("%(name)s contains a NUL character.") % {"name": name})
    return text


def _post_params(request: HttpRequest) -> dict[str, str]:
    """The POST's parameters: form-encoded as the spec has them, or a JSON object.

    In JSON, attributes may come as `"attribute": {"priority": "urgent"}` or as
    `"attribute[priority]": "urgent"`. Parameters in the query string count too (some clients
    send `api_key` there); the body wins.
    """
    params = {key: _check_text(key, request.GET.get(key)) for key in request.GET}
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise Open311Error(400, _("The request body is not valid JSON.")) from None
        if not isinstance(body, dict):
            raise Open311Error(400, _("The request body must be a JSON object."))
        for key, value in body.items():
            if key == "attribute" and isinstance(value, dict):
                for code, item in value.items():
                    name = f"attribute[{code}]"
                    params[name] = _check_text(name, item)
            else:
                params[key] = _check_text(key, value)
    else:
        for key in request.POST:
            params[key] = _check_text(key, request.POST.get(key))
    return params


def _api_key(request: HttpRequest, given: str | None) -> str:
    key = (given or "").strip()
    if not key:
        header = request.headers.get("Authorization", "")
        if header[:7].lower() == "bearer ":
            key = header[7:].strip()
    return key


def authenticate(request: HttpRequest, given: str | None) -> User:
    """The user whose API token `api_key` is; 403 when it is missing, wrong or revoked."""
    key = _api_key(request, given)
    if not key:
        raise Open311Error(403, _("api_key is required."))
    user = ApiToken.objects.user_for(key)
    if user is None:
        raise Open311Error(403, _("api_key is not valid or was revoked."))
    return user


def parse_moment(name: str, value: str) -> dt.datetime:
    """A W3C date-time (2026-03-02T09:00:00+08:00, …Z) or a date (its local midnight)."""
    text = value.strip()
    # An unescaped "+" in a query string arrives as a space: "09:00:00 08:00".
    text = re.sub(r" (\d{2}:?\d{2})$", r"+\1", text)
    try:
        moment = parse_datetime(text)
        if moment is None:
            day = parse_date(text)
            if day is not None:
                moment = dt.datetime.combine(day, dt.time())
    except ValueError:
        moment = None
    if moment is None:
        raise Open311Error(
            400,
            _("%(name)s must be a date-time such as 2026-03-02T09:00:00+08:00.") % {"name": name},
        )
    if not 1900 <= moment.year <= 9000:
        raise Open311Error(400, _("%(name)s is out of range.") % {"name": name})
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


# ----------------------------------------------------------------------------- services


def service_item(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description,
        "metadata": True,
        "type": "realtime",
        "keywords": "",
        "group": category.group,
    }


PROJECT_ATTRIBUTE = {
    "code": "project_id",
    "datatype": "number",
    "description": gettext_lazy("Guanjia project number"),
    "datatype_description": gettext_lazy(
        "The id of one of your enterprise's projects in Guanjia, if the request is about one."
    ),
}


def service_definition(category: Category) -> dict[str, Any]:
    priorities = [{"key": p.value, "name": str(p.label)} for p in Priority]
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": PROJECT_ATTRIBUTE["code"],
                "datatype": PROJECT_ATTRIBUTE["datatype"],
                "required": False,
                "datatype_description": str(PROJECT_ATTRIBUTE["datatype_description"]),
                "order": 1,
                "description": str(PROJECT_ATTRIBUTE["description"]),
            },
            {
                "variable": True,
                "code": "priority",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": _("Default: %(priority)s")
                % {"priority": category.get_default_priority_display()},
                "order": 2,
                "description": _("Priority"),
                "values": priorities,
            },
        ],
    }


@endpoint("GET")
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    items = [service_item(c) for c in Category.objects.filter(active=True)]
    return render(fmt, "services", items)


@endpoint("GET")
def service_detail(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    category = Category.objects.filter(code=code, active=True).first()
    if category is None:
        raise Open311Error(
            404, _("There is no service with service_code %(code)s.") % {"code": code}
        )
    return render(fmt, "service_definition", service_definition(category))


# ----------------------------------------------------------------------------- requests


def with_status_notes(qs: QuerySet[ServiceRequest]) -> QuerySet[ServiceRequest]:
    """Requests with what the spec's serialiser reads, in a constant number of queries.

    The status notes are the latest progress note the enterprise may read (`models.TIMELINE`),
    whoever's key asks: a 12345 hotline fetches with its own key and reads them out to the
    enterprise, so a steward's internal note never reaches them.
    """
    latest_note = (
        RequestEvent.objects.filter(request=OuterRef("pk"))
        .progress_for(None)
        .order_by("-at", "-id")
        .values("note")[:1]
    )
    return qs.select_related("category", "department", "assignee").annotate(
        latest_note=Subquery(latest_note)
    )


def is_open(sr: ServiceRequest) -> bool:
    return sr.status in OPEN_STATUSES


def service_notice(sr: ServiceRequest) -> str:
    if not is_open(sr):
        return ""
    if sr.resolve_due_at is None:
        return _("Received: your steward accepts it and dispatches it; the clock starts then.")
    return _("To be resolved by %(due)s (working days).") % {
        "due": timezone.localtime(sr.resolve_due_at).strftime("%Y-%m-%d %H:%M")
    }


def agency_responsible(sr: ServiceRequest) -> str:
    if sr.department is not None:
        return sr.department.name
    return str(sr.assignee) if sr.assignee is not None else ""


def request_item(sr: ServiceRequest) -> dict[str, Any]:
    """One request as the spec's object (`sr` from `with_status_notes`)."""
    notes = getattr(sr, "latest_note", None) or sr.answer
    return {
        "service_request_id": sr.number,
        "status": "open" if is_open(sr) else "closed",
        "status_notes": notes,
        "service_name": sr.category.name,
        "service_code": sr.category.code,
        "description": sr.text,
        "agency_responsible": agency_responsible(sr),
        "service_notice": service_notice(sr),
        "requested_datetime": timestamp(sr.submitted_at),
        "updated_datetime": timestamp(sr.updated_at),
        "expected_datetime": timestamp(sr.resolve_due_at),
        "address": "",
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


def filter_requests(qs: QuerySet[ServiceRequest], params: Any) -> QuerySet[ServiceRequest]:
    """The spec's filters; `service_request_id` overrides all the others."""
    ids = _csv(params.get("service_request_id"))
    if ids:
        if len(ids) > MAX_IDS:
            raise Open311Error(400, _("At most %(n)s service_request_id at once.") % {"n": MAX_IDS})
        return qs.filter(number__in=ids)
    codes = _csv(params.get("service_code"))
    if codes:
        known = set(Category.objects.filter(code__in=codes).values_list("code", flat=True))
        unknown = [code for code in codes if code not in known]
        if unknown:
            raise Open311Error(
                400,
                *(_("There is no service with service_code %(code)s.") % {"code": c}
                  for c in unknown),
            )  # fmt: skip
        qs = qs.filter(category__code__in=codes)
    statuses = {s.lower() for s in _csv(params.get("status"))}
    if statuses - {"open", "closed"}:
        raise Open311Error(400, _("status must be open or closed."))
    if statuses == {"open"}:
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif statuses == {"closed"}:
        qs = qs.exclude(status__in=OPEN_STATUSES)
    start = params.get("start_date")
    end = params.get("end_date")
    start_at = parse_moment("start_date", start) if start else None
    end_at = parse_moment("end_date", end) if end else None
    if start_at and end_at and start_at > end_at:
        raise Open311Error(400, _("start_date must not be after end_date."))
    if start_at is None:
        start_at = (end_at or timezone.now()) - DEFAULT_SPAN
    qs = qs.filter(submitted_at__gte=start_at)
    if end_at is not None:
        qs = qs.filter(submitted_at__lte=end_at)
    return qs


def _project(user: User, value: str) -> Project | None:
    value = value.strip()
    if not value:
        return None
    try:
        pk = int(value)
    except ValueError:
        raise Open311Error(400, _("attribute[project_id] must be a number.")) from None
    project = projects_for(user).filter(pk=pk).first() if 0 < pk < 2**63 else None
    if project is None:
        raise Open311Error(
            400, _("attribute[project_id] %(pk)s is not one of your projects.") % {"pk": value}
        )
    return project


def make_title(description: str) -> str:
    """The first line of the description, cut at 60 characters."""
    lines = (without_invisible(ln).strip() for ln in description.splitlines())
    line = next((ln for ln in lines if ln), "")
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1] + "…"


def _refusal(exc: ValidationError) -> Open311Error:
    if hasattr(exc, "error_dict"):
        return Open311Error(
            400,
            *(f"{PARAMETER_NAMES.get(name, name)}: {message}"
              for name, messages in exc.message_dict.items() for message in messages),
        )  # fmt: skip
    return Open311Error(400, *exc.messages)


def _post_limit(request: HttpRequest, fmt: str, key: str) -> HttpResponse | None:
    """The Open311 POST limit, counted on the key that authenticates (the body's, else the
    query string's, else the bearer header's), so extra keys elsewhere in the request change
    nothing; a missing or wrong key counts on the client's address. None when allowed."""
    valid = bool(key) and ApiToken.objects.user_for(key) is not None
    ident = "key:" + key if valid else "ip:" + ratelimit.client_ip(request)
    verdict = ratelimit.hit("open311_post", ident)
    if verdict.allowed:
        return None
    return ratelimit.with_headers(error_response(fmt, 429, (ratelimit.message(verdict),)), verdict)


def submit(request: HttpRequest, fmt: str) -> HttpResponse:
    params = _post_params(request)
    refused = _post_limit(request, fmt, _api_key(request, params.get("api_key")))
    if refused is not None:
        return refused
    user = authenticate(request, params.get("api_key"))
    if user.role != Role.ENTERPRISE or user.enterprise is None:
        raise Open311Error(
            403, _("Only an enterprise contact's api_key may submit requests through Open311.")
        )
    code = params.get("service_code", "").strip()
    description = params.get("description", "").strip()
    missing = [name for name, value in (("service_code", code), ("description", description))
               if not value]  # fmt: skip
    if missing:
        raise Open311Error(400, *(_("%(name)s is required.") % {"name": name} for name in missing))
    category = services.active_category(code)
    if category is None:
        raise Open311Error(
            400, _("There is no service with service_code %(code)s.") % {"code": code}
        )
    priority = params.get("attribute[priority]", "").strip()
    if priority and priority not in Priority.values:
        raise Open311Error(
            400,
            _("attribute[priority] must be one of: %(values)s.")
            % {"values": ", ".join(Priority.values)},
        )
    project = _project(user, params.get("attribute[project_id]", ""))
    try:
        sr = services.submit(
            user,
            enterprise=user.enterprise,
            category=category,
            title=make_title(description),
            text=description,
            project=project,
            priority=priority,
            source=Source.OPEN311,
        )
    except ValidationError as exc:  # services.RequestError, or the model's own checks
        raise _refusal(exc) from exc
    item = {
        "service_request_id": sr.number,
        "service_notice": service_notice(sr),
        "account_id": None,
    }
    return render(fmt, "service_requests", [item], status=201)


@endpoint("GET", "POST")
def request_list(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return submit(request, fmt)
    user = authenticate(request, request.GET.get("api_key"))
    qs = filter_requests(access.requests_for(user), request.GET)
    rows = with_status_notes(qs).order_by("-submitted_at", "-id")[:MAX_RESULTS]
    return render(fmt, "service_requests", [request_item(sr) for sr in rows])


@endpoint("GET")
def request_detail(request: HttpRequest, number: str, fmt: str) -> HttpResponse:
    user = authenticate(request, request.GET.get("api_key"))
    sr = with_status_notes(access.requests_for(user)).filter(number=number).first()
    if sr is None:
        raise Open311Error(
            404, _("There is no request %(number)s that you may see.") % {"number": number}
        )
    return render(fmt, "service_requests", [request_item(sr)])


@csrf_exempt
def not_found(request: HttpRequest) -> HttpResponse:
    """Any other address under /open311/v2/ answers with the spec's error list."""
    fmt = "xml" if request.path.endswith(".xml") else "json"
    return error_response(
        fmt, 404, (_("Not found: the resources are services and requests, in .json or .xml."),)
    )
