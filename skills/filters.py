import django_filters
from django_filters.constants import EMPTY_VALUES

from api.filters import ResourceFilterSet
from skills.models import (
    ShareLink,
    Skill,
    SkillCollection,
    SkillCollectionVersion,
    SkillMarketplace,
    SkillPlugin,
)
from skills.search import search

COMMON = ["id", "created_at", "updated_at"]


class SearchFilter(django_filters.CharFilter):
    """`filter[search]=<words>`: full-text search over the type's own text, ranked (best first
    unless `sort` is given)."""

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        return search(qs, value)


class SkillCollectionFilterSet(ResourceFilterSet):
    search_eq = SearchFilter()
    attributes = [*COMMON, "name", "root_path", "provider", "folder_id", "is_deleted"]

    class Meta:
        model = SkillCollection
        fields = []


class SkillCollectionVersionFilterSet(ResourceFilterSet):
    attributes = {
        **{name: name for name in COMMON},
        "number": "number",
        "commit_message": "commit_message",
        "release_label": "release_label",
        "archived": "archived",
        "user_email": "user_email",
        "provider": "provider",
        "skill_collection": "skill_collection",
    }

    class Meta:
        model = SkillCollectionVersion
        fields = []


class SkillFilterSet(ResourceFilterSet):
    search_eq = SearchFilter()
    attributes = [*COMMON, "name", "description", "license", "path", "skill_collection"]

    class Meta:
        model = Skill
        fields = []


class SkillPluginFilterSet(ResourceFilterSet):
    search_eq = SearchFilter()
    attributes = [
        *COMMON,
        "name",
        "version",
        "description",
        "license",
        "homepage",
        "repository",
        "keywords",
    ]

    class Meta:
        model = SkillPlugin
        fields = []


class SkillMarketplaceFilterSet(ResourceFilterSet):
    search_eq = SearchFilter()
    attributes = [*COMMON, "name", "version", "description"]

    class Meta:
        model = SkillMarketplace
        fields = []


class ShareLinkFilterSet(ResourceFilterSet):
    attributes = {
        **{name: name for name in COMMON},
        "expires_at": "expires_at",
        "revoked_at": "revoked_at",
        "version": "version",
        "label": "label",
        "skill_collection": "skill_collection",
        "skill_plugin": "skill_plugin",
        "skill_marketplace": "skill_marketplace",
    }

    class Meta:
        model = ShareLink
        fields = []
