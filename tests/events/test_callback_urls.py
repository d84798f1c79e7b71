"""Webhook callback URLs: only globally routable addresses, checked once and connected to as
checked (no DNS rebinding window), at create/update time and again at every delivery."""

import shutil
import ssl
import subprocess

import pytest
from django.core.management import call_command

from events.models import EventCallback
from events.security import is_public_address
from tests.events.addresses import PUBLIC_NEIGHBOURS, SPECIAL_EDGES, SPECIAL_SAMPLES, url_of
from tests.events.api import patch_webhook
from tests.events.factories import WebhookFactory
from tests.events.receiver import Receiver
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

REFUSED_ADDRESSES = [
    "127.0.0.1",
    "10.1.2.3",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "::1",
    "::",
    "::127.0.0.1",  # IPv4-compatible
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b:1::808:808",  # local-use NAT64
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo
    "fe80::1",
    "fe80::1%eth0",
    "fc00::1",
    "ff02::1",
    "2001:db8::1",  # documentation
    "not an address",
]
PUBLIC_ADDRESSES = ["93.184.216.34", "2606:4700::1111", "::ffff:93.184.216.34", "64:ff9b::808:808"]


@pytest.mark.parametrize("address", REFUSED_ADDRESSES + SPECIAL_EDGES)
def test_addresses_that_are_not_globally_routable_are_refused(address):
    assert not is_public_address(address)


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES + PUBLIC_NEIGHBOURS)
def test_globally_routable_addresses_are_accepted(address):
    assert is_public_address(address)


class Resolver:
    """Answers host names from a script of answers (the last one repeats), counting calls."""

    def __init__(self, *answers: list[str]):
        self.answers = list(answers)
        self.calls: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@pytest.fixture
def resolver(settings):
    def install(*answers: list[str]) -> Resolver:
        fake = Resolver(*answers)
        settings.SKILLPORT_WEBHOOKS = {
            **settings.SKILLPORT_WEBHOOKS,
            "RESOLVER": fake,
            "BACKOFF_BASE": 0,
            "TIMEOUT": 5,
        }
        return fake

    return install


@pytest.fixture
def private_refused(settings):
    settings.SKILLPORT_WEBHOOKS_ALLOW_PRIVATE = False


def sweep() -> None:
    call_command("deliver_webhooks", stdout=open("/dev/null", "w"))  # noqa: SIM115


def create(client, url: str):
    return client.post(
        "/api/webhooks",
        {
            "data": {
                "type": "webhooks",
                "attributes": {"name": "CI", "topic": "teams.update", "callback_url": url},
            }
        },
    )


def deliver_once(organization, url: str, receiver: Receiver | None = None) -> tuple[Receiver, int]:
    """Start a loopback receiver, store a webhook at `url` (`{port}`: the receiver's), change a
    team and sweep once; the receiver (stopped) keeps what it heard."""
    receiver = (receiver or Receiver()).start()
    try:
        port = int(receiver.url.split(":")[2].split("/")[0])
        WebhookFactory(organization=organization, callback_url=url.format(port=port))
        team = TeamFactory(organization=organization)
        team.name = "renamed"
        team.save()
        sweep()
    finally:
        receiver.stop()
    return receiver, port


def pointers(response) -> list[str]:
    return [error["source"]["pointer"] for error in response.json()["errors"]]


@pytest.mark.usefixtures("private_refused")
def test_a_name_with_one_private_address_among_public_ones_is_refused(client, resolver):
    resolver(["93.184.216.34", "::ffff:127.0.0.1"])
    response = create(client, "https://hooks.example.test/in")
    assert response.status_code == 422
    assert pointers(response) == ["/data/attributes/callback_url"]


REFUSAL = "resolves to a loopback, private, link-local or reserved address"


@pytest.mark.usefixtures("private_refused")
@pytest.mark.parametrize("address", SPECIAL_SAMPLES)
def test_special_purpose_addresses_are_refused_at_creation(client, resolver, address):
    """Written as the URL's host, or answered by DNS for a name: a 422 saying why."""
    fake = resolver([address])
    for url in (url_of(address), "http://hooks.example.test:8399/"):
        response = create(client, url)
        assert response.status_code == 422, response.content
        [error] = response.json()["errors"]
        assert error["source"] == {"pointer": "/data/attributes/callback_url"}
        assert REFUSAL in error["detail"]
    assert fake.calls == [("hooks.example.test", 8399)]
    assert not EventCallback.objects.exists()


@pytest.mark.usefixtures("private_refused")
@pytest.mark.parametrize("address", SPECIAL_SAMPLES)
def test_special_purpose_addresses_are_refused_at_delivery(organization, resolver, address):
    """A webhook whose name DNS now answers with a special-purpose address: the delivery is
    refused by the check, before any connection (the receiver on loopback hears nothing)."""
    fake = resolver([address])
    receiver, port = deliver_once(organization, "http://hooks.example.test:{port}/")
    assert receiver.requests == []
    assert fake.calls == [("hooks.example.test", port)]
    [callback] = EventCallback.objects.all()
    assert callback.response_code is None
    assert REFUSAL in callback.response_message


@pytest.mark.usefixtures("private_refused")
def test_a_name_resolving_to_public_addresses_is_accepted(client, resolver):
    fake = resolver(["93.184.216.34", "2606:4700::1111"])
    assert create(client, "https://hooks.example.test/in").status_code == 201
    assert fake.calls == [("hooks.example.test", 443)]


@pytest.mark.usefixtures("private_refused")
@pytest.mark.parametrize("url", ["http://93.184.216.34:0/", "http://[64:ff9b::7f00:1]/"])
def test_patch_refuses_them_too(client, organization, url):
    webhook = WebhookFactory(organization=organization)
    response = patch_webhook(client, webhook, callback_url=url)
    assert response.status_code == 422
    assert pointers(response) == ["/data/attributes/callback_url"]


@pytest.mark.usefixtures("private_refused")
@pytest.mark.parametrize(
    "url",
    [
        "http://[64:ff9b::7f00:1]:{port}/",
        "http://[2002:7f00:1::]:{port}/",
        "http://[::127.0.0.1]:{port}/",
    ],
)
def test_delivery_refuses_embedded_private_addresses(organization, resolver, url):
    """A webhook stored before these checks existed is refused when it would be delivered."""
    fake = resolver(["127.0.0.1"])
    receiver, _port = deliver_once(organization, url)
    assert receiver.requests == []
    assert fake.calls == []  # an address literal is checked as written, never resolved
    [callback] = EventCallback.objects.all()
    assert callback.response_code is None
    assert "private" in callback.response_message


@pytest.mark.usefixtures("private_refused")
def test_delivery_refuses_a_name_that_now_resolves_to_a_private_address(organization, resolver):
    webhook = WebhookFactory(organization=organization, callback_url="https://hooks.example.test/")
    fake = resolver(["127.0.0.1"])
    team = TeamFactory(organization=organization)
    team.name = "renamed"
    team.save()
    sweep()
    [callback] = EventCallback.objects.all()
    assert "private" in callback.response_message
    assert fake.calls == [("hooks.example.test", 443)]
    webhook.refresh_from_db()
    assert webhook.circuit_failure_count == 1


def test_delivery_connects_to_the_address_it_resolved_once(organization, resolver, receiver):
    """DNS answers the loopback receiver first and another address afterwards (a rebinding
    attempt): the delivery resolves once and connects to that answer, with the URL's Host."""
    port = int(receiver.url.split(":")[2].split("/")[0])
    fake = resolver(["127.0.0.1"], ["127.0.0.2"])
    WebhookFactory(organization=organization, callback_url=f"http://hooks.example.test:{port}/in")
    team = TeamFactory(organization=organization)
    team.name = "renamed"
    team.save()
    sweep()
    [request] = receiver.requests
    assert request.headers["Host"] == f"hooks.example.test:{port}"
    assert fake.calls == [("hooks.example.test", port)]
    [callback] = EventCallback.objects.all()
    assert callback.response_code == 200


def test_a_redirect_is_a_failed_delivery_not_a_hop(organization, resolver, receiver):
    receiver.statuses = [302]
    resolver(["127.0.0.1"])
    WebhookFactory(organization=organization, callback_url=receiver.url)
    team = TeamFactory(organization=organization)
    team.name = "renamed"
    team.save()
    sweep()
    assert len(receiver.requests) == 1
    [callback] = EventCallback.objects.all()
    assert callback.response_code == 302


def self_signed(tmp_path, name: str) -> tuple[str, str]:
    """A self-signed certificate (and its key) for `name`, made by the openssl command."""
    cert, key = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    command = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    command += ["-keyout", str(key), "-out", str(cert), "-subj", f"/CN={name}"]
    command += ["-addext", f"subjectAltName=DNS:{name}"]
    subprocess.run(
        command,
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
@pytest.mark.parametrize(
    ("certified", "delivered"), [("hooks.example.test", True), ("evil.test", False)]
)
def test_https_goes_to_the_pinned_address_and_verifies_the_urls_host(
    organization, resolver, allow_private, tmp_path, monkeypatch, certified, delivered
):
    cert, key = self_signed(tmp_path, certified)
    monkeypatch.setenv("SSL_CERT_FILE", cert)  # the only trusted authority: that certificate
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    resolver(["127.0.0.1"])
    receiver, port = deliver_once(
        organization, "https://hooks.example.test:{port}/in", Receiver(tls=server_context)
    )
    [callback] = EventCallback.objects.all()
    if delivered:
        assert callback.response_code == 200
        assert receiver.requests[0].headers["Host"] == f"hooks.example.test:{port}"
    else:
        assert callback.response_code is None
        assert "certificate" in callback.response_message.lower()
        assert receiver.requests == []
