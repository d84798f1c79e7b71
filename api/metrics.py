"""`GET /metrics`: the Prometheus exposition (core/metrics.py), behind a token.

Off (a `404`, as for any path that does not exist) unless `SKILLPORT_METRICS_TOKEN` is set;
then only `Authorization: Bearer <that token>` is answered, anything else is a JSON:API `401`
(Prometheus's scraper accepts any error body). The token is compared in constant time."""

import hmac

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from api.conf import api_conf
from api.exceptions import error_response, not_found
from core import metrics


def _bearer(request: HttpRequest) -> str:
    scheme, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


# Outside the request transaction: a scrape reads counts, and must answer while the database
# is down (the event counters still do; core/metrics.py leaves the database's collectors out).
@transaction.non_atomic_requests
def metrics_view(request: HttpRequest) -> HttpResponse:
    token = api_conf.METRICS_TOKEN
    if not token:
        return not_found(request)
    if request.method not in ("GET", "HEAD"):
        return error_response(405, "method_not_allowed", "Only GET is allowed here.", Allow="GET")
    if not hmac.compare_digest(_bearer(request).encode(), token.encode()):
        return error_response(
            401,
            "not_authenticated",
            "The metrics need Authorization: Bearer <SKILLPORT_METRICS_TOKEN>.",
            WWW_Authenticate='Bearer realm="metrics"',
        )
    body, content_type = metrics.exposition()
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response
