from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Per-key requests a minute: the key's own `rate_limit`, else the configured default."""

    scope = "api_key"

    def get_rate(self) -> None:
        return None  # decided per request in allow_request

    def allow_request(self, request, view) -> bool:
        key = request.auth
        limit = getattr(key, "rate_limit", None) or settings.SKILLPORT["DEFAULT_RATE_LIMIT"]
        if not key or not limit:
            return True
        self.rate = f"{limit}/min"
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
