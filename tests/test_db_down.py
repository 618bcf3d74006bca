"""A database that cannot be reached is 503 with Retry-After (never 500): JSON for the API, the
spec's error list for Open311, a short page in the user's language for the rest.

The outage is simulated by making every query fail as psycopg does when PostgreSQL is down
(OperationalError) or a connection died under it (InterfaceError); drills/postgres_restart.py
does it for real.
"""

import json
from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client
from django.urls import reverse

from guanjia.accounts.models import ApiToken
from guanjia.core.errors import RETRY_AFTER_S, database_unavailable


def db_down(exc: type[Exception] = OperationalError) -> mock._patch:
    return mock.patch.object(
        CursorWrapper, "execute", side_effect=exc("connection failed: Connection refused")
    )


@pytest.fixture
def browser(users) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(users["admin"])
    return client


@pytest.fixture
def token(users) -> str:
    return ApiToken.issue(users["admin"], "drill")[1]


@pytest.mark.parametrize("exc", [OperationalError, InterfaceError])
def test_a_page_is_503_with_a_short_page_in_the_users_language(browser, exc):
    with db_down(exc):
        english = browser.get(reverse("projects:project_list"), HTTP_ACCEPT_LANGUAGE="en")
        chinese = browser.get(reverse("projects:project_list"), HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert english.status_code == chinese.status_code == 503
    assert english["Retry-After"] == str(RETRY_AFTER_S)
    assert english["Content-Type"].startswith("text/html")
    assert english["Cache-Control"] == "no-store"
    page = english.content.decode()
    assert '<html lang="en">' in page
    assert "briefly unavailable" in page
    assert '<html lang="zh-hans">' in chinese.content.decode()


def test_a_log_in_is_503_too(users):
    with db_down():
        response = Client(raise_request_exception=False).post(
            reverse("login"), {"username": "t_admin", "password": "whatever-it-is"}
        )
    assert response.status_code == 503


def test_the_api_is_503_json(token):
    client = Client(raise_request_exception=False)
    headers = {"Authorization": f"Bearer {token}"}
    with db_down():
        read = client.get("/api/v1/requests", headers=headers)
        write = client.post(
            "/api/v1/requests",
            data=json.dumps({"category": "x", "text": "y"}),
            content_type="application/json",
            headers=headers,
        )
    for response in (read, write):
        assert response.status_code == 503
        assert response["Retry-After"] == str(RETRY_AFTER_S)
        body = response.json()
        assert body["retry_after"] == RETRY_AFTER_S
        assert body["detail"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_is_503_in_its_error_format(db, fmt):
    with db_down():
        response = Client(raise_request_exception=False).get(f"/open311/v2/services.{fmt}")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_S)
    if fmt == "json":
        assert response.json()[0]["code"] == 503
    else:
        assert b"<code>503</code>" in response.content


def test_any_other_failure_is_still_a_500(browser):
    with mock.patch.object(CursorWrapper, "execute", side_effect=RuntimeError("a bug")):
        response = browser.get(reverse("projects:project_list"))
    assert response.status_code == 500
    assert "Retry-After" not in response


def test_the_cause_chain_is_followed():
    try:
        try:
            raise OperationalError("couldn't get a connection after 10.00 sec")
        except OperationalError as inner:
            raise RuntimeError("while rendering") from inner
    except RuntimeError as outer:
        assert database_unavailable(outer)
    assert not database_unavailable(ValueError("no"))
    assert not database_unavailable(None)


def test_the_pool_checks_a_connection_before_handing_it_out(settings):
    """After a restart the pool's old connections are dead: each is checked (and replaced)
    before a request gets it, so the app recovers without failing a request per connection."""
    from guanjia import settings as app_settings

    db = app_settings.DATABASES["default"]
    if "pool" in db.get("OPTIONS", {}):
        assert db["CONN_HEALTH_CHECKS"] is True
