"""Every failure on the Anthropic Skills API surface as Anthropic's error document:
`{"type": "error", "error": {"type": "not_found_error", "message": "..."}, "request_id": ...}`,
whatever raised it (a service, DRF, Django, the rate limit). Statuses and types come from the one
error table (`api/errors.py`); a refused body is Anthropic's 400, not JSON:API's 422."""

from __future__ import annotations

import logging

from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response

from api.errors import anthropic_body, anthropic_status, detail_of, headers_of, kind_of
from api.exceptions import error_headers, framework_exception, set_rollback
from core.errors import DATABASE_ERRORS, DomainError
from skills.validation import TreeError

logger = logging.getLogger(__name__)


def _message(detail) -> str:
    """DRF's error detail (a string, or lists and dicts of them) as one sentence."""
    if isinstance(detail, dict):
        return "; ".join(f"{name}: {_message(value)}" for name, value in detail.items())
    if isinstance(detail, list):
        return " ".join(_message(value) for value in detail)
    return str(detail)


def _code(codes) -> str | None:
    """The first of DRF's error codes (a string, or lists and dicts of them)."""
    if isinstance(codes, dict):
        codes = list(codes.values())
    if isinstance(codes, list):
        return next((code for code in map(_code, codes) if code), None)
    return str(codes) if codes else None


def tree_message(error: TreeError) -> str:
    return f"{error.path}: {error.detail}" if error.path else error.detail


def exception_handler(exc, context) -> Response:
    exc = framework_exception(exc)
    headers: dict[str, str] = {}
    code = getattr(exc, "code", None)  # a domain error's or a refused tree's
    if isinstance(exc, DomainError):
        status, message, headers = kind_of(exc).status, detail_of(exc), headers_of(exc)
    elif isinstance(exc, TreeError):
        status, message = exc.status, tree_message(exc)
    elif isinstance(exc, exceptions.APIException):
        status, message, headers = exc.status_code, _message(exc.detail), error_headers(exc)
        code = _code(exc.get_codes())
        if isinstance(exc, exceptions.NotFound) and message == exceptions.NotFound.default_detail:
            message = "There is nothing at this path."
    elif isinstance(exc, DATABASE_ERRORS):
        status, message = 503, "The database is unavailable for a moment; retry shortly."
        code = "database_unavailable"
        headers = {"Retry-After": "5"}
    else:
        view = context.get("view")
        logger.exception("Unhandled error in %s", type(view).__name__ if view else "view")
        status, message, code = 500, "The server hit an unexpected error.", "server_error"
    set_rollback()
    status = anthropic_status(status)
    request = context.get("request")
    request_id = getattr(request, "request_id", None) if request is not None else None
    body = anthropic_body(status, message, request_id, code)
    return Response(body, status=status, headers=headers)


class AlwaysJson(DefaultContentNegotiation):
    """Answer JSON whatever `Accept` says (the SDK's download asks for `application/binary`;
    the archive itself is not rendered by DRF), errors included: never a 406, never HTML."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
