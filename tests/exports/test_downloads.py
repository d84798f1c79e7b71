"""Signed attachment URLs: no API key needed, fresh on each read, expiring, tamper-proof."""

import gzip
import time
from urllib.parse import parse_qs, urlparse

import pytest
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from storages.backends.s3 import S3Storage

from core.signing import SALT, make_token, signed_url
from exports.models import Export
from tests.conftest import JsonApiClient
from tests.exports.factories import ExportFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def completed(organization):
    name = default_storage.save(
        f"exports/{organization.pk}/x.json.gz", ContentFile(gzip.compress(b"[]"))
    )
    return ExportFactory(organization=organization, status=Export.Status.COMPLETED, attachment=name)


def test_attachment_url_downloads_without_api_key(client, completed):
    url = client.get(f"/api/exports/{completed.pk}").json()["data"]["attributes"]["attachment_url"]
    assert url.startswith("http://testserver/api/downloads/")
    response = JsonApiClient().get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/gzip"
    assert f"members-{completed.pk}.json.gz" in response["Content-Disposition"]
    assert gzip.decompress(b"".join(response.streaming_content)) == b"[]"


def test_a_fresh_url_is_minted_on_each_read(client, completed, settings):
    first = client.get(f"/api/exports/{completed.pk}").json()["data"]["attributes"]
    settings.SKILLPORT = {**settings.SKILLPORT, "DOWNLOAD_URL_EXPIRES_SECONDS": 60}
    second = client.get(f"/api/exports/{completed.pk}").json()["data"]["attributes"]
    assert first["attachment_url"] != second["attachment_url"]


def test_expired_link_is_refused(completed):
    token = make_token(completed.attachment, expires_in=-1)
    response = JsonApiClient().get(f"/api/downloads/{token}")
    assert response.status_code == 410
    [error] = response.json()["errors"]
    assert error["code"] == "link_expired"


@pytest.mark.parametrize("tamper", ["flip", "other_name", "garbage"])
def test_tampered_link_is_refused(completed, tamper):
    token = make_token(completed.attachment)
    if tamper == "flip":
        token = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    elif tamper == "other_name":
        other = make_token("exports/other/secret.json.gz")
        token = other.split(":")[0] + ":" + ":".join(token.split(":")[1:])
    else:
        token = "not-a-token"
    response = JsonApiClient().get(f"/api/downloads/{token}")
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "invalid_signature"


def test_link_to_deleted_file_is_404(completed):
    url = signed_url(completed.attachment).url
    default_storage.delete(completed.attachment)
    response = JsonApiClient().get(url)
    assert response.status_code == 404
    assert response.json()["errors"][0]["status"] == "404"


def test_s3_storage_gives_its_own_presigned_url():
    # Presigning is computed locally by boto3: no bucket or network needed.
    storage = S3Storage(
        bucket_name="skillport-exports",
        access_key="AKIAEXAMPLE",
        secret_key="example-secret",
        region_name="us-east-1",
        querystring_auth=True,
    )
    before = int(time.time())
    result = signed_url("exports/a.csv.gz", expires_in=120, storage=storage)
    query = parse_qs(urlparse(result.url).query)
    assert "skillport-exports" in result.url and "/exports/a.csv.gz?" in result.url
    assert query["AWSAccessKeyId"] == ["AKIAEXAMPLE"] and query["Signature"]
    assert before + 120 <= int(query["Expires"][0]) <= before + 122


@pytest.mark.parametrize("expires", [2**40, 2**70])
def test_a_signed_link_with_an_expiry_beyond_the_calendar_is_refused(completed, expires):
    # Before: the signature was valid, then datetime.fromtimestamp() raised: a 500.
    payload = {"n": completed.attachment, "e": expires, "f": "", "t": ""}
    token = signing.dumps(payload, salt=SALT, compress=True)
    response = JsonApiClient().get(f"/api/downloads/{token}")
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "invalid_signature"


@pytest.mark.parametrize("name", ["exports", "exports/", "", ".", "../outside.txt"])
def test_a_signed_link_to_a_folder_or_no_file_is_a_json_404(completed, media_root, name):
    (media_root.parent / "outside.txt").write_text("not served")
    response = JsonApiClient().get(f"/api/downloads/{make_token(name)}")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/vnd.api+json")
    assert response.json()["errors"][0]["code"] == "not_found"
