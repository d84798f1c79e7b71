"""Idempotent creates: a POST sent again with the same `Idempotency-Key` replays its first outcome.

One mechanism for every creating endpoint: `IdempotentCreateMixin`, part of the base views
(api/views.py) and of the zip upload view. Semantics (Stripe's):

- same key and same request (method, path, query string, sha256 of the raw body) within
  `SKILLPORT["IDEMPOTENCY_KEY_TTL_SECONDS"]` -> the stored status, document, `Content-Type`
  and `Location`, with `Idempotent-Replayed: true`; the handler does not run again;
- same key, another request -> 422 `idempotency_key_reused`;
- same key while the first request runs -> the second waits for it (the key's row is inserted in
  the first request's transaction, and the unique constraint holds the second insert until that
  commits), then replays; on PostgreSQL it waits at most `IDEMPOTENCY_WAIT_SECONDS`, then 409
  `idempotency_key_in_use`;
- stored: the outcome of every request whose handler ran, errors included (a 422 is replayed as
  a 422), except 5xx and 429: their transaction rolled back or nothing was done, and a retry
  with the same key may succeed. Requests refused before the handler (a malformed key or body:
  400, 409, 413, 415; 401, 403, 406; the rate limit's 429) store nothing either.
"""

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.db import IntegrityError, OperationalError, connection, transaction
from django.http import HttpResponse
from django.utils import timezone

from api.conf import api_conf
from api.exceptions import HeaderError
from core.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# 1-255 printable ASCII characters (space included), as Stripe accepts.
VALID_KEY = re.compile(r"[\x20-\x7e]{1,255}")
KEPT_HEADERS = ("Content-Type", "Location")
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout expires


class Replay(Exception):
    """Raised before the handler runs: answer with the stored response instead."""

    def __init__(self, response: HttpResponse):
        super().__init__("replay")
        self.response = response


def expiry_cutoff(now: datetime | None = None) -> datetime:
    ttl = api_conf.IDEMPOTENCY_KEY_TTL_SECONDS
    return (now or timezone.now()) - timedelta(seconds=ttl)


def purge_expired(now: datetime | None = None) -> int:
    """Delete keys older than the TTL (the scheduler's `idempotency_keys` job)."""
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=expiry_cutoff(now)).delete()
    return deleted


def _key_from(request) -> str | None:
    raw = request.META.get("HTTP_IDEMPOTENCY_KEY")
    if raw is None:
        return None
    if not VALID_KEY.fullmatch(raw):
        raise HeaderError(
            HEADER,
            "Idempotency-Key must be 1 to 255 printable ASCII characters.",
            "invalid_idempotency_key",
            400,
        )
    return raw


class _HashingStream:
    """Hashes the request body as the parser reads it, so bodies are never held twice."""

    def __init__(self, stream):
        self._stream = stream
        self.digest = hashlib.sha256()

    def read(self, *args, **kwargs) -> bytes:
        chunk = self._stream.read(*args, **kwargs)
        self.digest.update(chunk)
        return chunk

    def readline(self, *args, **kwargs) -> bytes:
        line = self._stream.readline(*args, **kwargs)
        self.digest.update(line)
        return line

    def __getattr__(self, name: str):  # close() and the rest, as the wrapped stream
        return getattr(self._stream, name)


def _body_digest(request) -> str:
    django_request = request._request
    if hasattr(django_request, "_body"):  # already read whole
        return hashlib.sha256(django_request._body).hexdigest()
    stream = _HashingStream(django_request._stream)
    django_request._stream = stream
    request.data  # noqa: B018 -- the parser reads the body through the hashing stream
    if hasattr(django_request, "_body"):  # read whole by DRF's own parsers (`request.body`)
        return hashlib.sha256(django_request._body).hexdigest()
    while stream.read(64 * 1024):  # whatever the parser left unread
        pass
    return stream.digest.hexdigest()


def _fingerprint(request) -> str:
    parts = (request.method, request.path, request.META.get("QUERY_STRING", ""))
    text = "\n".join((*parts, _body_digest(request)))
    return hashlib.sha256(text.encode("utf-8", "backslashreplace")).hexdigest()


@contextmanager
def _bounded_lock_wait() -> Iterator[None]:
    """On PostgreSQL, wait at most IDEMPOTENCY_WAIT_SECONDS for a concurrent holder of the key."""
    if connection.vendor != "postgresql":
        yield  # SQLite runs one write transaction at a time (BEGIN IMMEDIATE)
        return
    milliseconds = max(1, int(api_conf.IDEMPOTENCY_WAIT_SECONDS * 1000))
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{milliseconds}ms"])
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout TO DEFAULT")


def _in_use() -> HeaderError:
    return HeaderError(
        HEADER,
        "A request with this Idempotency-Key is still being processed; retry later.",
        "idempotency_key_in_use",
        409,
    )


def reserve(request) -> IdempotencyKey | None:
    """Claim the request's key in its transaction, or raise Replay / a HeaderError."""
    key = _key_from(request)
    if key is None:
        return None
    scope = {
        "organization_id": request.auth.organization_id,
        "mode": request.auth.mode,
        "key": key,
    }
    fingerprint = _fingerprint(request)
    record = IdempotencyKey(
        **scope,
        fingerprint=fingerprint,
        request_method=request.method,
        request_path=request.get_full_path(),
    )
    try:
        with transaction.atomic(), _bounded_lock_wait():
            # An expired key that the scheduler has not purged yet is a new key.
            IdempotencyKey.objects.filter(**scope, created_at__lt=expiry_cutoff()).delete()
            record.save(force_insert=True)
        return record
    except IntegrityError:
        pass  # the key was committed by an earlier request (we may have waited for it)
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        raise _in_use() from None
    stored = IdempotencyKey.objects.filter(**scope).first()
    if stored is None or stored.status_code is None:
        raise _in_use()
    if stored.fingerprint != fingerprint:
        raise HeaderError(
            HEADER,
            f"This Idempotency-Key was first used for a different request "
            f"({stored.request_method} {stored.request_path}, or the same with another body); "
            "a new request needs a new key.",
            "idempotency_key_reused",
            422,
        )
    raise Replay(_replay(stored))


def _replay(record: IdempotencyKey) -> HttpResponse:
    headers = record.response_headers
    response = HttpResponse(
        bytes(record.response_body),
        status=record.status_code,
        content_type=headers.get("Content-Type"),
    )
    if "Location" in headers:
        response["Location"] = headers["Location"]
    response[REPLAYED_HEADER] = "true"
    return response


def is_stored(status_code: int) -> bool:
    return status_code < 500 and status_code != 429


def _fill(record: IdempotencyKey, response) -> None:
    if hasattr(response, "render") and not response.is_rendered:
        response.render()
    record.status_code = response.status_code
    record.response_body = response.content
    record.response_headers = {
        name: response[name] for name in KEPT_HEADERS if response.has_header(name)
    }


def complete(record: IdempotencyKey, response) -> None:
    """Store the outcome in the request's transaction: it commits with what it describes."""
    _fill(record, response)
    record.save(update_fields=["status_code", "response_body", "response_headers"])


def complete_after_rollback(record: IdempotencyKey, response) -> None:
    """The request's transaction (and the reservation) rolled back: store the error anew."""
    _fill(record, response)
    record.pk = None
    record._state.adding = True
    try:
        with transaction.atomic(), _bounded_lock_wait():
            record.save(force_insert=True)
    except IntegrityError:
        pass  # a concurrent request with this key took it over once we rolled back
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise  # (a lock timeout: that request still runs and will store its own outcome)


class IdempotentCreateMixin:
    # For DRF views: `Idempotency-Key` on POST. It opens the request's transaction itself:
    # ATOMIC_REQUESTS is switched off for these views (as_view) and dispatch opens the same
    # transaction, so that an error outcome can be stored after its rollback. (A comment, not
    # a docstring: drf-spectacular would publish it as every operation's description.)

    idempotency_record: IdempotencyKey | None = None

    @classmethod
    def as_view(cls, *args, **kwargs):
        return transaction.non_atomic_requests(super().as_view(*args, **kwargs))

    def dispatch(self, request, *args, **kwargs):
        self.idempotency_record = None
        with transaction.atomic():
            response = super().dispatch(request, *args, **kwargs)
            record = self.idempotency_record
            stored = record is not None and is_stored(response.status_code)
            if stored and not transaction.get_rollback():
                complete(record, response)
                stored = False
        if stored:
            complete_after_rollback(record, response)
        return response

    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)  # authentication first: keys are per tenant
        if request.method == "POST" and self._handles_post():
            self.idempotency_record = reserve(request)

    def _handles_post(self) -> bool:
        return "post" in self.http_method_names and hasattr(self, "post")

    def handle_exception(self, exc):
        if isinstance(exc, Replay):
            return exc.response
        return super().handle_exception(exc)
