import io
import zipfile

from tests.conftest import JsonApiClient


def create_skill_export(client, target: str, relationship: str, resource_type: str, pk) -> dict:
    response = client.post(
        "/api/skill_exports",
        {
            "data": {
                "type": "skill_exports",
                "attributes": {"target": target},
                "relationships": {relationship: {"data": {"type": resource_type, "id": str(pk)}}},
            }
        },
    )
    assert response.status_code == 201, response.json()
    return response.json()["data"]


def completed_export(client, run_worker, target, relationship, resource_type, pk) -> dict:
    created = create_skill_export(client, target, relationship, resource_type, pk)
    run_worker()
    body = client.get(f"/api/skill_exports/{created['id']}?include=file,file_link").json()
    assert body["data"]["attributes"]["status"] == "completed", body["data"]["attributes"]
    return body


def download(url: str) -> bytes:
    """Fetch a signed URL with no API key, as an agent installing the zip would."""
    response = JsonApiClient().get(url)
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content)


def zip_entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def included(body: dict, type_name: str) -> dict:
    [item] = [item for item in body["included"] if item["type"] == type_name]
    return item
