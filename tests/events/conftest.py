import pytest
from django.test import override_settings

from events import registry
from tests.events.receiver import Receiver


@pytest.fixture
def allow_private(settings):
    settings.SKILLPORT_WEBHOOKS_ALLOW_PRIVATE = True


@pytest.fixture
def receiver(allow_private):
    running = Receiver().start()
    yield running
    running.stop()


@pytest.fixture
def no_backoff():
    """Retries are due at once, so a test can drive attempts one sweep at a time."""
    settings = {"BACKOFF_BASE": 0, "CIRCUIT_THRESHOLD": 3, "TIMEOUT": 5}
    with override_settings(SKILLPORT_WEBHOOKS=settings):
        yield settings


@pytest.fixture
def status_topic():
    """A status topic of teams, as `track(..., topics=("archived",))` would declare it."""
    registry.register_topic("teams.archived")
    yield "teams.archived"
    registry._topics.discard("teams.archived")
