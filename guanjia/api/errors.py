"""One error body for the whole API, so a client needs one parser.

    401, 403, 404:       {"detail": "…"}
    400, 409, 415, 422:  {"detail": "…", "errors": [{"field": "credit_code", "message": "…"}]}
    (415: a POST, PUT or PATCH whose body is not JSON; see contenttype.py)

`field` names the input field as the client sent it (`region_id`, not the model's `region`),
or is null when the message is about the request as a whole.
"""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from guanjia.accounts.scope import ReferenceOutOfScope
from guanjia.core.amounts import AmountError
from guanjia.projects.services import TransitionError

logger = logging.getLogger(__name__)

# Model field names → the names the API takes them under.
INPUT_NAMES = {
    "region": "region_id",
    "industry": "industry_id",
    "enterprise": "enterprise_id",
    "steward": "steward_id",
    "leader": "leader_id",
    "partners": "partner_ids",
    "project": "project_id",
    "to": "to_id",
    "__all__": None,
}


class ApiError(Exception):
    """Raised by a view to answer with `status` and the uniform body; extra keys are added."""

    def __init__(
        self,
        status: int,
        detail: str,
        errors: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors
        self.extra = extra

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"detail": self.detail}
        if self.errors is not None:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


def field_error(field: str | None, message: str) -> dict[str, Any]:
    return {"field": field, "message": message}


def invalid(field: str | None, message: str) -> ApiError:
    """A 422 naming one field."""
    return ApiError(422, _("The input is not valid."), [field_error(field, message)])


def missing_reference(field: str, value: Any) -> ApiError:
    """The 422 for an id that names no record the caller may reference."""
    name = INPUT_NAMES.get(field, field)
    return invalid(name, _("there is no such record (id %(pk)s)") % {"pk": value})


def django_errors(exc: DjangoValidationError, default_field: str | None = None) -> list[dict]:
    """A Django ValidationError as field errors (message_dict when it has one)."""
    if hasattr(exc, "error_dict"):
        return [
            field_error(INPUT_NAMES.get(name, name), str(message))
            for name, messages in exc.message_dict.items()
            for message in messages
        ]
    return [field_error(default_field, str(message)) for message in exc.messages]


def _pydantic_field(loc: tuple | list) -> str | None:
    """("body", "payload", "credit_code") → "credit_code"; ("query", "limit") → "limit"."""
    source, *rest = loc
    if source == "body" and rest:
        rest = rest[1:]  # the view's parameter name, which the client never sees
    return ".".join(str(part) for part in rest) or None


def _pydantic_message(error: dict[str, Any]) -> str:
    """pydantic's English message for the common error types, in the user's language."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("this field is required")
    if kind == "extra_forbidden":
        return _("this field is not accepted here")
    if kind in ("enum", "literal_error"):
        return _("must be one of: %(choices)s") % {"choices": ctx.get("expected", "")}
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("must be a whole number")
    if kind in ("decimal_parsing", "decimal_type", "float_parsing", "float_type"):
        return _("must be a number")
    if kind in (
        "date_parsing",
        "date_from_datetime_parsing",
        "date_type",
        "date_from_datetime_inexact",
    ):
        return _("must be a date written YYYY-MM-DD")
    if kind in ("string_type", "bool_type", "bool_parsing", "list_type", "dict_type", "model_type"):
        return _("has the wrong type")
    if kind == "string_too_long":
        return _("is too long (at most %(n)s characters)") % {"n": ctx.get("max_length", "")}
    if kind == "greater_than_equal" and "ge" in ctx:
        return _("is out of range: at least %(n)s") % {"n": ctx["ge"]}
    if kind == "less_than_equal" and "le" in ctx:
        return _("is out of range: at most %(n)s") % {"n": ctx["le"]}
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return _("is out of range")
    if kind == "json_invalid":
        return _("the request body is not valid JSON")
    return str(error.get("msg", _("is not valid")))


def install(api: NinjaAPI) -> None:
    """Register the handlers that turn exceptions into the uniform bodies."""

    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    @api.exception_handler(ApiError)
    def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        response = respond(request, exc.status, exc.body())
        if exc.status == 429 and "retry_after" in exc.extra:  # a rule's own rate (催办)
            response["Retry-After"] = str(exc.extra["retry_after"])
        return response

    @api.exception_handler(NinjaValidationError)
    def request_invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = [field_error(_pydantic_field(e["loc"]), _pydantic_message(e)) for e in exc.errors]
        return respond(request, 422, {"detail": _("The input is not valid."), "errors": errors})

    @api.exception_handler(DjangoValidationError)
    def model_invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        errors = django_errors(exc)
        return respond(request, 422, {"detail": _("The input is not valid."), "errors": errors})

    @api.exception_handler(TransitionError)
    def transition_refused(request: HttpRequest, exc: TransitionError) -> HttpResponse:
        errors = django_errors(exc, default_field="stage")
        return respond(request, 409, {"detail": _("The stage move was refused."), "errors": errors})

    @api.exception_handler(AmountError)
    def amount_invalid(request: HttpRequest, exc: AmountError) -> HttpResponse:
        errors = [field_error(None, str(exc))]
        return respond(request, 422, {"detail": _("The input is not valid."), "errors": errors})

    @api.exception_handler(IntegrityError)
    def conflict(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
        # Services check uniqueness first; this answers a request that lost a race.
        logger.warning("API write refused by the database: %s", exc)
        body = {"detail": _("The change conflicts with data saved meanwhile."), "errors": []}
        return respond(request, 409, body)

    @api.exception_handler(ReferenceOutOfScope)
    def reference_refused(request: HttpRequest, exc: ReferenceOutOfScope) -> HttpResponse:
        # A reference to another area's record reads exactly as one to a record that does not
        # exist: the same status, the same body.
        return respond(request, 422, missing_reference(exc.field, exc.value).body())

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, {"detail": _("Not found")})

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return respond(request, 403, {"detail": _("You may read this but not change it.")})

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        detail = exc.message
        if detail == "Unauthorized":  # ninja's own message when no credential was sent
            detail = _("Authentication required: send a bearer token or log in.")
        response = respond(request, 401, {"detail": detail})
        response["WWW-Authenticate"] = 'Bearer realm="guanjia"'
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        body: dict[str, Any] = {"detail": str(exc)}
        if exc.status_code == 400:  # ninja's "Cannot parse request body"
            body = {"detail": _("The request body is not valid JSON."), "errors": []}
        return respond(request, exc.status_code, body)
