"""The registry's exportable types (see `exports/registry.py`)."""

from exports.registry import exportable
from skills import views

exportable("skill_collections", viewset=views.SkillCollectionViewSet)
exportable("skill_collection_versions", viewset=views.SkillCollectionVersionViewSet)
exportable("skills", viewset=views.SkillViewSet)
exportable("skill_plugins", viewset=views.SkillPluginViewSet)
exportable("skill_marketplaces", viewset=views.SkillMarketplaceViewSet)
