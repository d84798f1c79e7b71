from api.serializers import ResourceSerializer, to_many, to_one
from events.serializers import audited
from organizations.models import Member, Organization, Team


class OrganizationSerializer(ResourceSerializer):
    members = to_many("organizations")
    teams = to_many("organizations")

    included_serializers = {
        "members": "organizations.serializers.MemberSerializer",
        "teams": "organizations.serializers.TeamSerializer",
    }

    class Meta:
        model = Organization
        resource_name = "organizations"
        fields = ("name", "slug", "created_at", "updated_at", "members", "teams")


@audited
class TeamSerializer(ResourceSerializer):
    organization = to_one("teams")
    members = to_many("teams")

    included_serializers = {
        "organization": OrganizationSerializer,
        "members": "organizations.serializers.MemberSerializer",
    }

    class Meta:
        model = Team
        resource_name = "teams"
        fields = ("name", "slug", "created_at", "updated_at", "organization", "members")


@audited
class MemberSerializer(ResourceSerializer):
    organization = to_one("members")
    teams = to_many("members")

    included_serializers = {"organization": OrganizationSerializer, "teams": TeamSerializer}

    class Meta:
        model = Member
        resource_name = "members"
        fields = (
            "name",
            "email",
            "image_url",
            "member_type",
            "created_at",
            "updated_at",
            "organization",
            "teams",
        )
