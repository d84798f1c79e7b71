"""Signed, expiring download URLs for files kept through Django's storage API.

Reusable: `signed_url(name, request=request, filename="x.zip")` returns a `SignedUrl(url,
expires_at)` that needs no API key. On local storage the app serves it at
`/api/downloads/<token>` (`download` view, token from `django.core.signing`); on a storage that
presigns (S3 via django-storages) the URL is the storage's own presigned URL.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core import signing
from django.core.files.storage import FileSystemStorage, default_storage
from django.urls import reverse

from core.conf import core_conf

SALT = "skillport.downloads"


class InvalidLink(Exception):
    """The token was tampered with or is not a token."""


class ExpiredLink(Exception):
    """The token is authentic but its time is over."""


@dataclass(frozen=True)
class SignedUrl:
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class Ticket:
    name: str
    filename: str
    content_type: str
    expires_at: datetime
    link_id: str = ""  # set for `file_links`, which can be revoked before they expire


def default_expires_in() -> int:
    return int(core_conf.DOWNLOAD_URL_EXPIRES_SECONDS)


def make_token(
    name: str,
    *,
    expires_in: int | None = None,
    expires_at: datetime | None = None,
    filename: str = "",
    content_type: str = "",
    link_id: str = "",
) -> str:
    if expires_at is not None:
        expires = int(expires_at.timestamp())
    else:
        expires = int(time.time()) + (
            expires_in if expires_in is not None else default_expires_in()
        )
    payload = {"n": name, "e": expires, "f": filename, "t": content_type}
    if link_id:
        payload["l"] = link_id
    return signing.dumps(payload, salt=SALT, compress=True)


def read_token(token: str) -> Ticket:
    try:
        payload = signing.loads(token, salt=SALT)
        name, expires = payload["n"], int(payload["e"])
        if expires < time.time():
            raise ExpiredLink("The download link has expired.")
        # (an expiry the calendar cannot hold is no link this server minted)
        expires_at = datetime.fromtimestamp(expires, tz=UTC)
    except (signing.BadSignature, KeyError, TypeError, ValueError, OverflowError, OSError):
        raise InvalidLink("The download link is not valid.") from None
    return Ticket(
        name=name,
        filename=payload.get("f") or name.rsplit("/", 1)[-1],
        content_type=payload.get("t") or "application/octet-stream",
        expires_at=expires_at,
        link_id=payload.get("l", ""),
    )


def served_by_app(storage=None) -> bool:
    return isinstance(storage or default_storage, FileSystemStorage)


def signed_url(
    name: str,
    *,
    request=None,
    expires_in: int | None = None,
    expires_at: datetime | None = None,
    filename: str = "",
    content_type: str = "",
    link_id: str = "",
    storage=None,
) -> SignedUrl:
    """A fresh URL for the stored file `name`; absolute when `request` is given.

    Give `expires_in` (seconds from now) or a fixed `expires_at`; `link_id` ties the URL to a
    `file_links` row, which the download view checks so that revoking works at once.
    """
    storage = storage or default_storage
    if expires_at is None:
        seconds = expires_in if expires_in is not None else default_expires_in()
        expires_at = datetime.fromtimestamp(int(time.time()) + seconds, tz=UTC)
    else:
        seconds = max(math.ceil(expires_at.timestamp() - time.time()), 1)
    if not served_by_app(storage):
        return SignedUrl(storage.url(name, expire=seconds), expires_at)
    token = make_token(
        name,
        expires_at=expires_at,
        filename=filename,
        content_type=content_type,
        link_id=link_id,
    )
    path = reverse("downloads", kwargs={"token": token})
    return SignedUrl(request.build_absolute_uri(path) if request else path, expires_at)
