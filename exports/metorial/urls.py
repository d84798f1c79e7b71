"""Metorial's own paths, at the root (not under /api), so its clients change only the base URL."""

from django.urls import path, re_path

from api.routing import UUID_PATTERN
from exports.metorial import views

urlpatterns = [
    path("skill-exports", views.SkillExportCollectionView.as_view(), name="metorial-skill-exports"),
    re_path(
        rf"^skill-exports/(?P<pk>{UUID_PATTERN})$",
        views.SkillExportDetailView.as_view(),
        name="metorial-skill-export",
    ),
    re_path(r"^skill-exports/.*$", views.NotFoundView.as_view()),
]
