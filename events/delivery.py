"""Building and sending one webhook request (Standard Webhooks signing, JSON:API payload)."""

import http.client
import json
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from urllib.parse import urlencode, urlsplit

from django.db import transaction
from django.http import HttpRequest, QueryDict
from django.urls import NoReverseMatch, resolve, reverse
from django.utils import timezone
from standardwebhooks import Webhook as Signer

from events.conf import events_conf
from events.models import Event, WebhookDelivery
from events.security import CallbackTarget, UnsafeCallbackUrl, pin_callback_url

MESSAGE_LIMIT = 2000


class _InternalRequest(HttpRequest):
    """A GET that never crossed the network, built to render a resource as the API would."""

    def __init__(self, url: str, path: str, query: dict[str, str]):
        super().__init__()
        base = urlsplit(url)
        self.method = "GET"
        self.path = self.path_info = path
        self._scheme = base.scheme or "http"
        self.META = {
            "HTTP_HOST": base.netloc,
            "SERVER_NAME": base.hostname or "localhost",
            "SERVER_PORT": str(base.port or (443 if self._scheme == "https" else 80)),
            "HTTP_ACCEPT": "application/vnd.api+json",
            "QUERY_STRING": urlencode(query),
            "REQUEST_METHOD": "GET",
        }
        self.GET = QueryDict(self.META["QUERY_STRING"])

    def _get_scheme(self) -> str:
        return self._scheme


def _event_meta(event: Event) -> dict:
    store = event.event_store
    return {
        "id": str(event.pk),
        "name": event.name,
        "created_at": event.created_at.isoformat(),
        "changes": store.changes,
        "who": store.who,
    }


def subject_document(event: Event, include: list[str]) -> dict:
    """The subject as `GET /api/<type>/<id>?include=...` answers it now, plus `meta.event`.

    A subject that no longer exists (a destroy event) is described from its last values.
    """
    document = None
    try:
        path = reverse(f"{event.resource_type}-detail", kwargs={"pk": event.resource_id})
    except NoReverseMatch:
        path = None
    if path is not None and event.event_store.event != "destroy":
        query = {"include": ",".join(include)} if include else {}
        request = _InternalRequest(events_conf.PUBLIC_URL, path, query)
        request.request_id = str(event.pk)
        request._force_auth_user = SimpleNamespace(is_authenticated=True, pk=None)
        # Rendered as a key of the event's own tenant would see it (and nothing of another).
        request._force_auth_token = SimpleNamespace(
            organization=event.organization,
            mode=event.mode,
            tenant=event.tenant,
            pk=None,
            rate_limit=None,
        )
        match = resolve(path)
        with transaction.atomic():  # a savepoint: an error answer must not doom the caller's
            response = match.func(request, *match.args, **match.kwargs)
        if response.status_code == 200:
            response.render()
            document = json.loads(response.content)
    if document is None:
        last_values = {name: pair[0] for name, pair in event.event_store.changes.items()}
        document = {
            "data": {
                "type": event.resource_type,
                "id": event.resource_id,
                "attributes": last_values,
            }
        }
    document["meta"] = {**document.get("meta", {}), "event": _event_meta(event)}
    return document


@dataclass
class Outcome:
    ok: bool
    response_code: int | None
    response_message: str


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address; the Host header still names the URL's host."""

    def __init__(self, target: CallbackTarget, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self.address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the checked address, verifying the certificate against the URL's host name."""

    def __init__(self, target: CallbackTarget, timeout: float):
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self.address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def sign(secret: str, message_id: str, timestamp: datetime, body: str) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": Signer(secret).sign(message_id, timestamp, body),
    }


def send(delivery: WebhookDelivery) -> Outcome:
    """POST the delivery's payload to its webhook; never raises for network problems."""
    webhook = delivery.webhook
    try:
        # Checked again (DNS may have changed since creation), then connected to as checked.
        target = pin_callback_url(webhook.callback_url)
    except UnsafeCallbackUrl as error:
        return Outcome(False, None, str(error))
    body = delivery.body
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Skillport-Webhooks/1",
        **sign(webhook.shared_secret, str(delivery.pk), timezone.now(), body),
    }
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, timeout=float(events_conf.TIMEOUT))
    try:
        # http.client never follows redirects: a 3xx is a failed delivery, never a hop.
        connection.request(
            "POST",
            target.path,
            body=body.encode(),
            # Title-cased on the wire, as urllib sent them (receivers may compare exactly).
            headers={name.title(): value for name, value in headers.items()},
        )
        response = connection.getresponse()
        text = response.read(MESSAGE_LIMIT).decode(errors="replace")
        return Outcome(200 <= response.status < 300, response.status, text or response.reason)
    except (OSError, http.client.HTTPException, ValueError) as error:
        return Outcome(False, None, f"{type(error).__name__}: {error}"[:MESSAGE_LIMIT])
    finally:
        connection.close()
