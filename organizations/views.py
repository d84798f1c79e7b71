from api.views import ReadOnlyResourceViewSet
from organizations import filters, serializers
from organizations.models import Member, Organization, Team

COMMON_SORT = ("id", "name", "created_at", "updated_at")


# No to-many relationship is prefetched by default: an organization's members and a team's
# members are unbounded. `include=` prefetches them (complete linkage); otherwise a detail shows
# capped linkage and a list row links only (api/serializers.py PrefetchedManyRelatedField).


class OrganizationViewSet(ReadOnlyResourceViewSet):
    queryset = Organization.objects.all()
    serializer_class = serializers.OrganizationSerializer
    filterset_class = filters.OrganizationFilterSet
    ordering_fields = (*COMMON_SORT, "slug")


class TeamViewSet(ReadOnlyResourceViewSet):
    queryset = Team.objects.select_related("organization")
    serializer_class = serializers.TeamSerializer
    filterset_class = filters.TeamFilterSet
    ordering_fields = (*COMMON_SORT, "slug")


class MemberViewSet(ReadOnlyResourceViewSet):
    queryset = Member.objects.select_related("organization")
    serializer_class = serializers.MemberSerializer
    filterset_class = filters.MemberFilterSet
    ordering_fields = (*COMMON_SORT, "email", "member_type")
