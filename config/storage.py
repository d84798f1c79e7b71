"""The STORAGES setting from the environment: local files, or S3 when a bucket is named."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

# Environment variable -> S3Storage option (django-storages); unset ones keep its defaults.
S3_OPTIONS = {
    "AWS_STORAGE_BUCKET_NAME": "bucket_name",
    "AWS_S3_ENDPOINT_URL": "endpoint_url",
    "AWS_S3_REGION_NAME": "region_name",
    "AWS_ACCESS_KEY_ID": "access_key",
    "AWS_SECRET_ACCESS_KEY": "secret_key",
}


def storages(environ: Mapping[str, str], media_root: Path | str) -> dict:
    """Files in `media_root`, or in the S3 bucket `AWS_STORAGE_BUCKET_NAME` when it is set."""
    if environ.get("AWS_STORAGE_BUCKET_NAME"):
        options = {
            option: environ[name] for name, option in S3_OPTIONS.items() if environ.get(name)
        }
        # Presigned download URLs; a re-run of a job overwrites its own file name.
        default = {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**options, "querystring_auth": True, "file_overwrite": True},
        }
    else:
        default = {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media_root)},
        }
    return {
        "default": default,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    }
