import pytest

from core.models import Mode
from tests.admin.world import Rows, populate
from tests.factories import OrganizationFactory


@pytest.fixture
def home(db) -> Rows:
    """The tenant whose rows are edited: an organization in test mode."""
    return populate(OrganizationFactory(slug="home-org"), Mode.TEST, "home")


@pytest.fixture
def home_live(home) -> Rows:
    """The same organization in live mode: a mode boundary away."""
    return populate(home.organization, Mode.LIVE, "live")


@pytest.fixture
def other(db) -> Rows:
    """Another organization (test mode): a tenancy boundary away."""
    return populate(OrganizationFactory(slug="other-org"), Mode.TEST, "other")
