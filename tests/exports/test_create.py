import pytest
from django_tasks_db.models import DBTaskResult

from exports.models import Export
from tests.exports.factories import ExportFactory
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def create(client, **attributes):
    return client.post("/api/exports", {"data": {"type": "exports", "attributes": attributes}})


def test_create_answers_201_pending_with_location(
    client, organization, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = create(
            client,
            resource_type="members",
            format="csv",
            includes=["teams"],
            fields=["name", "teams.*"],
            filters={"name_cont": "a"},
            dry_data=True,
            reference="ref-1",
            reference_origin="crm",
            metadata={"k": "v"},
        )
    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert response["Location"].endswith(f"/api/exports/{data['id']}")
    attributes = data["attributes"]
    assert attributes["status"] == "pending"
    assert attributes["format"] == "csv"
    assert attributes["includes"] == ["teams"]
    assert attributes["fields"] == ["name", "teams.*"]
    assert attributes["filters"] == {"name_cont": "a"}
    assert attributes["metadata"] == {"k": "v"}
    assert attributes["attachment_url"] is None
    assert data["meta"]["organization_id"] == str(organization.pk)
    export = Export.objects.get(pk=data["id"])
    assert export.organization == organization
    assert DBTaskResult.objects.filter(args_kwargs__args=[data["id"]]).exists()


def test_format_defaults_to_json(client):
    response = create(client, resource_type="teams")
    assert response.status_code == 201
    assert response.json()["data"]["attributes"]["format"] == "json"


@pytest.mark.parametrize(
    ("attributes", "pointer"),
    [
        ({}, "/data/attributes/resource_type"),
        ({"resource_type": "widgets"}, "/data/attributes/resource_type"),
        ({"resource_type": "members", "format": "xml"}, "/data/attributes/format"),
        ({"resource_type": "members", "includes": ["nope"]}, "/data/attributes/includes"),
        ({"resource_type": "members", "includes": ["teams.nope"]}, "/data/attributes/includes"),
        ({"resource_type": "members", "includes": "teams"}, "/data/attributes/includes"),
        ({"resource_type": "members", "fields": ["nope"]}, "/data/attributes/fields"),
        ({"resource_type": "members", "fields": ["teams.name"]}, "/data/attributes/fields"),
        ({"resource_type": "members", "fields": ["x*"]}, "/data/attributes/fields"),
        ({"resource_type": "members", "filters": {"nope_eq": "1"}}, "/data/attributes/filters"),
        (
            {"resource_type": "members", "filters": {"created_at_gt": "not a date"}},
            "/data/attributes/filters",
        ),
        ({"resource_type": "members", "filters": ["name_eq"]}, "/data/attributes/filters"),
        ({"resource_type": "members", "dry_data": "maybe"}, "/data/attributes/dry_data"),
        ({"resource_type": "members", "metadata": "text"}, "/data/attributes/metadata"),
        ({"resource_type": "members", "reference": "x" * 300}, "/data/attributes/reference"),
    ],
)
def test_invalid_attributes_are_422_with_pointer(client, attributes, pointer):
    response = create(client, **attributes)
    assert response.status_code == 422, response.json()
    pointers = [error["source"]["pointer"] for error in response.json()["errors"]]
    assert pointer in pointers
    assert Export.objects.count() == 0


def test_concurrent_exports_per_organization_are_limited(client, organization, settings):
    settings.SKILLPORT = {**settings.SKILLPORT, "EXPORT_MAX_CONCURRENT": 2}
    ExportFactory.create_batch(2, organization=organization)
    ExportFactory(status=Export.Status.IN_PROGRESS)  # another organization's does not count
    response = create(client, resource_type="members")
    assert response.status_code == 429
    assert response["Retry-After"]
    [error] = response.json()["errors"]
    assert "At most 2 exports" in error["detail"]


def test_max_records_refused_at_create_when_countable(client, api_key, organization, settings):
    settings.SKILLPORT = {**settings.SKILLPORT, "EXPORT_MAX_RECORDS": 3}
    MemberFactory.create_batch(3, organization=organization)  # + the key's member = 4
    response = create(client, resource_type="members")
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["source"]["pointer"] == "/data/attributes/filters"
    assert "at most 3" in error["detail"]
    narrowed = create(client, resource_type="members", filters={"email_eq": api_key.member.email})
    assert narrowed.status_code == 201


def test_wrong_type_is_409(client):
    response = client.post(
        "/api/exports", {"data": {"type": "teams", "attributes": {"resource_type": "members"}}}
    )
    assert response.status_code == 409


def test_reference_and_origin_are_null_when_not_given(client, organization):
    attributes = create(client, resource_type="teams").json()["data"]["attributes"]
    assert attributes["reference"] is None
    assert attributes["reference_origin"] is None
    given = create(client, resource_type="teams", reference="r-1", reference_origin=None)
    assert given.status_code == 201, given.json()
    assert given.json()["data"]["attributes"]["reference"] == "r-1"
    assert given.json()["data"]["attributes"]["reference_origin"] is None
    listed = client.get("/api/exports?filter[reference.null]=true").json()["data"]
    assert len(listed) == 1


def test_migration_turns_stored_empty_references_into_null(organization):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("exports.migrations.0004_export_reference_nullable")
    export = ExportFactory(organization=organization)
    Export.objects.filter(pk=export.pk).update(reference="", reference_origin="")
    kept = ExportFactory(organization=organization, reference="r", reference_origin="crm")
    migration.empty_references_to_null(apps, None)
    export.refresh_from_db()
    kept.refresh_from_db()
    assert (export.reference, export.reference_origin) == (None, None)
    assert (kept.reference, kept.reference_origin) == ("r", "crm")
