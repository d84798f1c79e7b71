"""The exportable resource types (see `exports/bulk/registry.py`): one declaration each.

Exports sit above every other feature app, so they name the other apps' viewsets here; the
lower apps know nothing of exports. Imported by `ExportsConfig.ready()`."""

from events.views import EventViewSet, VersionViewSet
from exports.bulk.registry import exportable
from exports.views import ExportViewSet, SkillExportViewSet
from organizations.views import MemberViewSet, OrganizationViewSet, TeamViewSet
from skills import views as skills

exportable("organizations", viewset=OrganizationViewSet)
exportable("members", viewset=MemberViewSet)
exportable("teams", viewset=TeamViewSet)
exportable("skill_collections", viewset=skills.SkillCollectionViewSet)
exportable("skill_collection_versions", viewset=skills.SkillCollectionVersionViewSet)
exportable("skills", viewset=skills.SkillViewSet)
exportable("skill_plugins", viewset=skills.SkillPluginViewSet)
exportable("skill_marketplaces", viewset=skills.SkillMarketplaceViewSet)
# The audit trail is exportable like any resource.
exportable("events", viewset=EventViewSet)
exportable("versions", viewset=VersionViewSet)
exportable(
    "exports",
    viewset=ExportViewSet,
    private=("status", "records_count", "records_total", "records_exported", "errors_log"),
)
exportable("skill_exports", viewset=SkillExportViewSet, private=("status", "error"))
