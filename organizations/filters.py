from api.filters import ResourceFilterSet
from organizations.models import Member, Organization, Team


class OrganizationFilterSet(ResourceFilterSet):
    attributes = ["id", "name", "slug", "created_at", "updated_at"]

    class Meta:
        model = Organization
        fields = []


class TeamFilterSet(ResourceFilterSet):
    attributes = ["id", "name", "slug", "created_at", "updated_at"]

    class Meta:
        model = Team
        fields = []


class MemberFilterSet(ResourceFilterSet):
    attributes = ["id", "name", "email", "member_type", "created_at", "updated_at"]

    class Meta:
        model = Member
        fields = []
