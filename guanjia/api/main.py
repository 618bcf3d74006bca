"""The JSON API at /api/v1/: one NinjaAPI, its authentication, parser and error handlers."""

import json
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger
from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from . import (
    contenttype,
    enterprises,
    errors,
    events,
    leads,
    parks,
    projects,
    reference,
    requests,
)
from .auth import BearerToken, BrowserSession
from .common import JSON_DUMPS
from .schemas import InvalidOut, RateLimitedOut

DESCRIPTION = """\
The project ledger of Guanjia: regions, industries, enterprises, projects and events; and
enterprises' requests (诉求) through the direct line, with every step of their loop.

**Authentication**: `Authorization: Bearer <token>` (`guanjia token USERNAME` prints one), or
the browser's log-in session, which also needs the `X-CSRFToken` header on writes.

**Access** is the web's: outside your area a record is 404; read-only roles (leader,
department handler, enterprise contact) get 403 on writes.

**Money** is 万元 (10,000 yuan) as a decimal string with four places: `"6120000.0000"` is
612亿元. Inputs also take numbers and texts with units (`"3.5亿元"`).

**Errors** are `{"detail": "…"}` (401, 403, 404) or
`{"detail": "…", "errors": [{"field": "credit_code", "message": "…"}]}` (400, 409, 415, 422).

**Bodies** of POST, PUT and PATCH are JSON (`Content-Type: application/json`); any other
type is refused with 415.

**Rate limits** per token (or session user, or address): a refusal is 429 with `Retry-After`
and `{"detail": "…", "retry_after": 42, "limit": 600}`.
"""


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


class JsonParser(Parser):
    """Numbers with a point stay exact Decimals (never floats); NaN and Infinity are refused."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        return json.loads(  # type: ignore[no-any-return]
            request.body, parse_float=Decimal, parse_constant=_refuse_constant
        )


class Utf8JsonRenderer(JSONRenderer):
    """Chinese names as UTF-8 text rather than \\u escapes: readable, and half the bytes."""

    json_dumps_params = JSON_DUMPS


RATE_LIMITED = {
    "description": (
        "Too many requests: this token's, session user's or address's allowance for the "
        "window is used up (reads and writes are counted apart). Try again after Retry-After "
        "seconds."
    ),
    "headers": {
        "Retry-After": {
            "description": "seconds until the window resets",
            "schema": {"type": "integer"},
        },
        "X-RateLimit-Limit": {
            "description": "requests allowed per window",
            "schema": {"type": "integer"},
        },
        "X-RateLimit-Remaining": {"description": "always 0", "schema": {"type": "integer"}},
    },
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RateLimitedOut"}}},
}


UNSUPPORTED_BODY = {
    "description": (
        "The body is not JSON: every write takes `Content-Type: application/json` (a charset "
        "may follow); nothing was read or written."
    ),
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/InvalidOut"}}},
}


class GuanjiaAPI(NinjaAPI):
    """Every operation is rate-limited (guanjia.accounts.ratelimit, before any view runs), so
    every operation documents the 429 and its body; every write reads JSON only
    (guanjia.api.contenttype), so every write documents the 415."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (RateLimitedOut, InvalidOut):
            components.setdefault(
                model.__name__, model.model_json_schema(ref_template="#/components/schemas/{model}")
            )
        for item in schema.get("paths", {}).values():
            for method, operation in item.items():
                if method in ("get", "head", "post", "put", "patch", "delete", "options"):
                    operation.setdefault("responses", {})["429"] = RATE_LIMITED
                if method in ("post", "put", "patch"):
                    operation["responses"]["415"] = UNSUPPORTED_BODY
        return schema


api = GuanjiaAPI(
    title="Guanjia API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=[BearerToken(), BrowserSession()],
    parser=JsonParser(),
    renderer=Utf8JsonRenderer(),
    # "ninja" is in INSTALLED_APPS, so the docs page serves the bundled Swagger UI from our
    # static files: no CDN, works offline and behind a strict firewall.
    docs=Swagger(settings={"persistAuthorization": True}),
)
errors.install(api)
contenttype.install(api)  # 415 for a write whose body is not JSON
api.add_router("", reference.router)
api.add_router("/enterprises", enterprises.router)
api.add_router("/projects", projects.router)
api.add_router("/events", events.router)
api.add_router("/requests", requests.router)
api.add_router("", leads.router)
api.add_router("", parks.router)
