"""The Anthropic Skills API's own paths under `/v1/`, so its SDKs change only `base_url`.
A trailing slash answers as the path without it; anything else under `/v1/` is Anthropic's 404."""

from django.urls import re_path

from skills.anthropic import views

SKILL = r"skills/(?P<skill_id>[^/]+)"
VERSION = rf"{SKILL}/versions/(?P<version>[^/]+)"

ROUTES = (
    ("skills", views.SkillListView, "anthropic-skills"),
    (SKILL, views.SkillDetailView, "anthropic-skill"),
    (f"{SKILL}/versions", views.VersionListView, "anthropic-skill-versions"),
    (VERSION, views.VersionDetailView, "anthropic-skill-version"),
    (f"{VERSION}/content", views.VersionContentView, "anthropic-skill-version-content"),
)

urlpatterns = [
    *(re_path(rf"^{path}/?$", view.as_view(), name=name) for path, view, name in ROUTES),
    re_path(r"^.*$", views.NotFoundView.as_view()),
]
