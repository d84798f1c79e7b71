from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from organizations.models import ApiKey, hash_key

# Writing last_used_at on every request would turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def raw_key_from_request(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.META.get("HTTP_X_API_KEY", "").strip() or None


def remember_authentication(http_request, authenticated: tuple) -> None:
    """Keep a result of `ApiKeyAuthentication` (taken by the rate-limit middleware before the
    view) on the request, so the view does not look the key up a second time."""
    http_request.api_key_authentication = authenticated


def active_key(raw_key: str) -> ApiKey | None:
    """The active key `raw_key` is the secret of, its last use recorded; None when unknown or
    revoked. Shared by the API and the git endpoints (skills/git/views.py)."""
    key = (
        ApiKey.objects.active()
        .select_related("member", "organization")
        .filter(key_hash=hash_key(raw_key))
        .first()
    )
    if key is None:
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>` or `X-API-KEY: <key>`; the key's member is the user."""

    def authenticate(self, request):
        # A DRF request reads attributes of the Django request it wraps.
        remembered = getattr(request, "api_key_authentication", None)
        if remembered is not None:
            return remembered
        raw_key = raw_key_from_request(request)
        if raw_key is None:
            return None
        key = active_key(raw_key)
        if key is None:
            raise exceptions.AuthenticationFailed("The API key is not valid or was revoked.")
        return key.member, key

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="skillport"'
