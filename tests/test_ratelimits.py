"""Rate limits: log-in POSTs per address, the API per token or user (reads and writes apart),
Open311 POSTs per the api_key that authenticated — 429 with Retry-After, JSON for machines."""

import json

import pytest
from django.test import Client

from guanjia.accounts import ratelimit
from guanjia.accounts.models import ApiToken
from tests.conftest import PASSWORD


@pytest.fixture
def tight(settings, one_rate_window):
    settings.GUANJIA_RATE_LIMITS = {
        "login": "3/60",
        "api_read": "5/60",
        "api_write": "2/60",
        "open311_post": "2/60",
    }


def test_the_counter_allows_the_limit_then_refuses(db, tight):
    verdicts = [ratelimit.hit("api_read", "someone") for _ in range(6)]
    assert [v.allowed for v in verdicts] == [True] * 5 + [False]
    assert 1 <= verdicts[-1].retry_after <= 60
    assert ratelimit.hit("api_read", "someone else").allowed


def test_log_in_posts_are_limited_per_address(client, users, tight):
    for _ in range(3):
        client.post(
            "/login/", {"username": "t_admin", "password": PASSWORD}, REMOTE_ADDR="10.3.0.1"
        )
    refused = client.post(
        "/login/", {"username": "t_admin", "password": PASSWORD}, REMOTE_ADDR="10.3.0.1"
    )
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "locked-out" in refused.content.decode()
    other = client.post(
        "/login/", {"username": "t_admin", "password": PASSWORD}, REMOTE_ADDR="10.3.0.2"
    )
    assert other.status_code == 302
    assert client.get("/login/", REMOTE_ADDR="10.3.0.1").status_code == 200  # GETs are free


def test_the_api_is_limited_per_token_with_a_json_429(db, users, tight):
    _, raw = ApiToken.issue(users["admin"])
    _, other = ApiToken.issue(users["leader"])
    api = Client()
    for _ in range(5):
        assert api.get("/api/v1/regions", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    refused = api.get("/api/v1/regions", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json"
    body = json.loads(refused.content)
    assert body["retry_after"] == int(refused["Retry-After"]) and body["limit"] == 5
    assert "detail" in body
    assert api.get("/api/v1/regions", HTTP_AUTHORIZATION=f"Bearer {other}").status_code == 200


def test_api_writes_have_their_own_lower_limit(db, users, tight):
    _, raw = ApiToken.issue(users["admin"])
    api = Client(headers={"authorization": f"Bearer {raw}"})
    statuses = [
        api.post("/api/v1/enterprises", "{}", content_type="application/json").status_code
        for _ in range(3)
    ]
    assert statuses[:2] != [429, 429] and statuses[2] == 429
    assert api.get("/api/v1/regions").status_code == 200  # reads still go


def test_the_api_is_limited_per_session_user(client, users, tight):
    client.force_login(users["admin"])
    for _ in range(5):
        client.get("/api/v1/regions")
    assert client.get("/api/v1/regions").status_code == 429


def test_open311_posts_are_limited_per_key(db, users, tight):
    _, raw = ApiToken.issue(users["enterprise"])
    _, other = ApiToken.issue(users["admin"])
    c = Client()
    data = {"api_key": raw, "service_code": "nope", "description": "x"}
    for _ in range(2):
        assert c.post("/open311/v2/requests.json", data).status_code != 429
    refused = c.post("/open311/v2/requests.json", data)
    assert refused.status_code == 429 and "Retry-After" in refused
    body = json.loads(refused.content)
    assert body[0]["code"] == 429 and body[0]["description"]
    assert c.post("/open311/v2/requests.json", {**data, "api_key": other}).status_code != 429
    # Reading is not an Open311 POST.
    assert c.get(f"/open311/v2/services.json?api_key={raw}").status_code == 200


def test_open311_posts_count_on_the_key_that_authenticated(db, users, tight):
    """A random api_key in the query string while the real one is in the body (or the bearer
    header) does not open a new allowance: the body's key is the one that authenticates."""
    _, raw = ApiToken.issue(users["enterprise"])
    c = Client()
    data = {"api_key": raw, "service_code": "nope", "description": "x"}
    statuses = [
        c.post(f"/open311/v2/requests.json?api_key=dodge{i}", data).status_code for i in range(3)
    ]
    assert statuses[:2] != [429, 429] and statuses[2] == 429
    as_json = c.post(
        "/open311/v2/requests.json?api_key=dodge9", json.dumps(data), "application/json"
    )
    assert as_json.status_code == 429
    bearer = c.post(
        "/open311/v2/requests.xml?api_key=",
        {k: v for k, v in data.items() if k != "api_key"},
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert bearer.status_code == 429 and b"<code>429</code>" in bearer.content
    assert int(bearer["Retry-After"]) >= 1


def test_open311_posts_with_no_valid_key_count_on_the_address(db, users, tight):
    """Made-up keys do not each get an allowance: they share the caller's address's."""
    c = Client()
    data = {"service_code": "nope", "description": "x"}
    statuses = [
        c.post("/open311/v2/requests.json", {**data, "api_key": f"made-up-{i}"},
               REMOTE_ADDR="10.4.0.1").status_code
        for i in range(3)
    ]  # fmt: skip
    assert statuses == [403, 403, 429]
    # Another address, and a real key from the same address, are counted apart.
    assert c.post("/open311/v2/requests.json", data, REMOTE_ADDR="10.4.0.2").status_code == 403
    _, raw = ApiToken.issue(users["enterprise"])
    real = c.post("/open311/v2/requests.json", {**data, "api_key": raw}, REMOTE_ADDR="10.4.0.1")
    assert real.status_code == 400


def test_every_api_operation_documents_its_429(db):
    from guanjia.api.main import api

    schema = api.get_openapi_schema()
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]
    assert len(operations) > 10
    for path, method, operation in operations:
        refusal = operation["responses"]["429"]
        assert "Retry-After" in refusal["headers"], (path, method)
        ref = refusal["content"]["application/json"]["schema"]["$ref"]
        assert ref == "#/components/schemas/RateLimitedOut"
    body = schema["components"]["schemas"]["RateLimitedOut"]
    assert set(body["required"]) == {"detail", "retry_after", "limit"}


def test_the_defaults_are_documented_values(settings):
    from guanjia import settings as mod

    assert mod.GUANJIA_RATE_LIMITS == {
        "login": "30/60",
        "api_read": "600/60",
        "api_write": "60/60",
        "open311_post": "30/60",
        "portal_enquiry": "5/3600",
        "request_press": "20/3600",
    }
