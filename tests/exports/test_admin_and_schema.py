import pytest

from exports.models import Export
from tests.exports.factories import ExportFactory
from tests.exports.test_registry import EXPORTABLE_TYPES

pytestmark = pytest.mark.django_db


def test_admin_lists_exports_by_status(admin_client):
    ExportFactory(status=Export.Status.INTERRUPTED, errors_log={"RuntimeError": "query timeout"})
    response = admin_client.get("/admin/exports/export/?status__exact=interrupted")
    assert response.status_code == 200
    assert b"interrupted" in response.content


def test_admin_detail_shows_errors_log_and_download_link(admin_client):
    export = ExportFactory(
        status=Export.Status.COMPLETED, attachment="exports/x/y.json.gz", errors_log=None
    )
    response = admin_client.get(f"/admin/exports/export/{export.pk}/change/")
    assert response.status_code == 200
    assert b"/api/downloads/" in response.content


def test_admin_retry_and_interrupt_actions(admin_client, django_capture_on_commit_callbacks):
    interrupted = ExportFactory(
        status=Export.Status.INTERRUPTED, errors_log={"RuntimeError": "query timeout"}
    )
    running = ExportFactory(status=Export.Status.IN_PROGRESS, lease_owner="w")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = admin_client.post(
            "/admin/exports/export/",
            {"action": "retry", "_selected_action": [interrupted.pk, running.pk]},
        )
    assert response.status_code == 302
    assert len(callbacks) == 1  # only the interrupted one is queued again
    interrupted.refresh_from_db()
    assert interrupted.status == "pending" and interrupted.errors_log is None
    admin_client.post(
        "/admin/exports/export/", {"action": "interrupt", "_selected_action": [running.pk]}
    )
    running.refresh_from_db()
    assert running.status == "interrupted"
    assert running.errors_log == {"Interrupted": "Interrupted by an administrator."}
    assert running.lease_owner == ""


def test_openapi_documents_exports(client):
    response = client.get("/api/openapi.json", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert "/api/exports" in schema["paths"]
    attributes = schema["components"]["schemas"]["Export"]["properties"]["attributes"]
    assert attributes["properties"]["resource_type"]["enum"] == EXPORTABLE_TYPES
