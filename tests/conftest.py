import pytest
from django_tasks_db.management.commands.db_worker import Worker
from rest_framework.test import APIClient

from tests.factories import ApiKeyFactory

JSON_API = "application/vnd.api+json"


class JsonApiClient(APIClient):
    """Speaks JSON:API by default and authenticates with the given key."""

    def __init__(self, api_key=None, **kwargs):
        super().__init__(**kwargs)
        self.api_key = api_key
        if api_key is not None:
            self.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key.raw_key}")

    def generic(self, method, path, data="", content_type=JSON_API, secure=False, **extra):
        extra.setdefault("HTTP_ACCEPT", JSON_API)
        return super().generic(method, path, data, content_type, secure=secure, **extra)

    def _write(self, method, path, data, format, content_type, **extra):
        if content_type is None and format is None:
            format = "vnd.api+json"
        write = getattr(super(), method)
        return write(path, data, format=format, content_type=content_type, **extra)

    def post(self, path, data=None, format=None, content_type=None, **extra):
        return self._write("post", path, data, format, content_type, **extra)

    def patch(self, path, data=None, format=None, content_type=None, **extra):
        return self._write("patch", path, data, format, content_type, **extra)


@pytest.fixture
def api_key(db):
    return ApiKeyFactory()


@pytest.fixture
def organization(api_key):
    return api_key.organization


@pytest.fixture
def client(api_key):
    return JsonApiClient(api_key)


@pytest.fixture
def other_api_key(db):
    return ApiKeyFactory()


@pytest.fixture
def other_client(other_api_key):
    return JsonApiClient(other_api_key)


@pytest.fixture
def anonymous_client(db):
    return JsonApiClient()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Each test stores its files in its own directory (shared with worker processes)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    return tmp_path / "media"


def run_queued_tasks(worker_id: str = "test-worker") -> None:
    """Run every queued task with the real django-tasks-db worker, in this process."""
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    ).run()


@pytest.fixture
def run_worker():
    """`run_queued_tasks`, for tests that take it as a fixture."""
    return run_queued_tasks
