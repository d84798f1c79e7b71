from api.views import ReadOnlyResourceViewSet
from organizations import filters, serializers
from organizations.models import Member, Organization, Team

COMMON_SORT = ("id", "name", "created_at", "updated_at")


class OrganizationViewSet(ReadOnlyResourceViewSet):
    queryset = Organization.objects.prefetch_related("members", "teams")
    serializer_class = serializers.OrganizationSerializer
    filterset_class = filters.OrganizationFilterSet
    ordering_fields = (*COMMON_SORT, "slug")


class TeamViewSet(ReadOnlyResourceViewSet):
    queryset = Team.objects.select_related("organization").prefetch_related("members")
    serializer_class = serializers.TeamSerializer
    filterset_class = filters.TeamFilterSet
    ordering_fields = (*COMMON_SORT, "slug")


class MemberViewSet(ReadOnlyResourceViewSet):
    queryset = Member.objects.select_related("organization").prefetch_related("teams")
    serializer_class = serializers.MemberSerializer
    filterset_class = filters.MemberFilterSet
    ordering_fields = (*COMMON_SORT, "email", "member_type")
