"""Exportable types are declarations derived from the list endpoints' viewsets."""

import pytest

from exports.bulk import registry
from exports.filters import ExportFilterSet
from organizations.views import MemberViewSet, TeamViewSet

# The contract's list (API.md section 4), plus organizations, members, teams and versions.
EXPORTABLE_TYPES = [
    "events",
    "exports",
    "members",
    "organizations",
    "skill_collection_versions",
    "skill_collections",
    "skill_exports",
    "skill_marketplaces",
    "skill_plugins",
    "skills",
    "teams",
    "versions",
]


def test_declared_types():
    assert registry.exportable_types() == EXPORTABLE_TYPES


def test_a_viewset_declaration_derives_attributes_relationships_and_filters():
    members = registry.get("members")
    assert list(members.attributes) == [
        "id",
        "name",
        "email",
        "image_url",
        "member_type",
        "created_at",
        "updated_at",
    ]
    # export `filters` and list filters are the same FilterSet
    assert members.filterset is MemberViewSet.filterset_class
    assert registry.get("teams").filterset is TeamViewSet.filterset_class
    assert registry.get("exports").filterset is ExportFilterSet
    organization, teams = members.relationships["organization"], members.relationships["teams"]
    assert (organization.many, organization.parent_key, organization.target().type_name) == (
        False,
        "organization_id",
        "organizations",
    )
    assert (teams.many, teams.child_lookup, teams.target().type_name) == (True, "members", "teams")
    reverse = registry.get("organizations").relationships["members"]
    assert (reverse.many, reverse.child_lookup) == (True, "organization")


def test_dry_data_keeps_only_reimportable_attributes():
    assert registry.get("members").dry_attributes() == ["name", "email", "image_url", "member_type"]
    assert "status" not in registry.get("exports").dry_attributes()
    assert "organizations" not in {
        relationship.target().type_name
        for relationship in registry.get("members").includable(dry=True).values()
    }


def test_unknown_type_is_a_key_error():
    with pytest.raises(KeyError):
        registry.get("widgets")
