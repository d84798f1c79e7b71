import pytest

pytestmark = pytest.mark.django_db


def test_fields_limit_attributes_and_relationships_but_keep_meta_and_links(client):
    body = client.get("/api/members?fields[members]=email,teams").json()
    [member] = body["data"]
    assert set(member["attributes"]) == {"email"}
    assert set(member["relationships"]) == {"teams"}
    assert set(member["meta"]) == {"mode", "organization_id", "trace_id"}
    assert member["links"]["self"].endswith(member["id"])


def test_fields_apply_to_included_types(client):
    body = client.get("/api/members?include=organization&fields[organizations]=slug").json()
    [organization] = body["included"]
    assert set(organization["attributes"]) == {"slug"}


@pytest.mark.parametrize(
    "parameter, value",
    [("fields[members]", "email,shoe_size"), ("fields[nonsense]", "x")],
)
def test_unknown_field_or_type_is_400(client, parameter, value):
    response = client.get(f"/api/members?{parameter}={value}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"] == {"parameter": parameter}


def test_unknown_query_parameter_is_400(client):
    response = client.get("/api/members?colour=blue")
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"] == {"parameter": "colour"}
