"""Stored text is rendered escaped everywhere; exports never turn it into a formula; every
state-changing web form needs its CSRF token.

XSS: the world of tests/authz_world.py gets hostile text in every field people type (project
and enterprise names, request title and text, a progress note, a service record, a policy's
title and benefit, an event's name, meeting minutes, a notification) and each page that shows
them must print the escaped form, never the raw markup. JSON answers carry the text as JSON
(application/json, nosniff), never as HTML. Excel exports write it as a text cell: a value
starting with = + - @ must not become a formula (xlsxwriter's write_string and inline
strings never do — the test reads the sheet XML back and finds no <f> element).

CSRF: with enforce_csrf_checks, each state-changing POST URL of the matrix refuses a POST
without the token (403) for a logged-in user. The API is exempt by design: a bearer token
is sent by a machine in a header a browser never adds on its own, so a forged cross-site
request cannot carry it; the API's session auth (the browser's own calls) checks CSRF
itself (guanjia/api/auth.py BrowserSession), which the last test proves.
"""

import datetime as dt
import io
import json
import re
import zipfile
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from guanjia.accounts.models import ApiToken
from guanjia.enterprises.models import Enterprise
from guanjia.events.models import Event
from guanjia.notifications.models import Notification
from guanjia.policies.models import Policy
from guanjia.projects.models import Project
from guanjia.requests import services as request_services
from guanjia.requests.models import ServiceRequest
from guanjia.servicerecords.models import ServiceRecord
from guanjia.taskforces.models import Meeting

from .authz_matrix import WEB
from .authz_world import build_world
from .shared_world import shared_world

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
FORMULA = '=HYPERLINK("http://evil.example","x")'


def hostile(label: str) -> str:
    return f"{label}{SCRIPT}{IMG}{JS_URL}"


def hostile_world(users, linghai, heishan, city):
    found = build_world(users, linghai, heishan, city)
    project, _ = found["project"]
    enterprise, _ = found["enterprise"]
    sr, _ = found["request"]
    # Written straight to the rows, as if typed through any form or import.
    Project.objects.filter(pk=project.pk).update(name=hostile("凌海项目"))
    Enterprise.objects.filter(pk=enterprise.pk).update(name=hostile("凌海企业"))
    ServiceRequest.objects.filter(pk=sr.pk).update(title=hostile("诉求"), text=hostile("诉求正文"))
    request_services.add_note(sr, users["steward"], hostile("进展"))
    ServiceRecord.objects.filter(pk=found["service record"][0].pk).update(summary=hostile("走访"))
    Policy.objects.filter(pk=found["policy"][0].pk).update(
        title=hostile("政策"), benefit=hostile("奖励")
    )
    Event.objects.filter(pk=found["event"][0].pk).update(name=hostile("推介会"))
    Meeting.objects.create(
        project=project, held_on=dt.date(2026, 11, 2), title=hostile("调度会"),
        minutes=hostile("纪要"), created_by=users["admin"],
    )  # fmt: skip
    Notification.objects.create(
        recipient=users["admin"], kind="test", title=hostile("通知"), body=hostile("内容"), url="/"
    )
    return found


# Built once for the module; each test's writes are rolled back (tests/shared_world.py).
_shared_world, _fresh, regions, users, own_enterprise, world = shared_world(hostile_world)


def assert_escaped(html: str, where: str) -> None:
    assert SCRIPT not in html, f"raw <script> on {where}"
    assert "<img src=x" not in html, f"raw <img> on {where}"
    assert 'href="javascript:' not in html.lower(), f"javascript: link on {where}"
    assert escape(SCRIPT) in html, f"the hostile text is not on {where} at all"


def pages(world: dict[str, Any]) -> list[tuple[str, str, dict[str, str]]]:
    """(role, url, headers) of every page that shows one of the hostile texts."""
    project = world["project"][0].pk
    enterprise = world["enterprise"][0].pk
    sr = world["request"][0].pk
    htmx = {"HX-Request": "true"}
    return [
        ("admin", reverse("projects:project_list"), {}),
        ("admin", reverse("projects:project_list"), htmx),
        ("admin", reverse("projects:project_detail", args=[project]), {}),
        ("admin", reverse("projects:project_edit", args=[project]), {}),
        ("admin", reverse("enterprises:enterprise_list"), {}),
        ("admin", reverse("enterprises:enterprise_list") + "?q=凌海", htmx),
        ("admin", reverse("enterprises:enterprise_detail", args=[enterprise]), {}),
        ("admin", reverse("enterprises:enterprise_options") + "?q=凌海", htmx),
        ("admin", reverse("events:event_list"), {}),
        ("admin", reverse("events:event_detail", args=[world["event"][0].pk]), {}),
        ("steward", reverse("requests:queue"), {}),
        ("admin", reverse("requests:detail", args=[sr]), {}),
        ("enterprise", reverse("requests:detail", args=[sr]), {}),
        ("enterprise", reverse("requests:queue"), {}),
        ("admin", reverse("servicerecords:list"), {}),
        ("admin", reverse("policies:library"), {}),
        ("admin", reverse("policies:detail", args=[world["policy"][0].pk]), {}),
        ("enterprise", reverse("policies:for_you"), {}),
        ("admin", reverse("policies:deliveries"), {}),
        ("admin", reverse("notifications:inbox"), {}),
    ]


@pytest.mark.parametrize("index", range(20))
def test_stored_text_is_escaped_on_every_page(world, index):
    role, url, headers = pages(world)[index]
    client = Client()
    client.force_login(world["users"][role])
    response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    assert_escaped(response.content.decode(), f"{url} as {role}")


def test_the_page_list_is_complete(world):
    assert len(pages(world)) == 20


def test_json_answers_carry_the_text_as_json(world):
    client = Client()
    client.force_login(world["users"]["admin"])
    _, token = ApiToken.issue(world["users"]["admin"])
    project = world["project"][0].pk
    answers = [
        client.get(reverse("cockpit:data")),
        client.get(f"/api/v1/projects/{project}", headers={"Authorization": f"Bearer {token}"}),
        client.get("/api/v1/projects?q=凌海", headers={"Authorization": f"Bearer {token}"}),
        client.get(f"/api/v1/requests/{world['request'][0].pk}",
                   headers={"Authorization": f"Bearer {token}"}),
    ]  # fmt: skip
    for response in answers:
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/json")
        assert response["X-Content-Type-Options"] == "nosniff"
        json.loads(response.content)  # well-formed: the text is a JSON string, not markup
    # the hostile names arrive intact as data, for the client to escape when it renders
    assert json.loads(answers[1].content)["name"] == hostile("凌海项目")


def _sheet_xml(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        names = [n for n in book.namelist() if n.startswith("xl/worksheets/sheet")]
        shared = (
            book.read("xl/sharedStrings.xml").decode()
            if "xl/sharedStrings.xml" in (book.namelist())
            else ""
        )
        return "".join(book.read(n).decode() for n in names) + shared


@pytest.mark.parametrize(
    "url",
    [
        "projects:export",
        "requests:export",
        "servicerecords:export",
        "guarantees:export",
        "projects:stalled_export",
    ],
)
def test_exports_write_formula_like_text_as_text(world, url):
    project, _ = world["project"]
    for start in ("=", "+", "-", "@"):
        Project.objects.filter(pk=project.pk).update(name=start + FORMULA[1:])
        Enterprise.objects.filter(pk=world["enterprise"][0].pk).update(name=start + "1+1")
        ServiceRequest.objects.filter(pk=world["request"][0].pk).update(title=start + "SUM(A1:A9)")
        ServiceRecord.objects.filter(pk=world["service record"][0].pk).update(
            summary=start + "cmd|' /C calc'!A0"
        )
        client = Client()
        client.force_login(world["users"]["admin"])
        response = client.get(reverse(url))
        assert response.status_code == 200
        xml = _sheet_xml(b"".join(response.streaming_content))
        assert not re.search(r"<f[ >]", xml), f"{url}: a formula cell"


def test_the_exports_do_contain_the_text(world):
    """The check above would pass on an empty sheet: the ledger export has the name as text."""
    Project.objects.filter(pk=world["project"][0].pk).update(name=FORMULA)
    client = Client()
    client.force_login(world["users"]["admin"])
    xml = _sheet_xml(b"".join(client.get(reverse("projects:export")).streaming_content))
    assert escape(FORMULA).replace("&#x27;", "'") in xml or "HYPERLINK" in xml


# ---------------------------------------------------------------- CSRF


def _state_changing_posts() -> list[str]:
    """Rows whose POST, for some role, is accepted (a redirect or a form page): those change
    state or would, so each must need the token. Pure GET pages (405 on POST) are left out."""
    keys = []
    for key, row in WEB.items():
        # The admin has its own CSRF-protected forms (Django's); the API's pages read nothing
        # (its operations are below); log-in is checked by Django's own view.
        if key.startswith(("admin:", "api:", "/")) or key == "login":
            continue
        posts = (row.post or "").split() + (row.post_other or "").split()
        if any(code in ("200", "302", "400") for code in posts):
            keys.append(key)
    return sorted(keys)


STATE_CHANGING = _state_changing_posts()


def test_there_are_state_changing_posts_to_check():
    assert len(STATE_CHANGING) > 30


@pytest.mark.parametrize("key", STATE_CHANGING)
def test_a_post_without_the_csrf_token_is_refused(world, key):
    from .test_authz_matrix import web_url

    row = WEB[key]
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["users"]["admin"])
    response = client.post(web_url(key, row, world, world["users"]["admin"], False) + row.query)
    assert response.status_code == 403, key


def test_the_api_with_a_session_needs_the_csrf_token_and_with_a_bearer_token_does_not(world):
    admin = world["users"]["admin"]
    project = world["project"][0].pk
    body = json.dumps({"task_force": "专班"})
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin)
    refused = browser.patch(f"/api/v1/projects/{project}", body, content_type="application/json")
    assert refused.status_code == 403
    _, token = ApiToken.issue(admin)
    machine = Client(enforce_csrf_checks=True)
    accepted = machine.patch(
        f"/api/v1/projects/{project}", body, content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip
    assert accepted.status_code == 200


def test_the_audit_csv_export_neutralises_formula_like_text(world):
    import csv

    from guanjia.core.audit import audited_save

    project = world["project"][0]
    project.name = FORMULA
    audited_save(project, world["users"]["admin"])
    client = Client()
    client.force_login(world["users"]["admin"])
    response = client.post(reverse("accounts:audit_export"), {"format": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert any("HYPERLINK" in cell for cell in cells)
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")]
