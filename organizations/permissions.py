"""Key scopes: a `read` key changes nothing. The one rule for every write the API takes.

`KeyMayWrite` is in REST_FRAMEWORK's default permission classes, so every DRF view (JSON:API
resources and relationships, the zip upload, the Metorial surface) applies it before its handler
and before an `Idempotency-Key` is looked at (a replay cannot get around it). The git endpoints are
not DRF views: skills/git/views.py refuses a push with `refusal()`'s code and message.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from organizations.models import ApiKey

READ_ONLY_KEY = "read_only_key"
READ_ONLY_MESSAGE = (
    "This API key is read-only (scope 'read'): it may not create, change or delete anything. "
    "Use a key with scope 'write'."
)


def may_write(key: ApiKey | None) -> bool:
    return key is not None and key.may_write


def refusal() -> tuple[int, str, str]:
    """Status, code and detail of a write refused to a read-only key."""
    return 403, READ_ONLY_KEY, READ_ONLY_MESSAGE


def _handles(view, method: str) -> bool:
    # A method the view does not serve stays a 405: the key's scope is not the problem there.
    name = method.lower()
    return name in view.http_method_names and hasattr(view, name)


class KeyMayWrite(BasePermission):
    """Unsafe methods (POST, PUT, PATCH, DELETE) need a key with scope `write`."""

    message = READ_ONLY_MESSAGE
    code = READ_ONLY_KEY

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS or not _handles(view, request.method):
            return True
        return may_write(request.auth)
