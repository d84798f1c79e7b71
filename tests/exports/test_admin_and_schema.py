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


SPEC = ("resource_type", "format", "includes", "fields", "filters", "dry_data")


@pytest.mark.parametrize(
    ("status", "started"),
    [
        (Export.Status.IN_PROGRESS, True),
        (Export.Status.COMPLETED, True),
        (Export.Status.INTERRUPTED, True),
        (Export.Status.INTERRUPTED, False),  # interrupted before it started
    ],
)
def test_admin_spec_is_read_only_once_the_export_has_started(admin_client, status, started):
    from django.utils import timezone

    export = ExportFactory(
        status=status,
        started_at=timezone.now() if started else None,
        includes=["teams"],
        filters={"name_cont": "a"},
    )
    url = f"/admin/exports/export/{export.pk}/change/"
    page = admin_client.get(url).content.decode()
    for name in SPEC:
        assert f'name="{name}"' not in page, name  # shown, not an input
    response = admin_client.post(
        url,
        {
            "organization": export.organization_id,
            "mode": export.mode,
            "resource_type": "teams",
            "format": "csv",
            "includes": "[]",
            "fields": '["name"]',
            "filters": "{}",
            "dry_data": "on",
            "reference": "edited",
            "metadata": "{}",
        },
    )
    assert response.status_code == 302
    export.refresh_from_db()
    assert (export.resource_type, export.format, export.includes) == ("members", "json", ["teams"])
    assert (export.fields, export.filters, export.dry_data) == ([], {"name_cont": "a"}, False)
    assert export.reference == "edited"  # bookkeeping stays editable


def test_admin_spec_is_editable_while_pending(admin_client):
    export = ExportFactory()
    page = admin_client.get(f"/admin/exports/export/{export.pk}/change/").content.decode()
    for name in SPEC:
        assert f'name="{name}"' in page, name
