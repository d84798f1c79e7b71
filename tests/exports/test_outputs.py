"""Exports run by the real django-tasks-db worker; files compared to the list endpoint."""

import pytest

from exports.models import Export
from tests.exports.conftest import list_all, read_export_file
from tests.factories import MemberFactory, TeamFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def members(organization):
    teams = TeamFactory.create_batch(3, organization=organization)
    created = []
    for index in range(120):
        member = MemberFactory(
            organization=organization,
            name=f"{'alpha' if index % 3 else 'beta'} {index}",
            member_type="service" if index % 5 == 0 else "user",
        )
        member.teams.set(teams[: index % 4])
        created.append(member)
    MemberFactory.create_batch(5, name="alpha elsewhere")  # another organization
    return created


def export(client, run_worker, **attributes) -> dict:
    response = client.post("/api/exports", {"data": {"type": "exports", "attributes": attributes}})
    assert response.status_code == 201, response.json()
    run_worker()
    response = client.get(f"/api/exports/{response.json()['data']['id']}")
    assert response.status_code == 200
    return response.json()["data"]


@pytest.mark.parametrize("file_format", ["json", "csv"])
def test_file_matches_list_endpoint_for_same_filters(
    client, run_worker, members, settings, file_format
):
    settings.SKILLPORT = {**settings.SKILLPORT, "EXPORT_CHUNK_SIZE": 7}
    filters = {"name_cont": "alpha", "member_type_in": "user,service"}
    data = export(client, run_worker, resource_type="members", format=file_format, filters=filters)
    attributes = data["attributes"]
    assert attributes["status"] == "completed", attributes["errors_log"]
    assert attributes["started_at"] and attributes["completed_at"]
    listed = list_all(
        client, "/api/members", "filter[q][name_cont]=alpha&filter[member_type.in]=user,service"
    )
    rows = read_export_file(client, data)
    assert attributes["records_count"] == len(listed) == len(rows) == 80
    assert attributes["records_exported"] == 80
    ids = [row["id"] for row in rows]
    assert len(set(ids)) == len(ids)  # no duplicates
    assert set(ids) == {item["id"] for item in listed}  # no gaps
    by_id = {item["id"]: item["attributes"] for item in listed}
    for row in rows:
        listed_attributes = by_id[row["id"]]
        for name in ("name", "email", "member_type", "created_at", "updated_at"):
            assert row[name] == listed_attributes[name]
    if file_format == "csv":
        assert list(rows[0]) == [
            "id",
            "name",
            "email",
            "image_url",
            "member_type",
            "created_at",
            "updated_at",
        ]


def test_json_nests_included_relationships_by_name(client, run_worker, members, organization):
    data = export(client, run_worker, resource_type="members", includes=["teams", "organization"])
    rows = read_export_file(client, data)
    assert len(rows) == 121
    by_id = {row["id"]: row for row in rows}
    for member in members:
        row = by_id[str(member.pk)]
        assert sorted(team["id"] for team in row["teams"]) == sorted(
            str(pk) for pk in member.teams.values_list("pk", flat=True)
        )
        assert row["organization"] == {
            "id": str(organization.pk),
            "name": organization.name,
            "slug": organization.slug,
            "created_at": row["organization"]["created_at"],
            "updated_at": row["organization"]["updated_at"],
        }


def test_nested_include_paths(client, run_worker, members, organization):
    data = export(
        client,
        run_worker,
        resource_type="teams",
        includes=["members", "members.teams"],
        fields=["name", "members.email", "members.teams.slug"],
    )
    rows = read_export_file(client, data)
    assert len(rows) == 3
    for row in rows:
        assert set(row) == {"id", "name", "members"}
        for member in row["members"]:
            assert set(member) == {"id", "email", "teams"}
            assert all(set(team) == {"id", "slug"} for team in member["teams"])
            assert row["id"] in [team["id"] for team in member["teams"]]


def test_fields_with_wildcards_and_dotted_csv_columns(client, run_worker, members):
    data = export(
        client,
        run_worker,
        resource_type="members",
        format="csv",
        includes=["organization", "teams"],
        fields=["na*", "organization.*", "teams.slug"],
        filters={"name_eq": "alpha 1"},
    )
    [row] = read_export_file(client, data)
    assert list(row) == [
        "id",
        "name",
        "organization.id",
        "organization.name",
        "organization.slug",
        "organization.created_at",
        "organization.updated_at",
        "teams.id",
        "teams.slug",
    ]
    assert row["name"] == "alpha 1"
    member = next(m for m in members if m.name == "alpha 1")
    assert row["organization.slug"] == member.organization.slug
    assert row["teams.slug"] == f'["{member.teams.get().slug}"]'


def test_dry_data_drops_ids_timestamps_and_organization_data(client, run_worker, members):
    data = export(
        client,
        run_worker,
        resource_type="members",
        dry_data=True,
        includes=["teams"],
        filters={"name_eq": "alpha 2"},
    )
    [row] = read_export_file(client, data)
    assert row == {
        "name": "alpha 2",
        "email": row["email"],
        "image_url": "",
        "member_type": "user",
        "teams": [{"name": team.name, "slug": team.slug} for team in members[2].teams.all()],
    }
    refused = client.post(
        "/api/exports",
        {
            "data": {
                "type": "exports",
                "attributes": {
                    "resource_type": "members",
                    "dry_data": True,
                    "includes": ["organization"],
                },
            }
        },
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["source"]["pointer"] == "/data/attributes/includes"


def test_exports_of_other_types_and_empty_results(client, run_worker, members, organization):
    teams = export(client, run_worker, resource_type="teams", format="csv")
    assert teams["attributes"]["records_count"] == 3
    organizations = export(client, run_worker, resource_type="organizations")
    assert [row["id"] for row in read_export_file(client, organizations)] == [str(organization.pk)]
    empty = export(client, run_worker, resource_type="members", filters={"name_eq": "nobody"})
    assert empty["attributes"]["records_count"] == 0
    assert read_export_file(client, empty) == []
    exports = export(client, run_worker, resource_type="exports", filters={"format_eq": "json"})
    assert len(read_export_file(client, exports)) == 3  # organizations, empty, and itself


def test_record_limit_interrupts_with_errors_log(
    client, run_worker, members, settings, organization
):
    response = client.post(
        "/api/exports", {"data": {"type": "exports", "attributes": {"resource_type": "members"}}}
    )
    settings.SKILLPORT = {**settings.SKILLPORT, "EXPORT_MAX_RECORDS": 50}
    run_worker()
    export_row = Export.objects.get(pk=response.json()["data"]["id"])
    assert export_row.status == Export.Status.INTERRUPTED
    assert export_row.interrupted_at is not None
    assert export_row.errors_log == {
        "RecordLimitExceeded": "The filters select 121 records; an export may have at most 50."
    }
    assert export_row.attachment == ""
    body = client.get(f"/api/exports/{export_row.pk}").json()["data"]["attributes"]
    assert body["status"] == "interrupted"
    assert body["errors_log"] == export_row.errors_log
    assert body["attachment_url"] is None


def test_one_column_csv_keeps_rows_with_an_empty_cell(client, run_worker, organization):
    MemberFactory(organization=organization, name="")
    data = export(
        client,
        run_worker,
        resource_type="members",
        format="csv",
        dry_data=True,
        fields=["name"],
        filters={"name_blank": True},
    )
    assert data["attributes"]["records_count"] == 1
    assert read_export_file(client, data) == [{"name": ""}]  # `""`, not a blank line
