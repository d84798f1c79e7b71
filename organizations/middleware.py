"""Rate limiting outside the view's transaction (organizations/ratelimit.py says why)."""

from rest_framework.exceptions import AuthenticationFailed
from rest_framework.views import APIView

from organizations.authentication import ApiKeyAuthentication, remember_authentication
from organizations.throttling import ApiKeyRateThrottle, consume


class RateLimitMiddleware:
    """Counts a limited key's request before the view's transaction opens; adds the
    `RateLimit-Limit`/`-Remaining`/`-Reset` headers to its response. The 429 itself comes from
    `ApiKeyRateThrottle`, as a JSON:API error with `Retry-After`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        usage = getattr(request, "rate_limit_usage", None)
        if usage is not None:
            for name, value in usage.headers().items():
                response[name] = value
        return response

    def process_view(self, request, view_func, view_args, view_kwargs) -> None:
        view_class = getattr(view_func, "cls", None)
        if not (
            isinstance(view_class, type)
            and issubclass(view_class, APIView)
            and ApiKeyRateThrottle in view_class.throttle_classes
            and ApiKeyAuthentication in view_class.authentication_classes
        ):
            return None
        try:
            authenticated = ApiKeyAuthentication().authenticate(request)
        except AuthenticationFailed:
            return None  # the view answers the 401 itself
        if authenticated is not None:
            remember_authentication(request, authenticated)
            consume(request, authenticated[1])
        return None
