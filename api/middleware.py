import logging
import re
import time
import uuid

from django.http import HttpResponse
from django.urls import Resolver404, resolve

from api.conf import api_conf
from api.exceptions import error_response
from api.methods import allowed_methods
from core import metrics
from core.context import request_id_var

request_log = logging.getLogger("skillport.requests")

# A client-sent id is kept only when it is a sane token, so logs cannot be forged through it.
CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class RequestIdMiddleware:
    """Give every request a trace id (kept from `X-Request-Id` when sent) and echo it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        sent = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = sent if CLIENT_REQUEST_ID.match(sent) else uuid.uuid4().hex
        token = request_id_var.set(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-Id"] = request.request_id
        return response


def route_of(request) -> str:
    """The URL pattern that answered, by name (`skill_collections-detail`), else its route;
    never the raw path, so the metric's label values stay few."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or match.route or "unnamed"


class RequestMetricsMiddleware:
    """Counts and times every answer by route and status (core/metrics.py), and writes the
    request's log line (`skillport.requests`, with the request id of RequestIdMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        route, status = route_of(request), str(response.status_code)
        metrics.HTTP_REQUESTS.labels(request.method, route, status).inc()
        metrics.HTTP_DURATION.labels(request.method, route, status).observe(seconds)
        request_log.info(
            "%s %s %s %.1f ms",
            request.method,
            request.path,
            status,
            seconds * 1000,
            extra={
                "method": request.method,
                "path": request.path,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1),
            },
        )
        return response


class UriLengthMiddleware:
    """A JSON:API `414` for a URI longer than `SKILLPORT["MAX_URI_LENGTH"]`, before any view
    (and its database work) runs. The limit sits below gunicorn's `limit_request_line`
    (config/gunicorn.py), so clients get this answer rather than the HTTP server's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = api_conf.MAX_URI_LENGTH
        if len(request.get_full_path()) > limit:
            return error_response(
                414, "uri_too_long", f"The URI is longer than {limit} characters."
            )
        return self.get_response(request)


# The JSON:API's root: below it a trailing slash is not part of any path.
API_PREFIX = "/api/"


class TrailingSlashMiddleware:
    """`/api/<path>/` answers as `/api/<path>`, for every method and without a redirect (a
    redirect would drop a POST's or a PATCH's body): clients that append a slash, as
    jsonapi-requests does by default, work unmodified. The path is rewritten before the URL
    resolver sees it, so the URL patterns, their links and the OpenAPI document keep the one
    canonical form, without the slash."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        canonical = path.rstrip("/")
        if path != canonical and path.startswith(API_PREFIX) and len(canonical) >= len(API_PREFIX):
            stripped = len(path) - len(canonical)
            request.path_info = canonical
            request.path = request.path[:-stripped]
        return self.get_response(request)


class OptionsMiddleware:
    """`OPTIONS` on any routed path, an unknown id included: `204` with `Allow`, no body.

    Answered from the view the path resolves to (api/methods.py), before authentication, the
    view and its lookups run, so it is the same for every caller and every id. CORS preflights
    (`OPTIONS` with `Access-Control-Request-Method`) are django-cors-headers' (it sits above). A
    view that does not say which methods it serves answers `OPTIONS` itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "OPTIONS":
            try:
                match = resolve(request.path_info, getattr(request, "urlconf", None))
            except Resolver404:
                match = None
            served = allowed_methods(match) if match is not None else None
            if served is not None:
                response = HttpResponse(status=204)
                del response["Content-Type"]
                response["Allow"] = ", ".join(served)
                return response
        return self.get_response(request)
