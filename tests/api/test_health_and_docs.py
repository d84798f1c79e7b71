import pytest

pytestmark = pytest.mark.django_db


def test_health_needs_no_key_and_reports_each_part(anonymous_client):
    response = anonymous_client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "storage": "ok",
        "task_queue": "ok",
    }
    assert body["checks"]["task_queue"]["ready"] == 0


def test_health_reports_a_broken_storage_as_503(anonymous_client, settings, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocker)},
        },
    }
    response = anonymous_client.get("/health")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"]["status"] == "error"


def test_openapi_document_lists_resources_and_filters(anonymous_client):
    response = anonymous_client.get("/api/openapi.json", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert "/api/members" in document["paths"]
    parameters = {p["name"] for p in document["paths"]["/api/members"]["get"]["parameters"]}
    assert {"page[number]", "page[after]", "sort", "include", "filter[q][email_cont]"} <= parameters
    assert {"BearerKey", "ApiKeyHeader"} <= set(document["components"]["securitySchemes"])


def test_docs_page_is_served(anonymous_client):
    response = anonymous_client.get("/api/docs", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    # The Swagger UI setup is a same-origin script (no inline script, for the CSP).
    assert b'<script src="/api/docs?script="></script>' in response.content
    setup = anonymous_client.get("/api/docs?script=", HTTP_ACCEPT="*/*")
    assert setup.status_code == 200
    assert b"openapi.json" in setup.content


def test_openapi_document_states_the_pagination_bounds(anonymous_client):
    document = anonymous_client.get("/api/openapi.json", HTTP_ACCEPT="application/json").json()
    parameters = {p["name"]: p for p in document["paths"]["/api/members"]["get"]["parameters"]}
    assert parameters["page[number]"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 2147483647,
    }
    assert parameters["page[size]"]["schema"]["maximum"] == 100
