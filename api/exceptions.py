"""Every error, from DRF, from Django itself or from a service, leaves as a JSON:API error
document. The protocol's own errors (about a request's query parameters, headers, document) are
DRF exceptions declared here; services raise domain errors (`core.errors`), rendered through the
table in `api/errors.py`."""

import logging
import sys
from collections.abc import Callable

from django import db
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings

from api.errors import error_object, headers_of, jsonapi_errors, kind_of
from api.negotiation import JSON_API_MEDIA_TYPE
from api.renderers import OrjsonRenderer
from core import metrics
from core.errors import DATABASE_ERRORS, DomainError

logger = logging.getLogger(__name__)


class InvalidQueryParameter(exceptions.APIException):
    """A 400 that names the offending query parameter in `source.parameter`."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_parameter"

    def __init__(self, parameter: str, detail: str, code: str | None = None):
        super().__init__(detail, code)
        self.parameter = parameter


class ProfileParameterError(InvalidQueryParameter):
    """A 400 of an error type a profile defines: `links.type` names it, `meta` carries what the
    profile asks (the cursor pagination profile's `meta.page.maxSize`)."""

    def __init__(self, parameter: str, detail: str, code: str, type_link: str, meta=None):
        super().__init__(parameter, detail, code)
        self.type_link = type_link
        self.meta = meta


class UnprocessableParameter(InvalidQueryParameter):
    """A 422 for a query parameter that carries a resource's attribute (e.g. zip uploads)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "invalid"


class HeaderError(exceptions.APIException):
    """An error about a request header, named in `source.header`."""

    def __init__(self, header: str, detail: str, code: str, status_code: int):
        super().__init__(detail, code)
        self.header = header
        self.status_code = status_code


class MalformedDocument(exceptions.ParseError):
    """A 400 for a request document of the wrong shape, pointing at the member in `source`."""

    default_code = "malformed_document"

    def __init__(self, pointer: str, detail: str):
        super().__init__(detail)
        self.pointer = pointer


class UnprocessableEntity(exceptions.ValidationError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the resource."
    default_code = "conflict"


# A database error of DATABASE_ERRORS is a 503 that says when to retry, not a 500.
DATABASE_RETRY_AFTER = 5  # seconds, the Retry-After of such a 503


class DatabaseUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is unavailable for a moment; nothing was changed. Retry shortly."
    default_code = "database_unavailable"
    wait = DATABASE_RETRY_AFTER


def _validation_errors(full_details, pointer: str, status_code: int) -> list[dict]:
    """Walk DRF's nested `get_full_details()` output, building a JSON pointer for each leaf."""
    if isinstance(full_details, dict) and set(full_details) == {"message", "code"}:
        return [
            error_object(
                status_code, full_details["code"], full_details["message"], {"pointer": pointer}
            )
        ]
    if isinstance(full_details, dict):
        errors = []
        for key, value in full_details.items():
            if key in (api_settings.NON_FIELD_ERRORS_KEY, "detail"):
                errors += _validation_errors(value, pointer or "/data", status_code)
            else:
                errors += _validation_errors(value, f"{pointer}/{key}", status_code)
        return errors
    if isinstance(full_details, list):
        errors = []
        for index, item in enumerate(full_details):
            nested = isinstance(item, (list, dict)) and not (
                isinstance(item, dict) and set(item) == {"message", "code"}
            )
            errors += _validation_errors(
                item, f"{pointer}/{index}" if nested else pointer, status_code
            )
        return errors
    return [error_object(status_code, "invalid", str(full_details), {"pointer": pointer})]


def attribute_pointer(view) -> Callable[[str], str]:
    """Serializer field name -> `/data/attributes/x` or `/data/relationships/x` (or `/data`)."""
    relationship_names = getattr(view, "relationship_field_names", lambda: set())()

    def pointer(field: str) -> str:
        if field in (api_settings.NON_FIELD_ERRORS_KEY, "detail"):
            return "/data"
        if field in ("type", "id"):
            return f"/data/{field}"
        section = "relationships" if field in relationship_names else "attributes"
        return f"/data/{section}/{field}"

    return pointer


def _attribute_pointers(full_details, view) -> dict:
    if not isinstance(full_details, dict):
        return {"/data": full_details}
    pointer = attribute_pointer(view)
    return {pointer(field): value for field, value in full_details.items()}


def errors_for(exc: exceptions.APIException, view=None) -> list[dict]:
    status_code = exc.status_code
    if isinstance(exc, InvalidQueryParameter):
        error = error_object(status_code, exc.detail.code, exc.detail, {"parameter": exc.parameter})
        if isinstance(exc, ProfileParameterError):
            error["links"] = {"type": exc.type_link}
            if exc.meta:
                error["meta"] = exc.meta
        return [error]
    if isinstance(exc, MalformedDocument):
        return [error_object(status_code, exc.default_code, exc.detail, {"pointer": exc.pointer})]
    if isinstance(exc, exceptions.ParseError):
        # The body as a whole could not be read as a document: the pointer is "" (the root).
        code = getattr(exc.detail, "code", exc.default_code)
        return [error_object(status_code, code, exc.detail, {"pointer": ""})]
    if isinstance(exc, HeaderError):
        return [error_object(status_code, exc.detail.code, exc.detail, {"header": exc.header})]
    if isinstance(exc, exceptions.ValidationError):
        errors = []
        for pointer, details in _attribute_pointers(exc.get_full_details(), view).items():
            errors += _validation_errors(details, pointer, status_code)
        return errors
    details = exc.get_full_details()
    if isinstance(details, list):
        return [error_object(status_code, d["code"], d["message"]) for d in details]
    if isinstance(details, dict) and "message" in details:
        return [error_object(status_code, details["code"], details["message"])]
    return [error_object(status_code, exc.default_code, str(exc.detail))]


def error_headers(exc: exceptions.APIException) -> dict[str, str]:
    """The headers an error answer carries: the auth challenge of a 401, `Retry-After` of a 429."""
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    return headers


def set_rollback() -> None:
    """Roll back the request's transaction (ATOMIC_REQUESTS) when an error answers it. DRF's own
    `rest_framework.views.set_rollback` would import its views, and they this module's callers."""
    for connection in db.connections.all():
        if connection.settings_dict["ATOMIC_REQUESTS"] and connection.in_atomic_block:
            connection.set_rollback(True)


def framework_exception(exc: Exception) -> Exception:
    """Django's own exceptions as the DRF exceptions they mean; anything else as it is."""
    if isinstance(exc, Http404):
        return exceptions.NotFound(str(exc) if str(exc) else None)
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    return exc


def exception_handler(exc, context) -> Response | None:
    view = context.get("view")
    exc = framework_exception(exc)
    if isinstance(exc, DomainError):  # a service's refusal, rendered through the one table
        set_rollback()
        if view is not None:
            view.resource_name = "errors"
        errors = jsonapi_errors(exc, attribute_pointer(view))
        return Response(errors, status=kind_of(exc).status, headers=headers_of(exc))
    if isinstance(exc, exceptions.ValidationError) and exc.status_code == 400:
        # Invalid documents are 422 with a pointer; bad query parameters raise their own 400.
        exc = UnprocessableEntity(exc.detail)
    elif isinstance(exc, DATABASE_ERRORS):
        metrics.database_error("request")
        logger.warning("Database unavailable in %s: %s", view.__class__.__name__, exc)
        exc = DatabaseUnavailable()
    if not isinstance(exc, exceptions.APIException):
        logger.exception("Unhandled error in %s", view.__class__.__name__ if view else "view")
        exc = exceptions.APIException()
    headers = error_headers(exc)
    set_rollback()
    if view is not None:
        view.resource_name = "errors"
    return Response(errors_for(exc, view), status=exc.status_code, headers=headers)


def error_response(
    status_code: int, code: str, detail: str, source: dict | None = None, **headers: str
) -> HttpResponse:
    """A JSON:API error document outside DRF (Django's own 404/500 handlers, downloads, git),
    written byte for byte as the API writes its error documents."""
    document = {"errors": [error_object(status_code, code, detail, source)]}
    response = HttpResponse(
        OrjsonRenderer().render(document), status=status_code, content_type=JSON_API_MEDIA_TYPE
    )
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def not_found(request, exception=None) -> HttpResponse:
    return error_response(404, "not_found", "The requested resource does not exist.")


def server_error(request) -> HttpResponse:
    # Django calls this while handling the exception (raised before DRF's handler could see it,
    # e.g. opening the request's transaction), so it is still at hand.
    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        metrics.database_error("request")
        return error_response(
            503,
            DatabaseUnavailable.default_code,
            DatabaseUnavailable.default_detail,
            Retry_After=str(DATABASE_RETRY_AFTER),
        )
    return error_response(500, "server_error", "The server hit an unexpected error.")


def bad_request(request, exception=None) -> HttpResponse:
    return error_response(400, "bad_request", "The request could not be understood.")


def permission_denied(request, exception=None) -> HttpResponse:
    return error_response(403, "permission_denied", "You may not perform this action.")
