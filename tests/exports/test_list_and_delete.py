import gzip
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from exports.filters import SORTABLE
from exports.models import Export
from tests.exports.factories import ExportFactory

pytestmark = pytest.mark.django_db


def stored(organization, name: str = "x") -> str:
    return default_storage.save(
        f"exports/{organization.pk}/{name}.json.gz", ContentFile(gzip.compress(b"[]"))
    )


@pytest.fixture
def exports(organization):
    return [
        ExportFactory(organization=organization, resource_type="members", reference="a"),
        ExportFactory(
            organization=organization,
            resource_type="teams",
            format="csv",
            status=Export.Status.COMPLETED,
            records_count=5,
            attachment=stored(organization),
            metadata={"k": 1},
        ),
        ExportFactory(
            organization=organization,
            resource_type="exports",
            status=Export.Status.INTERRUPTED,
            errors_log={"RuntimeError": "query timeout"},
        ),
        ExportFactory(resource_type="members"),  # another organization
    ]


def ids(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["data"]]


def test_list_shows_only_own_exports(client, exports, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = client.get("/api/exports")
    assert sorted(ids(response)) == sorted(str(export.pk) for export in exports[:3])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("filter[status]=completed", [1]),
        ("filter[q][resource_type_in]=members,exports", [0, 2]),
        ("filter[format.eq]=csv", [1]),
        ("filter[q][errors_log_present]=true", [2]),
        ("filter[q][errors_log_null]=true", [0, 1]),
        ("filter[q][errors_log_cont]=TIMEOUT", [2]),
        ("filter[errors_log.cont]=RuntimeError", [2]),
        ("filter[q][metadata_cont]=k", [1]),
        ("filter[q][metadata_null]=false", [0, 1, 2]),
        ("filter[q][attachment_url_present]=true", [1]),
        ("filter[q][records_count_gteq]=5", [1]),
        ("filter[reference]=a", [0]),
        ("filter[q][reference_origin_blank]=true", [0, 1, 2]),
    ],
)
def test_filters(client, exports, query, expected):
    assert sorted(ids(client.get(f"/api/exports?{query}"))) == sorted(
        str(exports[index].pk) for index in expected
    )


@pytest.mark.parametrize("field", SORTABLE)
def test_every_listed_attribute_sorts(client, exports, field):
    assert len(ids(client.get(f"/api/exports?sort=-{field}"))) == 3


def test_sort_by_resource_type(client, exports):
    assert ids(client.get("/api/exports?sort=resource_type")) == [
        str(exports[index].pk) for index in (2, 0, 1)
    ]


def test_unknown_filter_and_sort_are_400(client, exports):
    response = client.get("/api/exports?filter[q][lease_owner_eq]=x")
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["parameter"] == "filter[q][lease_owner_eq]"
    assert client.get("/api/exports?sort=errors_log").status_code == 400


def test_delete_removes_the_file(client, exports):
    export = exports[1]
    assert default_storage.exists(export.attachment)
    response = client.delete(f"/api/exports/{export.pk}")
    assert response.status_code == 204
    assert not default_storage.exists(export.attachment)
    assert not Export.objects.filter(pk=export.pk).exists()


def test_other_organizations_export_is_404(client, exports):
    assert client.get(f"/api/exports/{exports[3].pk}").status_code == 404
    assert client.delete(f"/api/exports/{exports[3].pk}").status_code == 404


def test_patch_is_not_allowed(client, exports):
    response = client.patch(
        f"/api/exports/{exports[0].pk}",
        {"data": {"type": "exports", "id": str(exports[0].pk), "attributes": {"reference": "b"}}},
    )
    assert response.status_code == 405


def test_expired_files_are_cleaned_up(organization):
    old = ExportFactory(
        organization=organization,
        status=Export.Status.COMPLETED,
        attachment=stored(organization, "old"),
        file_expires_at=timezone.now() - timedelta(seconds=1),
    )
    fresh = ExportFactory(
        organization=organization,
        status=Export.Status.COMPLETED,
        attachment=stored(organization, "fresh"),
        file_expires_at=timezone.now() + timedelta(days=1),
    )
    old_name = old.attachment
    call_command("scheduler", "--once")
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.attachment == "" and not default_storage.exists(old_name)
    assert default_storage.exists(fresh.attachment)


def test_attachment_url_filters_on_having_a_file_and_refuses_sorting(client, exports):
    """`attachment_url` is a signed link minted on each read: it filters on whether the export
    has a file to download (also in export filters), and sorting by it is a 400 saying why."""
    from api.filters import apply_filters
    from exports.bulk import registry

    interrupted_with_file = ExportFactory(
        organization=exports[0].organization,
        status=Export.Status.INTERRUPTED,
        attachment=stored(exports[0].organization, "left-over"),
    )
    has_file = [str(exports[1].pk)]
    no_file = sorted(str(e.pk) for e in (exports[0], exports[2], interrupted_with_file))
    for query, expected in [
        ("filter[attachment_url.present]=true", has_file),
        ("filter[q][attachment_url_present]=false", no_file),
        ("filter[attachment_url.blank]=true", no_file),
        ("filter[attachment_url.null]=true", no_file),
        ("filter[attachment_url.null]=false", has_file),
    ]:
        assert sorted(ids(client.get(f"/api/exports?{query}"))) == expected, query
    declaration = registry.get("exports")
    queryset = declaration.queryset(exports[0].tenant)
    found = apply_filters(declaration.filterset, queryset, {"attachment_url_present": True})
    assert [str(pk) for pk in found.values_list("pk", flat=True)] == has_file
    for query in ("filter[attachment_url.cont]=exports", "filter[attachment_url]=x"):
        response = client.get(f"/api/exports?{query}")
        assert response.status_code == 400, query
        assert "present" in response.json()["errors"][0]["detail"]
    response = client.get("/api/exports?sort=-attachment_url")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["source"] == {"parameter": "sort"}
    assert "signed link" in error["detail"]
