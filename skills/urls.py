from django.urls import path, re_path

from api.routing import UUID_PATTERN, resource_urls
from skills import find, views

urlpatterns = [
    # The `skills` CLI's `find` (SKILLS_API_URL): full-text search in its own answer shape.
    path("search", find.SkillSearchView.as_view(), name="skill-search"),
    # Any identifier (UUID, name, root path): POST uploads a zip, GET lists the versions.
    re_path(
        rf"^skill_collections/(?!{UUID_PATTERN}/relationships/)(?P<pk>.+)/versions$",
        views.collection_versions,
    ),
    re_path(
        r"^public/v2/skill-collections/(?P<identifier>.+)$",
        views.PublicSkillCollectionView.as_view(),
        name="public-skill-collection",
    ),
    *resource_urls("skill_collections", views.SkillCollectionViewSet, detail_pattern=r".+"),
    re_path(
        r"^skill_collection_versions/(?P<pk>[^/]+)/diff$",
        views.SkillCollectionVersionDiffView.as_view(),
        name="skill_collection_versions-diff",
    ),
    *resource_urls("skill_collection_versions", views.SkillCollectionVersionViewSet),
    *resource_urls("skills", views.SkillViewSet),
    *resource_urls(
        "skill_plugins",
        views.SkillPluginViewSet,
        relationship_view_class=views.SkillPluginRelationshipView,
    ),
    *resource_urls(
        "skill_marketplaces",
        views.SkillMarketplaceViewSet,
        relationship_view_class=views.SkillMarketplaceRelationshipView,
    ),
    *resource_urls("share_links", views.ShareLinkViewSet),
]
