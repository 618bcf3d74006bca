"""Who may reach what: the expected result of every URL pattern and API operation per role.

Read with tests/test_authz_matrix.py (which enumerates the URL resolver and the OpenAPI schema
and fails for any pattern or operation without a row here) and tests/authz_world.py (the
objects: "own" is in 凌海市 — the enterprise contact's enterprise, served by t_steward, in the
official's area — or the caller's own notification / import job; "other" is in 黑山县 — another
enterprise and steward — or someone else's).

A row's results are seven codes, one per role in ROLES order:
    anon  enterprise  steward  handler  official  leader  admin
"L" is a redirect to the log-in page; other codes are HTTP statuses (302: another redirect).
GET is a plain GET; POST is an empty POST (no fields: it must be refused, or answered with a
form error or a redirect — never a 500; a refused POST must write nothing).

Adding a URL: one line `"namespace:name": R("kw=object …", GET, POST[, GET other, POST other])`
where `object` is a key of the world (project, enterprise, event, request, attachment,
service record, approval, action item, policy, policy document, match, report, notification,
import job; `request.number` takes an attribute) and `=value` is a constant.
"""

import re
from dataclasses import dataclass, field
from typing import Any

from guanjia.testing.factories import credit_code

ROLES = ("anon", "enterprise", "steward", "handler", "official", "leader", "admin")


def codes(value: str) -> list[str]:
    return value.split()


@dataclass(frozen=True)
class WebRow:
    kwargs: dict[str, str]
    get: str
    post: str
    get_other: str | None = None
    post_other: str | None = None
    path: str = ""  # for unnamed patterns: the path to request
    query: str = ""
    notes: str = field(default="", compare=False)


def R(  # noqa: N802 - a one-letter constructor keeps each row on one line
    kwargs: str,
    get: str,
    post: str,
    get_other: str | None = None,
    post_other: str | None = None,
    *,
    path: str = "",
    query: str = "",
) -> WebRow:
    parsed = {m.group(1): m.group(2) for m in re.finditer(r"(\w+)=(=?[^=]+?)(?=\s+\w+=|$)", kwargs)}
    return WebRow(parsed, get, post, get_other, post_other, path, query)


# Who may read the "other" (黑山 / someone else's) object of each kind. Everyone else is an
# outsider to it: refusing them must look exactly like refusing an id that does not exist
# (the test compares the two), so the status never tells an outsider that the object exists.
# A reader may get 403 on a write (read-only roles).
READERS_OF_OTHER: dict[str, set[str]] = {
    "project": {"handler", "leader", "admin"},
    "enterprise": {"handler", "leader", "admin"},
    "contact": {"handler", "leader", "admin"},  # the enterprise's readers
    "approval": {"handler", "leader", "admin"},  # the project's readers
    "action item": {"handler", "leader", "admin"},  # the project's readers
    "event": {"steward", "handler", "leader", "admin"},
    # an event's guest list and signing list: its staff readers (never an enterprise contact)
    "guest": {"steward", "handler", "leader", "admin"},
    "signing row": {"steward", "handler", "leader", "admin"},
    "request": {"leader", "admin"},
    "attachment": {"leader", "admin"},
    "service record": {"leader", "admin"},
    "match": {"leader", "admin"},
    "report": {"steward", "leader", "admin"},
    # policies are the city's library, not an area's: every library user reads them all
    "policy": {"steward", "official", "leader", "admin"},
    "policy document": {"steward", "official", "leader", "admin"},
    "ingested document": {"steward", "admin"},  # reviewers whose area holds a proposal
    "proposal": {"steward", "admin"},
    "notification": set(),
    "import job": set(),
    "requests import job": set(),
    "servicerecords import job": set(),
    "targets import job": set(),
    "leads import job": set(),
    "lead": {"leader", "admin"},
    "investor": {"handler", "leader", "admin"},  # an enterprise's readers
    "negotiation record": {"leader", "admin"},  # the lead's readers
    "visit": {"leader", "admin"},  # as the leads: the area's readers
    "trip": {"leader", "admin"},
    # the land inventory is the city's: every reader reads all of it, only its area keeps it
    "park": {"steward", "official", "leader", "admin"},
    "plot": {"steward", "official", "leader", "admin"},
    "building": {"steward", "official", "leader", "admin"},
    "land file": {"steward", "official", "leader", "admin"},
    "parks import job": set(),
}

# Patterns the matrix does not play, by route prefix or key — each with the reason. A row in
# WEB wins over a skip (the admin's entry points are played although its internals are not).
SKIPPED: dict[str, str] = {
    # Django's own admin site: ~180 generated change-list/change/delete pages, all behind the
    # admin site's single has_permission check (city admins only), which the admin:index and
    # admin:accounts_user_changelist rows below prove for every role.
    "admin/": "Django admin internals; its permission gate is played through two entry points",
    # The API's operations are played by the API table below, from the OpenAPI schema (its
    # schema, docs and root pages are rows in WEB).
    "api/v1/": "API operations: see API below",
    # Django's language switch: sets a cookie for anyone, reads and writes no data.
    "i18n/": "set_language: a cookie for anyone, no data",
}
# Not here because they are not URL patterns: static files (WhiteNoise middleware, public by
# design) and media (a pattern only with DEBUG, never in production; private files go
# through access-checked views). If DEBUG adds the media pattern, the test names it.

# fmt: off
WEB: dict[str, WebRow] = {
    # key: R(kwargs, GET, POST[, GET other, POST other])   each: anon ent stew hand off lead admin
    "home": R("", "302 302 302 302 302 302 302", "302 302 302 302 302 302 302"),
    "login": R("", "200 200 200 200 200 200 200", "200 200 200 200 200 200 200"),
    # open data: the anonymous role reads it like everyone (public fields only); no writes
    "open:oc4ids_projects": R("", "200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "open:projects_csv": R("", "200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "open:parks_geojson": R("", "200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "open:plots_geojson": R("", "200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "logout": R("", "405 405 405 405 405 405 405", "L L L L L L L"),
    "/api/v1/": R("", "200 200 200 200 200 200 200", "405 405 405 405 405 405 405", path="api/v1/"),
    "api:openapi-json": R("", "200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "api:openapi-view": R("", "200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "api:api-root": R("", "200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "open311:services": R("fmt==json", "200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "open311:service": R("code==land fmt==json", "200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "open311:requests": R("fmt==json", "403 403 403 403 403 403 403", "403 403 403 403 403 403 403"),
    "open311:request": R("number=request.number fmt==json", "403 403 403 403 403 403 403", "405 405 405 405 405 405 405", "403 403 403 403 403 403 403", "405 405 405 405 405 405 405"),
    "/open311/v2/": R("", "404 404 404 404 404 404 404", "404 404 404 404 404 404 404", path="open311/v2/"),
    "notifications:inbox": R("", "L 200 200 200 200 200 200", "L 200 200 200 200 200 200"),
    "notifications:open": R("pk=notification", "L 302 302 302 302 302 302", "L 302 302 302 302 302 302", "L 404 404 404 404 404 404", "L 404 404 404 404 404 404"),
    "notifications:mark_all_read": R("", "405 405 405 405 405 405 405", "L 302 302 302 302 302 302"),
    "notifications:channels": R("", "L 200 200 200 200 200 200", "L 302 302 302 302 302 302"),
    "requests:queue": R("", "L 200 200 200 200 200 200", "L 200 200 200 200 200 200"),
    "requests:new": R("", "L 200 200 403 200 403 200", "L 200 200 403 200 403 200"),
    "requests:export": R("", "L 200 200 200 200 200 200", "L 200 200 200 200 200 200"),
    # an empty POST names no action: refused; each ticked request is checked by its step
    "requests:bulk": R("", "L 405 405 405 405 405 405", "L 403 403 403 403 403 403"),
    "requests:import": R("", "L 403 403 403 200 403 200", "L 403 403 403 200 403 200"),
    "requests:import_job": R("pk=requests import job", "L 403 403 403 200 403 200", "L 405 405 405 405 405 405", "L 403 403 403 404 403 404", "L 405 405 405 405 405 405"),
    "requests:import_progress": R("pk=requests import job", "L 403 403 403 200 403 200", "L 405 405 405 405 405 405", "L 403 403 403 404 403 404", "L 405 405 405 405 405 405"),
    "requests:import_commit": R("pk=requests import job", "L 405 405 405 405 405 405", "L 403 403 403 302 403 302", "L 405 405 405 405 405 405", "L 403 403 403 404 403 404"),
    "requests:invite": R("", "L 403 200 403 200 403 200", "L 403 200 403 200 403 200"),
    "requests:invite_accept": R("uidb64==MQ token==bad-token", "200 200 200 200 200 200 200", "200 200 200 200 200 200 200"),
    "requests:detail": R("pk=request", "L 200 200 404 200 200 200", "L 200 200 404 200 200 200", "L 404 404 404 404 200 200", "L 404 404 404 404 200 200"),
    "requests:step": R("pk=request step==accept", "L 405 405 405 405 405 405", "L 403 302 404 302 403 302", "L 405 405 405 405 405 405", "L 404 404 404 404 403 302"),
    "requests:attachment": R("pk=request attachment_pk=attachment", "L 200 200 404 200 200 200", "L 200 200 404 200 200 200", "L 404 404 404 404 200 200", "L 404 404 404 404 200 200"),
    "servicerecords:list": R("", "L 403 200 200 200 200 200", "L 405 405 405 405 405 405"),  # the stewards' log: not the enterprise's
    "servicerecords:create": R("", "L 403 200 403 200 403 200", "L 403 200 403 200 403 200"),
    "servicerecords:dependent_fields": R("", "L 403 200 403 200 403 200", "L 405 405 405 405 405 405"),
    "servicerecords:edit": R("pk=service record", "L 403 200 404 200 403 200", "L 403 200 404 200 403 200", "L 404 404 404 404 403 200", "L 404 404 404 404 403 200"),
    "servicerecords:delete": R("pk=service record", "L 403 200 404 200 403 200", "L 403 400 404 400 403 400", "L 404 404 404 404 403 200", "L 404 404 404 404 403 400"),
    "servicerecords:export": R("", "L 403 200 200 200 200 200", "L 405 405 405 405 405 405"),
    "servicerecords:figures": R("", "L 403 200 403 200 200 200", "L 405 405 405 405 405 405"),
    "servicerecords:figures_export": R("", "L 403 200 403 200 200 200", "L 405 405 405 405 405 405"),
    "servicerecords:import": R("", "L 403 200 403 200 403 200", "L 403 200 403 200 403 200"),
    "servicerecords:import_job": R("pk=servicerecords import job", "L 403 200 403 200 403 200", "L 405 405 405 405 405 405", "L 403 404 403 404 403 404", "L 405 405 405 405 405 405"),
    "servicerecords:import_progress": R("pk=servicerecords import job", "L 403 200 403 200 403 200", "L 405 405 405 405 405 405", "L 403 404 403 404 403 404", "L 405 405 405 405 405 405"),
    "servicerecords:import_commit": R("pk=servicerecords import job", "L 405 405 405 405 405 405", "L 403 302 403 302 403 302", "L 405 405 405 405 405 405", "L 403 404 403 404 403 404"),
    "servicerecords:import_template": R("", "L 403 200 403 200 403 200", "L 405 405 405 405 405 405"),
    # leads: workers (steward: their own and their team's) work them, leaders read, handlers
    # and enterprise contacts meet the workbench as if it did not exist (404)
    # parks: readers (steward, official, leader, admin) read all; keepers (the park's area) keep
    # The public portal: the same for everyone, signed in or not (only what is published).
    "portal:home": R("", "200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "portal:parks": R("", "200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "portal:park": R("pk=park", "200 200 200 200 200 200 200", "405 405 405 405 405 405 405", "200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "portal:plots": R("", "200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "portal:plot": R("pk=plot", "200 200 200 200 200 200 200", "405 405 405 405 405 405 405", "200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "portal:map": R("", "200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "portal:map_data": R("", "200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "portal:policies": R("", "200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "portal:policy": R("pk=policy", "404 404 404 404 404 404 404", "405 405 405 405 405 405 405", "404 404 404 404 404 404 404", "405 405 405 405 405 405 405"),
    "portal:policy_document": R("pk=policy document", "404 404 404 404 404 404 404", "405 405 405 405 405 405 405", "404 404 404 404 404 404 404", "405 405 405 405 405 405 405"),
    "portal:projects": R("", "200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "portal:project": R("pk=project", "404 404 404 404 404 404 404", "405 405 405 405 405 405 405", "404 404 404 404 404 404 404", "405 405 405 405 405 405 405"),
    "portal:enquiry": R("", "200 200 200 200 200 200 200", "400 400 400 400 400 400 400"),
    "portal:language": R("code==en", "302 302 302 302 302 302 302", "405 405 405 405 405 405 405"),
    "robots": R("", "200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "sitemap": R("", "200 200 200 200 200 200 200", "405 405 405 405 405 405 405"),
    "parks:list": R("", "L 404 200 404 200 200 200", "L 405 405 405 405 405 405"),
    "parks:plots": R("", "L 404 200 404 200 200 200", "L 405 405 405 405 405 405"),
    "parks:map": R("", "L 404 200 404 200 200 200", "L 405 405 405 405 405 405"),
    "parks:map_data": R("", "L 404 200 404 200 200 200", "L 405 405 405 405 405 405"),
    "parks:buildings": R("", "L 404 200 404 200 200 200", "L 405 405 405 405 405 405"),
    "parks:plot_export": R("", "L 404 200 404 200 200 200", "L 405 405 405 405 405 405"),
    "parks:building_export": R("", "L 404 200 404 200 200 200", "L 405 405 405 405 405 405"),
    "parks:park_create": R("", "L 404 403 404 200 403 200", "L 404 403 404 200 403 200"),
    "parks:plot_create": R("", "L 404 403 404 200 403 200", "L 404 403 404 200 403 200"),
    "parks:building_create": R("", "L 404 403 404 200 403 200", "L 404 403 404 200 403 200"),
    "parks:park_detail": R("pk=park", "L 404 200 404 200 200 200", "L 405 405 405 405 405 405", "L 404 200 404 200 200 200", "L 405 405 405 405 405 405"),
    "parks:plot_detail": R("pk=plot", "L 404 200 404 200 200 200", "L 405 405 405 405 405 405", "L 404 200 404 200 200 200", "L 405 405 405 405 405 405"),
    "parks:building_detail": R("pk=building", "L 404 200 404 200 200 200", "L 405 405 405 405 405 405", "L 404 200 404 200 200 200", "L 405 405 405 405 405 405"),
    "parks:park_edit": R("pk=park", "L 404 403 404 200 403 200", "L 404 403 404 200 403 200", "L 404 403 404 403 403 200", "L 404 403 404 403 403 200"),
    "parks:plot_edit": R("pk=plot", "L 404 403 404 200 403 200", "L 404 403 404 200 403 200", "L 404 403 404 403 403 200", "L 404 403 404 403 403 200"),
    "parks:building_edit": R("pk=building", "L 404 403 404 200 403 200", "L 404 403 404 200 403 200", "L 404 403 404 403 403 200", "L 404 403 404 403 403 200"),
    "parks:substation_add": R("pk=park", "L 405 405 405 405 405 405", "L 404 403 404 302 403 302", "L 405 405 405 405 405 405", "L 404 403 404 403 403 302"),
    "parks:substation_remove": R("pk=park substation_pk==999999", "L 405 405 405 405 405 405", "L 404 403 404 404 403 404", "L 405 405 405 405 405 405", "L 404 403 404 403 403 404"),
    # reserve: also bureau staff's (stewards), for the leads they work (the step checks the lead)
    "parks:plot_step": R("pk=plot name==reserve", "L 405 405 405 405 405 405", "L 404 302 404 302 403 302", "L 405 405 405 405 405 405", "L 404 302 404 403 403 302"),
    "parks:building_step": R("pk=building name==reserve", "L 405 405 405 405 405 405", "L 404 302 404 302 403 302", "L 405 405 405 405 405 405", "L 404 302 404 403 403 302"),
    # the land matching a lead: the lead's readers who have the parks
    "parks:lead_matches": R("pk=lead", "L 404 200 404 200 200 200", "L 405 405 405 405 405 405", "L 404 404 404 404 200 200", "L 405 405 405 405 405 405"),
    "parks:plot_file_add": R("pk=plot", "L 405 405 405 405 405 405", "L 404 403 404 302 403 302", "L 405 405 405 405 405 405", "L 404 403 404 403 403 302"),
    "parks:building_file_add": R("pk=building", "L 405 405 405 405 405 405", "L 404 403 404 302 403 302", "L 405 405 405 405 405 405", "L 404 403 404 403 403 302"),
    "parks:file": R("pk=land file", "L 404 200 404 200 200 200", "L 404 200 404 200 200 200", "L 404 200 404 200 200 200", "L 404 200 404 200 200 200"),
    "parks:import": R("", "L 403 403 403 200 403 200", "L 403 403 403 200 403 200"),
    "parks:import_job": R("pk=parks import job", "L 403 403 403 200 403 200", "L 405 405 405 405 405 405", "L 403 403 403 404 403 404", "L 405 405 405 405 405 405"),
    "parks:import_progress": R("pk=parks import job", "L 403 403 403 200 403 200", "L 405 405 405 405 405 405", "L 403 403 403 404 403 404", "L 405 405 405 405 405 405"),
    "parks:import_commit": R("pk=parks import job", "L 405 405 405 405 405 405", "L 403 403 403 302 403 302", "L 405 405 405 405 405 405", "L 403 403 403 404 403 404"),
    "leads:list": R("", "L 404 200 404 200 200 200", "L 405 405 405 405 405 405"),
    "leads:export": R("", "L 404 200 404 200 200 200", "L 405 405 405 405 405 405"),
    "leads:import": R("", "L 404 200 404 200 403 200", "L 404 200 404 200 403 200"),
    "leads:import_job": R("pk=leads import job", "L 404 200 404 200 403 200", "L 405 405 405 405 405 405", "L 404 404 404 404 403 404", "L 405 405 405 405 405 405"),
    "leads:import_progress": R("pk=leads import job", "L 404 200 404 200 403 200", "L 405 405 405 405 405 405", "L 404 404 404 404 403 404", "L 405 405 405 405 405 405"),
    "leads:import_commit": R("pk=leads import job", "L 405 405 405 405 405 405", "L 404 302 404 302 403 302", "L 405 405 405 405 405 405", "L 404 404 404 404 403 404"),
    "leads:board": R("", "L 404 200 404 200 200 200", "L 405 405 405 405 405 405"),
    "leads:figures": R("", "L 404 200 404 200 200 200", "L 405 405 405 405 405 405"),
    "leads:investors": R("", "L 404 200 404 200 200 200", "L 405 405 405 405 405 405"),
    "leads:create": R("", "L 404 200 404 200 403 200", "L 404 200 404 200 403 200"),
    "leads:detail": R("pk=lead", "L 404 200 404 200 200 200", "L 405 405 405 405 405 405", "L 404 404 404 404 200 200", "L 405 405 405 405 405 405"),
    "leads:edit": R("pk=lead", "L 404 200 404 200 403 200", "L 404 200 404 200 403 200", "L 404 404 404 404 403 200", "L 404 404 404 404 403 200"),
    "leads:record_create": R("pk=lead", "L 404 200 404 200 403 200", "L 404 200 404 200 403 200", "L 404 404 404 404 403 200", "L 404 404 404 404 403 200"),
    "leads:record_edit": R("pk=lead record_pk=negotiation record", "L 404 200 404 200 403 200", "L 404 200 404 200 403 200", "L 404 404 404 404 403 200", "L 404 404 404 404 403 200"),
    "leads:step": R("pk=lead name==contact", "L 405 405 405 405 405 405", "L 404 302 404 302 403 302", "L 405 405 405 405 405 405", "L 404 404 404 404 403 302"),
    "leads:signing_list": R("pk=lead", "L 405 405 405 405 405 405", "L 404 302 404 302 403 302", "L 405 405 405 405 405 405", "L 404 404 404 404 403 302"),
    "leads:visits": R("", "L 404 200 404 200 200 200", "L 405 405 405 405 405 405"),
    "leads:trips": R("", "L 404 200 404 200 200 200", "L 405 405 405 405 405 405"),
    "leads:visit_create": R("", "L 404 200 404 200 403 200", "L 404 200 404 200 403 200"),
    "leads:trip_create": R("", "L 404 200 404 200 403 200", "L 404 200 404 200 403 200"),
    "leads:visit_detail": R("pk=visit", "L 404 200 404 200 200 200", "L 405 405 405 405 405 405", "L 404 404 404 404 200 200", "L 405 405 405 405 405 405"),
    "leads:trip_detail": R("pk=trip", "L 404 200 404 200 200 200", "L 405 405 405 405 405 405", "L 404 404 404 404 200 200", "L 405 405 405 405 405 405"),
    "leads:visit_edit": R("pk=visit", "L 404 200 404 200 403 200", "L 404 200 404 200 403 200", "L 404 404 404 404 403 200", "L 404 404 404 404 403 200"),
    "leads:trip_edit": R("pk=trip", "L 404 200 404 200 403 200", "L 404 200 404 200 403 200", "L 404 404 404 404 403 200", "L 404 404 404 404 403 200"),
    "leads:visit_meeting": R("pk=visit", "L 404 200 404 200 403 200", "L 404 200 404 200 403 200", "L 404 404 404 404 403 200", "L 404 404 404 404 403 200"),
    "leads:trip_meeting": R("pk=trip", "L 404 200 404 200 403 200", "L 404 200 404 200 403 200", "L 404 404 404 404 403 200", "L 404 404 404 404 403 200"),
    "leads:trip_report": R("pk=trip fmt==docx", "L 404 200 404 200 200 200", "L 405 405 405 405 405 405", "L 404 404 404 404 200 200", "L 405 405 405 405 405 405"),
    "leads:investor_merge": R("pk=enterprise", "L 404 403 404 403 403 200", "L 404 403 404 403 403 200", "L 404 404 404 404 403 200", "L 404 404 404 404 403 200"),
    "guarantees:unmet": R("", "L 403 200 200 200 200 200", "L 403 200 200 200 200 200"),  # the bureau's list
    "guarantees:export": R("", "L 403 200 200 200 200 200", "L 403 200 200 200 200 200"),
    "guarantees:update": R("pk=project", "L 405 405 405 405 405 405", "L 403 302 403 302 403 302", "L 405 405 405 405 405 405", "L 404 404 403 404 403 302"),
    "guarantees:override": R("pk=project", "L 405 405 405 405 405 405", "L 403 403 403 403 403 302", "L 405 405 405 405 405 405", "L 404 404 403 404 403 302"),
    "approvals:add": R("pk=project", "L 405 405 405 405 405 405", "L 404 404 404 404 404 404", "L 405 405 405 405 405 405", "L 404 404 404 404 404 404"),
    "approvals:commitment": R("pk=approval", "L 404 404 404 404 404 404", "L 404 404 404 404 404 404", "L 404 404 404 404 404 404", "L 404 404 404 404 404 404"),
    "approvals:step": R("pk=approval name==accept", "L 405 405 405 405 405 405", "L 403 302 403 302 403 302", "L 405 405 405 405 405 405", "L 404 404 403 404 403 302"),
    "taskforces:forms": R("pk=project", "L 403 200 403 200 403 200", "L 405 405 405 405 405 405", "L 404 404 403 404 403 200", "L 405 405 405 405 405 405"),
    "taskforces:meeting": R("pk=project", "L 405 405 405 405 405 405", "L 403 302 403 302 403 302", "L 405 405 405 405 405 405", "L 404 404 403 404 403 302"),
    "taskforces:action_item": R("pk=project", "L 405 405 405 405 405 405", "L 403 302 403 302 403 302", "L 405 405 405 405 405 405", "L 404 404 403 404 403 302"),
    "taskforces:complete": R("pk=project item_pk=action item", "L 405 405 405 405 405 405", "L 403 302 403 302 403 302", "L 405 405 405 405 405 405", "L 404 404 403 404 403 302"),
    "taskforces:decision": R("pk=project", "L 405 405 405 405 405 405", "L 403 302 403 302 403 302", "L 405 405 405 405 405 405", "L 404 404 403 404 403 302"),
    "policies:library": R("", "L 302 200 403 200 200 200", "L 302 200 403 200 200 200"),
    "policies:new": R("", "L 403 403 403 403 403 200", "L 403 403 403 403 403 200"),
    "policies:detail": R("pk=policy", "L 403 200 403 200 200 200", "L 403 200 403 200 200 200", "L 403 200 403 200 200 200", "L 403 200 403 200 200 200"),
    "policies:edit": R("pk=policy", "L 403 403 403 403 403 200", "L 403 403 403 403 403 200", "L 403 403 403 403 403 200", "L 403 403 403 403 403 200"),
    "policies:document": R("pk=policy document", "L 200 200 404 200 200 200", "L 200 200 404 200 200 200", "L 404 200 404 200 200 200", "L 404 200 404 200 200 200"),
    "policies:remove_document": R("pk=policy document", "L 403 403 403 403 403 200", "L 403 403 403 403 403 400", "L 403 403 403 403 403 200", "L 403 403 403 403 403 400"),
    "policies:for_you": R("", "L 200 302 302 302 302 302", "L 200 302 302 302 302 302"),
    "policies:deliveries": R("", "L 403 200 403 200 200 200", "L 403 200 403 200 200 200"),
    "policies:match": R("pk=match", "L 200 200 404 200 200 200", "L 200 200 404 200 200 200", "L 404 404 404 404 200 200", "L 404 404 404 404 200 200"),
    "policies:applied": R("pk=match", "405 405 405 405 405 405 405", "L 302 403 404 403 403 403", "405 405 405 405 405 405 405", "L 404 404 404 404 403 403"),
    "policies:outcome": R("pk=match", "405 405 405 405 405 405 405", "L 403 302 404 403 403 302", "405 405 405 405 405 405 405", "L 404 404 404 404 403 302"),
    "policies:profile": R("pk=enterprise", "L 403 200 403 200 403 200", "L 403 200 403 200 403 200", "L 403 404 403 404 403 200", "L 403 404 403 404 403 200"),
    "targets:board": R("", "L 403 403 403 200 200 200", "L 403 403 403 200 200 200"),
    "targets:enter_actual": R("", "L 403 403 403 200 403 200", "L 403 403 403 400 403 400"),
    "targets:set_target": R("", "L 403 403 403 403 403 200", "L 403 403 403 403 403 400"),
    "targets:export": R("", "L 403 403 403 200 200 200", "L 403 403 403 200 200 200"),
    "targets:import": R("", "L 403 403 403 200 403 200", "L 403 403 403 200 403 200"),
    "targets:import_job": R("pk=targets import job", "L 403 403 403 200 403 200", "L 405 405 405 405 405 405", "L 403 403 403 404 403 404", "L 405 405 405 405 405 405"),
    "targets:import_progress": R("pk=targets import job", "L 403 403 403 200 403 200", "L 405 405 405 405 405 405", "L 403 403 403 404 403 404", "L 405 405 405 405 405 405"),
    "targets:import_commit": R("pk=targets import job", "L 405 405 405 405 405 405", "L 403 403 403 302 403 302", "L 405 405 405 405 405 405", "L 403 403 403 404 403 404"),
    # the assessment's ranking (排名通报) is published: the leads' readers read it all
    "targets:ranking": R("", "L 404 200 404 200 200 200", "L 405 405 405 405 405 405"),
    "targets:ranking_export": R("", "L 404 200 404 200 200 200", "L 405 405 405 405 405 405"),
    "targets:recompute": R("", "L 405 405 405 405 405 405", "L 403 403 403 403 403 302"),
    "cockpit:index": R("", "L 403 403 403 200 200 200", "L 405 405 405 405 405 405"),
    "cockpit:data": R("", "L 403 403 403 200 200 200", "L 405 405 405 405 405 405"),
    "reports:list": R("", "L 403 200 403 200 200 200", "L 405 405 405 405 405 405"),
    "reports:generate": R("", "L 405 405 405 405 405 405", "L 403 403 403 302 302 302"),
    "reports:download": R("pk=report fmt==pdf", "L 403 200 403 200 200 200", "L 405 405 405 405 405 405", "L 403 200 403 404 200 200", "L 405 405 405 405 405 405"),
    "reports:calendar": R("", "L 403 200 403 200 200 200", "L 403 302 403 302 302 302"),
    "reports:calendar_feed": R("", "404 404 404 404 404 404 404", "405 405 405 405 405 405 405"),
    "projects:project_list": R("", "L 403 200 200 200 200 200", "L 403 200 200 200 200 200"),  # the ledger: staff
    "projects:project_create": R("", "L 403 200 403 200 403 200", "L 403 200 403 200 403 200"),
    "projects:stalled_list": R("", "L 403 200 200 200 200 200", "L 403 200 200 200 200 200"),
    "projects:stalled_export": R("", "L 403 200 200 200 200 200", "L 403 200 200 200 200 200"),
    "projects:project_detail": R("pk=project", "L 200 200 200 200 200 200", "L 200 200 200 200 200 200", "L 404 404 200 404 200 200", "L 404 404 200 404 200 200"),
    "projects:project_edit": R("pk=project", "L 403 200 403 200 403 200", "L 403 200 403 200 403 200", "L 404 404 403 404 403 200", "L 404 404 403 404 403 200"),
    "projects:project_transition": R("pk=project", "L 405 405 405 405 405 405", "L 403 400 403 400 403 400", "L 405 405 405 405 405 405", "L 404 404 403 404 403 400"),
    "enterprises:enterprise_list": R("", "L 200 200 200 200 200 200", "L 200 200 200 200 200 200"),
    "enterprises:enterprise_create": R("", "L 403 200 403 200 403 200", "L 403 200 403 200 403 200"),
    "enterprises:enterprise_options": R("", "L 200 200 200 200 200 200", "L 200 200 200 200 200 200"),
    "enterprises:enterprise_detail": R("pk=enterprise", "L 200 200 200 200 200 200", "L 200 200 200 200 200 200", "L 404 404 200 404 200 200", "L 404 404 200 404 200 200"),
    "enterprises:enterprise_edit": R("pk=enterprise", "L 403 200 403 200 403 200", "L 403 200 403 200 403 200", "L 404 404 403 404 403 200", "L 404 404 403 404 403 200"),
    "events:event_list": R("", "L 200 200 200 200 200 200", "L 200 200 200 200 200 200"),
    "events:event_detail": R("pk=event", "L 200 200 200 200 200 200", "L 200 200 200 200 200 200", "L 404 200 200 404 200 200", "L 404 200 200 404 200 200"),
    "events:event_create": R("", "L 403 403 403 200 403 200", "L 403 403 403 200 403 200"),
    "events:event_edit": R("pk=event", "L 403 403 403 200 403 200", "L 403 403 403 200 403 200", "L 404 403 403 404 403 200", "L 404 403 403 404 403 200"),
    "events:event_step": R("pk=event step==start", "L 405 405 405 405 405 405", "L 403 403 403 302 403 302", "L 405 405 405 405 405 405", "L 404 403 403 404 403 302"),
    "events:guests": R("pk=event", "L 404 200 200 200 200 200", "L 404 403 403 200 403 200", "L 404 200 200 404 200 200", "L 404 403 403 404 403 200"),
    "events:walk_in": R("pk=event", "L 405 405 405 405 405 405", "L 404 403 403 302 403 302", "L 405 405 405 405 405 405", "L 404 403 403 404 403 302"),
    "events:guest_step": R("pk=event guest_pk=guest step==check_in", "L 405 405 405 405 405 405", "L 404 403 403 302 403 302", "L 405 405 405 405 405 405", "L 404 403 403 404 403 302"),
    "events:attendee_add": R("pk=event guest_pk=guest", "L 405 405 405 405 405 405", "L 404 403 403 302 403 302", "L 405 405 405 405 405 405", "L 404 403 403 404 403 302"),
    "events:guest_qr": R("pk=event guest_pk=guest", "L 404 403 403 200 403 200", "L 405 405 405 405 405 405", "L 404 403 403 404 403 200", "L 405 405 405 405 405 405"),
    "events:checkin": R("pk=event token==bad-token", "L 404 403 403 404 403 404", "L 404 403 403 404 403 404", "L 404 403 403 404 403 404", "L 404 403 403 404 403 404"),
    "events:signing_list": R("pk=event", "L 404 200 200 200 200 200", "L 404 403 403 200 403 200", "L 404 200 200 404 200 200", "L 404 403 403 404 403 200"),
    "events:row_step": R("pk=event row_pk=signing row step==confirm", "L 405 405 405 405 405 405", "L 404 403 403 302 403 302", "L 405 405 405 405 405 405", "L 404 403 403 404 403 302"),
    "events:printable": R("pk=event what==guests fmt==xlsx", "L 404 200 200 200 200 200", "L 405 405 405 405 405 405", "L 404 200 200 404 200 200", "L 405 405 405 405 405 405"),
    "projects:export": R("", "L 403 200 200 200 200 200", "L 405 405 405 405 405 405"),
    "projects:import_start": R("", "L 403 200 403 200 403 200", "L 403 200 403 200 403 200"),
    "projects:import_template": R("", "L 403 200 403 200 403 200", "L 405 405 405 405 405 405"),
    "projects:import_job": R("pk=import job", "L 403 200 403 200 403 200", "L 405 405 405 405 405 405", "L 403 404 403 404 403 404", "L 405 405 405 405 405 405"),
    "projects:import_progress": R("pk=import job", "L 403 200 403 200 403 200", "L 405 405 405 405 405 405", "L 403 404 403 404 403 404", "L 405 405 405 405 405 405"),
    "projects:import_commit": R("pk=import job", "L 405 405 405 405 405 405", "L 403 302 403 302 403 302", "L 405 405 405 405 405 405", "L 403 404 403 404 403 404"),
    "projects:import_mapping": R("pk=import job", "L 403 302 403 302 403 302", "L 403 302 403 302 403 302", "L 403 404 403 404 403 404", "L 403 404 403 404 403 404"),
    "accounts:account": R("", "L 200 200 200 200 200 200", "L 200 200 200 200 200 200"),
    "accounts:password_change": R("", "L 200 200 200 200 200 200", "L 200 200 200 200 200 200"),
    "accounts:otp_enrol": R("", "L 200 200 200 200 200 200", "L 200 200 200 200 200 200"),
    "accounts:otp_verify": R("", "L 200 200 200 200 200 200", "L 200 200 200 200 200 200"),
    "accounts:reveal": R("kind==contact pk=contact field==phone", "L 405 405 405 405 405 405", "L 403 403 403 403 403 403", "L 405 405 405 405 405 405", "L 404 404 403 404 403 403"),
    "accounts:audit_log": R("", "L 403 403 403 403 403 200", "L 405 405 405 405 405 405"),
    "accounts:audit_export": R("", "L 405 405 405 405 405 405", "L 403 403 403 403 403 200"),
    "ingest:index": R("", "L 403 200 403 200 403 200", "L 403 200 403 200 403 200"),
    "ingest:review": R("pk=ingested document", "L 403 200 403 200 403 200", "L 405 405 405 405 405 405", "L 403 200 403 404 403 200", "L 405 405 405 405 405 405"),
    "ingest:accept": R("pk=proposal", "L 405 405 405 405 405 405", "L 403 302 403 302 403 302", "L 405 405 405 405 405 405", "L 403 302 403 404 403 302"),
    "ingest:edit": R("pk=proposal", "L 405 405 405 405 405 405", "L 403 302 403 302 403 302", "L 405 405 405 405 405 405", "L 403 302 403 404 403 302"),
    "ingest:reject": R("pk=proposal", "L 405 405 405 405 405 405", "L 403 302 403 302 403 302", "L 405 405 405 405 405 405", "L 403 302 403 404 403 302"),
    "admin:index": R("", "302 302 302 302 302 302 200", "302 302 302 302 302 302 200"),
    "admin:accounts_user_changelist": R("", "302 302 302 302 302 302 200", "302 302 302 302 302 302 200"),
}
# fmt: on


def _body_enterprise(world: dict[str, Any], other: bool) -> dict[str, Any]:
    region = world["other region" if other else "region"]
    return {"name": "矩阵新企业有限公司", "credit_code": credit_code(region.code, 990001)}


def _body_project(world: dict[str, Any], other: bool) -> dict[str, Any]:
    enterprise = world["enterprise"][1 if other else 0]
    region = world["other region" if other else "region"]
    return {"name": "矩阵新项目", "enterprise_id": enterprise.pk, "region_id": region.pk}


def _body_guest(world: dict[str, Any], other: bool) -> dict[str, Any]:
    return {"enterprise_id": world["enterprise"][1 if other else 0].pk, "city": "锦州"}


def _body_row(world: dict[str, Any], other: bool) -> dict[str, Any]:
    project = world["project"][1 if other else 0]
    region = world["other region" if other else "region"]
    return {"project_id": project.pk, "government_id": region.pk, "amount_wan": "1亿元"}


def _body_request(world: dict[str, Any], other: bool) -> dict[str, Any]:
    enterprise = world["enterprise"][1 if other else 0]
    return {"category": "land", "text": "用地手续请求协调。", "enterprise_id": enterprise.pk}


def _body_lead(world: dict[str, Any], other: bool) -> dict[str, Any]:
    enterprise = world["enterprise"][1 if other else 0]
    region = world["other region" if other else "region"]
    return {
        "investor_id": enterprise.pk,
        "name": "矩阵线索",
        "region_id": region.pk,
        "source": "expo",
    }


def _body_reserve(world: dict[str, Any], other: bool) -> dict[str, Any]:
    """The plot held for the lead of its own area (the other plot's for the other lead)."""
    import datetime as dt

    from django.utils import timezone

    until = timezone.localdate() + dt.timedelta(days=30)
    return {"lead_id": world["lead"][1 if other else 0].pk, "until": until.isoformat()}


def _body_visit(world: dict[str, Any], other: bool) -> dict[str, Any]:
    i = 1 if other else 0
    region = world["other region" if other else "region"]
    return {"date": str(_today()), "region_id": region.pk,
            "investor_ids": [world["enterprise"][i].pk], "visitors": "矩阵来宾"}  # fmt: skip


def _body_trip(world: dict[str, Any], other: bool) -> dict[str, Any]:
    region = world["other region" if other else "region"]
    return {"destinations": "深圳市", "start_on": str(_today()), "end_on": str(_today()),
            "region_id": region.pk}  # fmt: skip


def _body_meeting(world: dict[str, Any], other: bool) -> dict[str, Any]:
    i = 1 if other else 0
    trip = world["trip"][i]
    return {"lead_id": world["lead"][i].pk, "date": str(trip.start_on), "our_side": "我方",
            "their_side": "对方", "outcome": "矩阵会谈"}  # fmt: skip


def _body_checkin(world: dict[str, Any], other: bool) -> dict[str, Any]:
    from guanjia.events.services import checkin_token

    return {"token": checkin_token(world["guest"][1 if other else 0])}


def _today() -> Any:
    from django.utils import timezone

    return timezone.localdate()


RECORD_BODY = {
    "date": "2026-11-02",
    "our_side": "招商局",
    "their_side": "企业",
    "outcome": "初步意向",
}


# "METHOD /path" (as the OpenAPI schema names it, below /api/v1) → (body, own, other).
# body: None (no body), a dict, or a function (world, other) → dict. {…_id} in the path is
# the own (凌海 / the contact's) or the other (黑山) object; {step} is "accept".
# A token of the role's user is sent; anon sends none.
# fmt: off
API: dict[str, tuple[Any, str, str | None]] = {
    # "METHOD /path": (body, own, other)                     each: anon ent stew hand off lead admin
    "GET /regions": (None, "401 200 200 200 200 200 200", None),
    "GET /industries": (None, "401 200 200 200 200 200 200", None),
    "GET /enterprises": (None, "401 200 200 200 200 200 200", None),
    "POST /enterprises": (_body_enterprise, "401 403 201 403 201 403 201", "401 403 201 403 201 403 201"),
    "GET /enterprises/{enterprise_id}": (None, "401 200 200 200 200 200 200", "401 404 404 200 404 200 200"),
    "PATCH /enterprises/{enterprise_id}": ({"address": "锦州市凌海市"}, "401 403 200 403 200 403 200", "401 404 404 403 404 403 200"),
    "GET /projects": (None, "401 200 200 200 200 200 200", None),
    "POST /projects": (_body_project, "401 403 201 403 201 403 201", "401 403 422 403 422 403 201"),
    "GET /projects/{project_id}": (None, "401 200 200 200 200 200 200", "401 404 404 200 404 200 200"),
    "PATCH /projects/{project_id}": ({"task_force": "矩阵专班"}, "401 403 200 403 200 403 200", "401 404 404 403 404 403 200"),
    "POST /projects/{project_id}/transition": ({"to_stage": "registered", "on": "2023-04-01"}, "401 403 200 403 200 403 200", "401 404 404 403 404 403 200"),
    "GET /events": (None, "401 200 200 200 200 200 200", None),
    "GET /events/{event_id}": (None, "401 200 200 200 200 200 200", "401 404 200 200 404 200 200"),
    "GET /events/{event_id}/guests": (None, "401 404 200 200 200 200 200", "401 404 200 200 404 200 200"),
    "POST /events/{event_id}/guests": (_body_guest, "401 404 403 403 201 403 201", "401 404 403 403 404 403 201"),
    "GET /events/{event_id}/signing-list": (None, "401 404 200 200 200 200 200", "401 404 200 200 404 200 200"),
    "POST /events/{event_id}/signing-list": (_body_row, "401 404 403 403 201 403 201", "401 404 403 403 404 403 201"),
    "GET /requests/categories": (None, "401 200 200 200 200 200 200", None),
    "GET /requests": (None, "401 200 200 200 200 200 200", None),
    "POST /requests": (_body_request, "401 201 201 403 201 403 201", "401 422 422 403 422 403 201"),
    "GET /requests/{request_id}": (None, "401 200 200 404 200 200 200", "401 404 404 404 404 200 200"),
    "POST /requests/{request_id}/steps/{step}": ({}, "401 403 200 404 200 403 200", "401 404 404 404 404 403 200"),
    "GET /investors": (None, "401 404 200 404 200 200 200", None),
    "POST /investors": ({"name": "矩阵新客商有限公司", "different": True}, "401 404 201 404 201 403 201", None),
    "GET /investors/{investor_id}": (None, "401 404 200 404 200 200 200", "401 404 404 404 404 200 200"),
    "GET /leads": (None, "401 404 200 404 200 200 200", None),
    "POST /leads": (_body_lead, "401 404 201 404 201 403 201", "401 404 422 404 422 403 201"),
    "GET /leads/{lead_id}": (None, "401 404 200 404 200 200 200", "401 404 404 404 404 200 200"),
    "GET /leads/{lead_id}/records": (None, "401 404 200 404 200 200 200", "401 404 404 404 404 200 200"),
    "POST /leads/{lead_id}/records": (RECORD_BODY, "401 404 201 404 201 403 201", "401 404 404 404 404 403 201"),
    "POST /leads/{lead_id}/steps/{step}": ({}, "401 404 200 404 200 403 200", "401 404 404 404 404 403 200"),
    "GET /visits": (None, "401 404 200 404 200 200 200", None),
    "POST /visits": (_body_visit, "401 404 201 404 201 403 201", "401 404 422 404 422 403 201"),
    "GET /visits/{visit_id}": (None, "401 404 200 404 200 200 200", "401 404 404 404 404 200 200"),
    "GET /trips": (None, "401 404 200 404 200 200 200", None),
    "POST /trips": (_body_trip, "401 404 201 404 201 403 201", "401 404 201 404 422 403 201"),
    "GET /trips/{trip_id}": (None, "401 404 200 404 200 200 200", "401 404 404 404 404 200 200"),
    "GET /trips/{trip_id}/meetings": (None, "401 404 200 404 200 200 200", "401 404 404 404 404 200 200"),
    "POST /trips/{trip_id}/meetings": (_body_meeting, "401 404 201 404 201 403 201", "401 404 404 404 404 403 201"),
    "POST /events/{event_id}/checkin": (_body_checkin, "401 404 403 403 200 403 200", "401 404 403 403 404 403 200"),
    "POST /events/{event_id}/guests/{guest_id}/checkin": ({}, "401 404 403 403 200 403 200", "401 404 403 403 404 403 200"),
    "POST /events/{event_id}/signing-list/{row_id}/steps/{step}": ({}, "401 404 403 403 200 403 200", "401 404 403 403 404 403 200"),
    # parks: the city's inventory, read by every reader; reserving is the park's keepers' and
    # bureau staff's for the leads they work (another's lead: 422, as a missing one)
    "GET /parks": (None, "401 404 200 404 200 200 200", None),
    "GET /parks/{park_id}": (None, "401 404 200 404 200 200 200", "401 404 200 404 200 200 200"),
    "GET /plots": (None, "401 404 200 404 200 200 200", None),
    "GET /plots/{plot_id}": (None, "401 404 200 404 200 200 200", "401 404 200 404 200 200 200"),
    "GET /buildings": (None, "401 404 200 404 200 200 200", None),
    "GET /buildings/{building_id}": (None, "401 404 200 404 200 200 200", "401 404 200 404 200 200 200"),
    "POST /plots/{plot_id}/reserve": (_body_reserve, "401 404 200 404 200 403 200", "401 404 422 404 403 403 200"),
    "POST /plots/{plot_id}/release": ({"reason": "矩阵"}, "401 404 403 404 409 403 409", "401 404 403 404 403 403 409"),
    "POST /buildings/{building_id}/reserve": (_body_reserve, "401 404 200 404 200 403 200", "401 404 422 404 403 403 200"),
    "POST /buildings/{building_id}/release": ({"reason": "矩阵"}, "401 404 403 404 409 403 409", "401 404 403 404 403 403 409"),
    "GET /leads/{lead_id}/land-matches": (None, "401 404 200 404 200 200 200", "401 404 404 404 404 200 200"),
}
# fmt: on

# Operations not played, with the reason (none at present).
API_SKIPPED: dict[str, str] = {}


# ---------------------------------------------------------------- references
#
# Every field through which a write names another record, on every write path, and what each
# writer role gets when it names the "own" record (凌海 / the contact's) and the "other" one
# (黑山: another enterprise, project of 黑山, a 黑山 steward, leader or department).
# tests/test_authz_matrix.py enumerates the fields — the ModelChoiceFields of every form in
# guanjia/*/forms.py and the views, the *_id fields of every API write's input schema,
# Open311's attributes, every importer column, the ingest review's editable fields, every
# admin action — and fails for one with no row here, so a new field ships with its check.
# test_reference_row plays every row that is not "public": web forms (the field as the view
# builds it), the API (a real call), every importer (a one-row .xlsx, committed), the ingest
# review (accepting a proposal) and Open311 (a contact's POST), each in a savepoint, counting
# what was written (audit entries, projects, enterprises, requests and their events, users,
# stage changes, signings, services, actuals, notifications, open proposals).
#
# A row: (kind, own, other[, roles]) with one code per role in REF_ROLES (or in `roles`):
#   ok  accepted      no  refused exactly as a record that does not exist (same status and body
#   or form error, nothing written)      refused  refused, but not like a missing record: the
#   path finds or creates (an importer's enterprise column: "missing" would create one), or
#   the record is public reference data (regions)      -  the role cannot use this path at all
#   (importers, the ingest review and Open311 check their own door: "-" is observed there).
# kind "public: why" marks reference data every user may name (not played).
REF_ROLES = ("steward", "official", "admin")

# fmt: off
REFERENCES: dict[str, tuple[str, ...]] = {
    # web forms: "web module.Class.field"
    "web guanjia.projects.forms.ProjectForm.enterprise": ("enterprise", "ok ok ok", "no no ok"),
    "web guanjia.projects.forms.ProjectForm.partners": ("enterprise", "ok ok ok", "no no ok"),
    "web guanjia.projects.forms.ProjectForm.region": ("region", "ok ok ok", "ok no ok"),
    "web guanjia.projects.forms.ProjectForm.steward": ("steward", "ok ok ok", "ok no ok"),
    "web guanjia.projects.forms.ProjectForm.leader": ("leader", "ok ok ok", "ok no ok"),
    "web guanjia.projects.forms.ProjectForm.industry": ("public: the industry taxonomy", "", ""),
    "web guanjia.projects.forms.ProjectCreateForm.enterprise": ("enterprise", "ok ok ok", "no no ok"),
    "web guanjia.projects.forms.ProjectCreateForm.partners": ("enterprise", "ok ok ok", "no no ok"),
    "web guanjia.projects.forms.ProjectCreateForm.region": ("region", "ok ok ok", "ok no ok"),
    "web guanjia.projects.forms.ProjectCreateForm.steward": ("steward", "ok ok ok", "ok no ok"),
    "web guanjia.projects.forms.ProjectCreateForm.leader": ("leader", "ok ok ok", "ok no ok"),
    "web guanjia.projects.forms.ProjectCreateForm.industry": ("public: the industry taxonomy", "", ""),
    "web guanjia.enterprises.forms.EnterpriseForm.region": ("region", "ok ok ok", "ok no ok"),
    "web guanjia.enterprises.forms.EnterpriseForm.steward": ("steward", "ok ok ok", "ok no ok"),
    "web guanjia.enterprises.forms.EnterpriseForm.industry": ("public: the industry taxonomy", "", ""),
    "web guanjia.requests.forms.SubmitForm.enterprise": ("enterprise", "ok ok ok", "no no ok"),
    "web guanjia.requests.forms.SubmitForm.project": ("project", "ok ok ok", "ok no ok"),
    "web guanjia.requests.forms.SubmitForm.category": ("public: the request categories", "", ""),
    "web guanjia.requests.forms.AssignForm.to": ("assignee", "ok ok ok", "no no no"),
    # a department's queue of the request's area or above (the own request is in 凌海)
    "web guanjia.requests.forms.AssignForm.department": ("department", "ok ok ok", "no no no"),
    "web guanjia.requests.views.InviteForm.enterprise": ("enterprise", "ok ok ok", "no no ok"),
    "web guanjia.servicerecords.forms.RecordForm.steward": ("steward", "- ok ok", "- no ok"),
    "web guanjia.servicerecords.forms.RecordForm.enterprise": ("enterprise", "ok ok ok", "no no ok"),
    "web guanjia.servicerecords.forms.RecordForm.project": ("project", "ok ok ok", "ok no ok"),
    "web guanjia.servicerecords.forms.RecordForm.request": ("request", "ok ok ok", "no no ok"),
    "web guanjia.enterprises.forms.EnterpriseForm.interests": ("public: the industry taxonomy", "", ""),
    "web guanjia.leads.forms.LeadForm.investor": ("enterprise", "ok ok ok", "no no ok"),
    "web guanjia.leads.forms.LeadForm.industry": ("public: the industry taxonomy", "", ""),
    "web guanjia.portal.forms.EnquiryForm.industry": ("public: the industry taxonomy", "", ""),
    "web guanjia.portal.forms.EnquiryForm.plot": ("public: the plots on offer (the portal's cards)", "", ""),
    "web guanjia.portal.forms.PlotSearch.industry": ("public: the industry taxonomy", "", ""),
    "web guanjia.portal.forms.PlotSearch.park": ("public: every park (the portal publishes them)", "", ""),
    "web guanjia.leads.forms.LeadForm.region": ("region", "ok ok ok", "ok no ok"),
    "web guanjia.leads.forms.LeadForm.department": ("department", "ok ok ok", "ok no ok"),
    "web guanjia.leads.forms.LeadForm.owner": ("owner", "ok ok ok", "no no ok"),
    "web guanjia.leads.forms.LeadForm.project": ("project", "ok ok ok", "ok no ok"),
    "web guanjia.leads.forms.MergeForm.duplicate": ("enterprise", "ok ok ok", "no no ok"),
    "web guanjia.leads.forms.VisitForm.region": ("region", "ok ok ok", "ok no ok"),
    "web guanjia.leads.forms.VisitForm.investors": ("enterprise", "ok ok ok", "no no ok"),
    # our side of a visit or trip: staff who work leads in the author's reach (as a project's steward)
    "web guanjia.leads.forms.VisitForm.hosts": ("owner", "ok ok ok", "ok no ok"),
    "web guanjia.leads.forms.VisitForm.owner": ("owner", "ok ok ok", "ok no ok"),
    "web guanjia.leads.forms.VisitForm.leads": ("lead", "ok ok ok", "no no ok"),
    "web guanjia.leads.forms.TripForm.region": ("region", "ok ok ok", "ok no ok"),
    "web guanjia.leads.forms.TripForm.owner": ("owner", "ok ok ok", "ok no ok"),
    "web guanjia.leads.forms.TripForm.team": ("owner", "ok ok ok", "ok no ok"),
    "web guanjia.leads.forms.MeetingForm.lead": ("lead", "ok ok ok", "no no ok"),
    "web guanjia.leads.forms.SigningListForm.event": ("open event", "no ok ok", "no no ok"),
    "web guanjia.parks.forms.ParkForm.region": ("region", "- ok ok", "- no ok"),
    "web guanjia.parks.forms.ParkForm.industries": ("public: the industry taxonomy", "", ""),
    "web guanjia.parks.forms.ParkForm.incentives": ("public: the city's policy library", "", ""),
    "web guanjia.parks.forms.PlotForm.park": ("park", "- ok ok", "- no ok"),
    "web guanjia.parks.forms.BuildingForm.park": ("park", "- ok ok", "- no ok"),
    "web guanjia.parks.forms.BuildingForm.plot": ("plot", "- ok ok", "- no ok"),
    "web guanjia.parks.forms.StepForm.lead": ("lead", "- ok ok", "- no ok"),
    "web guanjia.parks.forms.StepForm.project": ("project", "- ok ok", "- no ok"),
    "web guanjia.guarantees.forms.GuaranteeForm.department": ("department", "ok ok ok", "ok no ok"),
    "web guanjia.taskforces.forms.ActionItemForm.owner": ("owner", "ok ok ok", "no no no"),
    "web guanjia.targets.forms.ValueForm.region": ("region", "- ok ok", "- no ok"),
    "web guanjia.targets.forms.ValueForm.indicator": ("public: the target indicators", "", ""),
    # a team's or a person's target: only a city admin sets targets, within their city
    "web guanjia.targets.forms.ValueForm.team": ("department", "- - ok", "- - ok"),
    "web guanjia.targets.forms.ValueForm.person": ("owner", "- - ok", "- - ok"),
    "web guanjia.events.forms.EventForm.region": ("region", "ok ok ok", "ok no ok"),
    "web guanjia.events.forms.EventForm.industries": ("public: the industry taxonomy", "", ""),
    "web guanjia.events.forms.GuestForm.enterprise": ("enterprise", "ok ok ok", "no no ok"),
    "web guanjia.events.forms.WalkInForm.enterprise": ("enterprise", "ok ok ok", "no no ok"),
    "web guanjia.events.forms.RowForm.project": ("project", "ok ok ok", "ok no ok"),
    "web guanjia.events.forms.RowForm.government": ("region", "ok ok ok", "ok no ok"),
    "web guanjia.events.forms.RowForm.enterprises": ("enterprise", "ok ok ok", "no no ok"),
    # the API: "api METHOD /path field"
    # (the event's writers only: a steward may not run the 凌海 event at all)
    "api POST /events/{event_id}/guests enterprise_id": ("enterprise", "- ok ok", "- no ok"),
    "api POST /events/{event_id}/signing-list project_id": ("project", "- ok ok", "- no ok"),
    "api POST /events/{event_id}/signing-list government_id": ("region", "- ok ok", "- no ok"),
    "api POST /events/{event_id}/signing-list enterprise_ids": ("enterprise", "- ok ok", "- no ok"),
    "api POST /projects enterprise_id": ("enterprise", "ok ok ok", "no no ok"),
    "api POST /projects partner_ids": ("enterprise", "ok ok ok", "no no ok"),
    "api POST /projects region_id": ("region", "ok ok ok", "ok no ok"),
    "api POST /projects steward_id": ("steward", "ok ok ok", "ok no ok"),
    "api POST /projects leader_id": ("leader", "ok ok ok", "ok no ok"),
    "api POST /projects industry_id": ("public: the industry taxonomy", "", ""),
    "api PATCH /projects/{project_id} enterprise_id": ("enterprise", "ok ok ok", "no no ok"),
    "api PATCH /projects/{project_id} partner_ids": ("enterprise", "ok ok ok", "no no ok"),
    "api PATCH /projects/{project_id} region_id": ("region", "ok ok ok", "ok no ok"),
    "api PATCH /projects/{project_id} steward_id": ("steward", "ok ok ok", "ok no ok"),
    "api PATCH /projects/{project_id} leader_id": ("leader", "ok ok ok", "ok no ok"),
    "api PATCH /projects/{project_id} industry_id": ("public: the industry taxonomy", "", ""),
    "api POST /enterprises region_id": ("region", "ok ok ok", "ok no ok"),
    "api POST /enterprises industry_id": ("public: the industry taxonomy", "", ""),
    "api PATCH /enterprises/{enterprise_id} region_id": ("region", "ok ok ok", "ok no ok"),
    "api PATCH /enterprises/{enterprise_id} industry_id": ("public: the industry taxonomy", "", ""),
    "api POST /leads investor_id": ("enterprise", "ok ok ok", "no no ok"),
    "api POST /leads region_id": ("region", "ok ok ok", "ok no ok"),
    "api POST /leads department_id": ("department", "ok ok ok", "ok no ok"),
    "api POST /leads owner_id": ("owner", "ok ok ok", "no no ok"),
    "api POST /leads project_id": ("project", "ok ok ok", "ok no ok"),
    "api POST /leads industry_id": ("public: the industry taxonomy", "", ""),
    "api POST /visits region_id": ("region", "ok ok ok", "ok no ok"),
    "api POST /visits owner_id": ("owner", "ok ok ok", "ok no ok"),
    "api POST /visits investor_ids": ("enterprise", "ok ok ok", "no no ok"),
    "api POST /visits host_ids": ("owner", "ok ok ok", "ok no ok"),
    "api POST /visits lead_ids": ("lead", "ok ok ok", "no no ok"),
    # a steward names the leads they work; the park's keeper (凌海's official) those of the area
    "api POST /plots/{plot_id}/reserve lead_id": ("lead", "ok ok ok", "no no ok"),
    "api POST /buildings/{building_id}/reserve lead_id": ("lead", "ok ok ok", "no no ok"),
    "api POST /trips region_id": ("region", "ok ok ok", "ok no ok"),
    "api POST /trips owner_id": ("owner", "ok ok ok", "ok no ok"),
    "api POST /trips team_ids": ("owner", "ok ok ok", "ok no ok"),
    "api POST /trips/{trip_id}/meetings lead_id": ("lead", "ok ok ok", "no no ok"),
    "api POST /investors interest_ids": ("public: the industry taxonomy", "", ""),
    "api POST /requests enterprise_id": ("enterprise", "ok ok ok", "no no ok"),
    "api POST /requests project_id": ("project", "ok ok ok", "ok no ok"),
    "api POST /requests/{request_id}/steps/{step} to_id": ("assignee", "ok ok ok", "no no no"),
    # merge: a duplicate of the own enterprise into its own request; another enterprise's
    # request is refused as one that does not exist, whoever sees it
    "api POST /requests/{request_id}/steps/{step} into_id": ("request", "ok ok ok", "no no no"),
    "api POST /requests/{request_id}/steps/{step} department_id": ("department", "ok ok ok", "no no no"),
    "api POST /requests/{request_id}/steps/{step} extension_id": ("public: an extension of the request itself (looked up among its own)", "", ""),
    # Open311 is the enterprise contacts' (a 4th element names the roles played instead)
    "open311 POST requests attribute[project_id]": ("contact project", "ok", "no", "enterprise"),
    # importers: "import importer column"
    "import ledger enterprise": ("enterprise", "ok ok ok", "refused refused ok"),
    "import ledger credit_code": ("enterprise", "ok ok ok", "refused refused ok"),
    "import ledger region": ("region", "ok ok ok", "ok refused ok"),
    "import ledger steward": ("steward", "ok ok ok", "ok no ok"),
    "import ledger leader": ("leader", "ok ok ok", "ok no ok"),
    "import ledger industry": ("public: the industry taxonomy", "", ""),
    "import requests enterprise": ("enterprise", "- ok ok", "- no ok"),
    "import requests credit_code": ("enterprise", "- ok ok", "- no ok"),
    "import requests project": ("project", "- ok ok", "- no ok"),
    "import requests steward": ("steward", "- ok ok", "- no ok"),
    "import requests category": ("public: the request categories", "", ""),
    "import servicerecords steward": ("steward", "ok ok ok", "no no ok"),
    "import servicerecords enterprise": ("enterprise", "ok ok ok", "no no ok"),
    "import servicerecords credit_code": ("enterprise", "ok ok ok", "no no ok"),
    "import servicerecords project": ("project", "ok ok ok", "ok no ok"),
    "import targets region": ("region", "- ok ok", "- refused ok"),
    "import leads investor": ("enterprise", "ok ok ok", "refused refused ok"),
    "import leads credit_code": ("enterprise", "ok ok ok", "refused refused ok"),
    "import leads region": ("region", "ok ok ok", "ok no ok"),
    "import leads department": ("department", "ok ok ok", "ok no ok"),
    "import leads owner": ("owner", "ok ok ok", "no no ok"),
    "import leads project": ("project", "ok ok ok", "ok no ok"),
    "import leads industry": ("public: the industry taxonomy", "", ""),
    "import targets indicator": ("public: the target indicators", "", ""),
    # the ingest review's accept: the proposal's named enterprise and matched project
    "ingest enterprise": ("enterprise", "ok ok ok", "refused refused ok"),
    # (the steward serves the other project: its enterprise is theirs)
    "ingest project": ("project", "ok ok ok", "ok refused ok"),
    # admin actions: the admin site is for city admins only (rows admin:* above)
    "admin guanjia.accounts.admin.UserAdmin.deactivate_users": ("public: city admins only; names no record but the selected users", "", ""),
    "admin guanjia.accounts.admin.LockoutAdmin.cleanup_expired_attempts": ("public: city admins only; names no record", "", ""),
    "admin guanjia.enterprises.admin.EnterpriseAdmin.merge_selected": ("public: city admins only, the whole installation's configuration", "", ""),
}
# fmt: on

# Columns and fields that name no record (plain values), so the enumeration knows them.
PLAIN_COLUMNS = {
    "ledger": {
        "name", "stage", "level", "total_investment_wan", "plan_year",
        "planned_investment_year_wan", "completed_investment_year_wan", "funds_in_place_wan",
        "construction_content", "task_force", "withdrawn_reason", "lead_on", "negotiating_on",
        "signed_on", "registered_on", "approvals_on", "construction_on", "operation_on",
        "full_capacity_on", "withdrawn_on",
    },
    "requests": {
        "number", "submitted", "priority", "title", "text", "status", "replied", "closed",
        "answer", "on_time", "rating", "rating_comment", "rated", "dispatched", "signed",
    },
    "servicerecords": {"date", "kind", "summary", "problems"},
    "targets": {"period", "value", "note"},
    "leads": {
        "name", "group", "home_city", "investment_wan", "land_mu", "power_kva", "energy_tce",
        "water_tons", "workers", "source", "status", "status_reason", "lead_on",
        "last_contact_on", "next_follow_up_on", "signed_on", "notes",
    },
    "ingest": {
        "date", "name", "place", "investment_yuan", "value_yuan", "value", "steward_count",
        "service_count", "requests_resolved", "city_count", "enterprise_count", "signing_count",
    },
}  # fmt: skip
