"""Test-only route: a Metorial-surface view that fails unexpectedly."""

from django.urls import include, path

from exports.metorial.views import MetorialView


class ExplodingMetorialView(MetorialView):
    def get(self, request):
        raise RuntimeError("boom")


urlpatterns = [
    path("", include("config.urls")),
    path("skill-exports-explode", ExplodingMetorialView.as_view()),
]
