import pytest


@pytest.fixture(autouse=True)
def blob_storage(settings, tmp_path):
    """Every skills test writes blobs to its own directory."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    return tmp_path / "media"
