"""The Anthropic Skills API's own paths under `/v1/`, so its SDKs change only `base_url`.
A trailing slash answers as the path without it; anything else under `/v1/` is Anthropic's 404."""

from django.urls import re_path

from skills.anthropic import views

SEGMENT = r"[^/]+"

urlpatterns = [
    re_path(r"^skills/?$", views.SkillListView.as_view(), name="anthropic-skills"),
    re_path(
        rf"^skills/(?P<skill_id>{SEGMENT})/?$",
        views.SkillDetailView.as_view(),
        name="anthropic-skill",
    ),
    re_path(
        rf"^skills/(?P<skill_id>{SEGMENT})/versions/?$",
        views.VersionListView.as_view(),
        name="anthropic-skill-versions",
    ),
    re_path(
        rf"^skills/(?P<skill_id>{SEGMENT})/versions/(?P<version>{SEGMENT})/?$",
        views.VersionDetailView.as_view(),
        name="anthropic-skill-version",
    ),
    re_path(
        rf"^skills/(?P<skill_id>{SEGMENT})/versions/(?P<version>{SEGMENT})/content/?$",
        views.VersionContentView.as_view(),
        name="anthropic-skill-version-content",
    ),
    re_path(r"^.*$", views.NotFoundView.as_view()),
]
