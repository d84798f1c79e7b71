"""Who is behind a change: the member of the API key, staff in the admin, or an explicit actor.

`ActorMiddleware` remembers the current request; DRF copies the authenticated member and key
onto the underlying Django request, and the admin has its staff user there, so `current_who()`
reads whichever is present when an event is recorded. Workers and scripts use `acting_as(...)`.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_request_var: ContextVar[Any] = ContextVar("events_request", default=None)
_actor_var: ContextVar[dict | None] = ContextVar("events_actor", default=None)


def describe(actor: Any) -> dict | None:
    """A JSON description of an actor: one that describes itself (`audit_actor()`, as a member
    does), a Django staff user, a dict or a plain label."""
    if actor is None:
        return None
    if isinstance(actor, dict):
        return actor
    if isinstance(actor, str):
        return {"type": "system", "name": actor}
    if hasattr(actor, "audit_actor"):
        return actor.audit_actor()
    if getattr(actor, "is_authenticated", False) and getattr(actor, "is_staff", False):
        return {"type": "staff", "id": str(actor.pk), "username": actor.get_username()}
    return None


def _who_from_request(request) -> dict | None:
    who = describe(getattr(request, "user", None))
    if who is not None and who["type"] == "members":
        mode = getattr(getattr(request, "auth", None), "mode", None)
        if mode:
            who["mode"] = mode
    return who


def current_who() -> dict | None:
    actor = _actor_var.get()
    if actor is not None:
        return actor
    request = _request_var.get()
    return _who_from_request(request) if request is not None else None


@contextmanager
def acting_as(actor: Any) -> Iterator[None]:
    """Attribute the changes made inside the block to `actor` (Member, staff user, dict, str)."""
    token = _actor_var.set(describe(actor))
    try:
        yield
    finally:
        _actor_var.reset(token)


@contextmanager
def request_scope(request) -> Iterator[None]:
    token = _request_var.set(request)
    try:
        yield
    finally:
        _request_var.reset(token)
