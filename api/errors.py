"""The one table of errors: each domain error (`core.errors`) with its HTTP status, its JSON:API
error object and its Metorial error object, and the builders of both shapes.

Every renderer writes through here: the DRF exception handler and Django's own handlers
(`api/exceptions.py`), git's and the downloads' error documents (`error_response`), the Metorial
surface's handler (`exports/metorial/objects.py`) and gunicorn's refusals (`config/gunicorn.py`).
This module imports neither Django's settings nor DRF, so gunicorn can load it before Django.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from core import errors as domain


@dataclass(frozen=True)
class ErrorKind:
    """How one domain error leaves: its status (the title is the status's phrase), what its
    JSON:API `source` names, and its Metorial `code` (the JSON:API `code` is the error's own)."""

    status: int
    source: str | None  # "parameter": `source.parameter`; "pointer": one error per attribute
    metorial_code: str


# Most specific first: an error is rendered by the first row it is an instance of.
DOMAIN_ERRORS: dict[type[domain.DomainError], ErrorKind] = {
    domain.UnknownParameterValue: ErrorKind(404, "parameter", "not_found"),
    domain.InvalidParameter: ErrorKind(400, "parameter", "invalid_query"),
    domain.ValidationFailed: ErrorKind(422, "pointer", "invalid_data"),
    domain.NotFound: ErrorKind(404, None, "not_found"),
    domain.Conflict: ErrorKind(409, None, "conflict"),
    domain.TooMany: ErrorKind(429, None, "too_many_requests"),
}

# Metorial's `code` for an error the framework raises itself (authentication, parsing, routing).
METORIAL_FRAMEWORK_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    500: "internal_server_error",
}


def kind_of(error: domain.DomainError) -> ErrorKind:
    for error_class, kind in DOMAIN_ERRORS.items():
        if isinstance(error, error_class):
            return kind
    raise LookupError(f"{type(error).__name__} has no row in api.errors.DOMAIN_ERRORS.")


def title_for(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Error"


def error_object(
    status_code: int,
    code: str,
    detail: str,
    source: dict | None = None,
    *,
    title: str | None = None,
) -> dict:
    """One JSON:API error object; the title is the status's phrase unless given."""
    error = {
        "status": str(status_code),
        "code": str(code),
        "title": title or title_for(status_code),
        "detail": str(detail),
    }
    if source:
        error["source"] = source
    return error


def pointer_token(key: str) -> str:
    """A member name (a file path, a skill path) as one JSON pointer reference token (RFC 6901)."""
    return key.replace("~", "~0").replace("/", "~1")


def detail_of(error: domain.DomainError) -> str:
    """The human message; a quota says when to retry, worded as DRF's `Throttled` words it."""
    if isinstance(error, domain.TooMany):
        unit = "second" if error.wait == 1 else "seconds"
        return f"{error.detail} Expected available in {error.wait} {unit}."
    return error.detail


def headers_of(error: domain.DomainError) -> dict[str, str]:
    return {"Retry-After": str(error.wait)} if isinstance(error, domain.TooMany) else {}


def jsonapi_errors(error: domain.DomainError, pointer: Callable[[str], str]) -> list[dict]:
    """The JSON:API error objects of a domain error; `pointer` maps an attribute to its JSON
    pointer (`/data/attributes/x` or `/data/relationships/x`, which only the view knows)."""
    kind = kind_of(error)
    if kind.source == "pointer":
        return [
            error_object(kind.status, error.code, message, {"pointer": pointer(field)})
            for field, messages in error.errors.items()
            for message in messages
        ]
    source = {"parameter": error.parameter} if kind.source == "parameter" else None
    return [error_object(kind.status, error.code, detail_of(error), source)]


def metorial_body(
    status: int, code: str, message: str, errors: list[dict] | None = None
) -> dict[str, Any]:
    """Metorial's error object; `errors` lists field problems as `{code, message, path}`."""
    body: dict[str, Any] = {"object": "error", "status": status, "code": code, "message": message}
    if errors:
        body["errors"] = errors
    return body


def metorial_error(error: domain.DomainError) -> dict[str, Any]:
    """The Metorial error object of a domain error: a field's problem carries its `path`."""
    kind = kind_of(error)
    if kind.source == "pointer":
        details = [
            {"code": error.code, "message": message, "path": [field]}
            for field, messages in error.errors.items()
            for message in messages
        ]
        message = f"The request body is not valid. {error.detail}"
        return metorial_body(kind.status, kind.metorial_code, message, details)
    details = None
    if kind.source == "parameter":
        details = [{"code": "invalid", "message": error.detail, "path": [error.parameter]}]
    return metorial_body(kind.status, kind.metorial_code, detail_of(error), details)


# The Anthropic Skills API surface (skills/anthropic/): Anthropic's error `type` for a status.
# Anthropic answers a refused body with a 400 (`invalid_request_error`) where JSON:API says 422.
ANTHROPIC_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    503: "overloaded_error",
    504: "timeout_error",
}


def anthropic_status(status: int) -> int:
    """The status Anthropic answers where Skillport says `status` (a 422 is Anthropic's 400)."""
    return 400 if status == 422 else status


def anthropic_body(
    status: int, message: str, request_id: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """Anthropic's error document: `{"type": "error", "error": {"type", "message"}}`, with
    Skillport's own code (the JSON:API `code`) where Anthropic puts one, `error.details.error_code`
    (the SDK's `error.error_code`)."""
    fallback = "api_error" if status >= 500 else "invalid_request_error"
    error = {"type": ANTHROPIC_ERROR_TYPES.get(status, fallback), "message": message}
    if code:
        error["details"] = {"error_code": code}
    body: dict[str, Any] = {"type": "error", "error": error}
    if request_id:
        body["request_id"] = request_id
    return body
