"""Test-only routes that exercise the base classes where no production resource does yet."""

from django.urls import include, path
from rest_framework.views import APIView

from api.routing import resource_urls
from api.views import ResourceViewSet
from organizations.filters import TeamFilterSet
from organizations.models import Team
from organizations.serializers import TeamSerializer


class WritableTeamViewSet(ResourceViewSet):
    """Teams are read-only in the API; this writable twin tests create/update/delete paths."""

    queryset = Team.objects.select_related("organization").prefetch_related("members")
    serializer_class = TeamSerializer
    filterset_class = TeamFilterSet
    ordering_fields = ("name", "created_at")

    # Its services: plain writes of the validated attributes (teams have none of their own).
    def create_service(self, data: dict) -> Team:
        return Team.objects.create(organization=self.request.auth.organization, **data)

    def update_service(self, team: Team, data: dict) -> Team:
        for name, value in data.items():
            setattr(team, name, value)
        team.save()
        return team


class FlakyTeamViewSet(WritableTeamViewSet):
    """Fails with an unexpected error `failures_left` times, then creates (a retried outage)."""

    failures_left = 0

    def create_service(self, data: dict) -> Team:
        team = super().create_service(data)
        if FlakyTeamViewSet.failures_left:
            FlakyTeamViewSet.failures_left -= 1
            raise RuntimeError("the first attempt crashes after its write")
        return team


class ExplodingView(APIView):
    def get(self, request):
        raise RuntimeError("boom")


def exploding_django_view(request):
    raise RuntimeError("boom outside DRF")


urlpatterns = [
    path("", include("config.urls")),
    path("test-api/", include(resource_urls("teams", WritableTeamViewSet))),
    path("test-api/", include(resource_urls("flaky-teams", FlakyTeamViewSet))),
    path("test-api/explode", ExplodingView.as_view()),
    path("test-api/explode-django", exploding_django_view),
]

from config.urls import handler400, handler403, handler404, handler500  # noqa: E402, F401
