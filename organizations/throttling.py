"""Per-key rate limits: counted once per request, shared by every process (see ratelimit.py)."""

from __future__ import annotations

from rest_framework.throttling import BaseThrottle

from core import metrics
from organizations import ratelimit


def consume(http_request, key) -> ratelimit.Usage | None:
    """Count this request against `key`'s limit, once per request; None when unlimited."""
    if not hasattr(http_request, "rate_limit_usage"):
        limit = ratelimit.limit_for(key) if key is not None else 0
        usage = ratelimit.hit(str(key.pk), limit) if limit else None
        http_request.rate_limit_usage = usage
        if usage is not None and not usage.allowed:
            # Counted once per request, here, whichever surface (API, git) answers the 429.
            metrics.RATE_LIMIT_REFUSALS.inc()
    return http_request.rate_limit_usage


class ApiKeyRateThrottle(BaseThrottle):
    """Per-key requests a minute: the key's own `rate_limit`, else the configured default."""

    usage: ratelimit.Usage | None = None

    def allow_request(self, request, view) -> bool:
        # Normally counted already by RateLimitMiddleware, outside the request's transaction.
        self.usage = consume(request._request, request.auth)
        return self.usage is None or self.usage.allowed

    def wait(self) -> float | None:
        return self.usage.reset_in() if self.usage else None
