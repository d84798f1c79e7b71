"""The exportable types that live on this side of the project (see `exports/registry.py`)."""

from exports.registry import exportable
from exports.views import ExportViewSet, SkillExportViewSet
from organizations.views import MemberViewSet, OrganizationViewSet, TeamViewSet

exportable("organizations", viewset=OrganizationViewSet)
exportable("members", viewset=MemberViewSet)
exportable("teams", viewset=TeamViewSet)
exportable(
    "exports",
    viewset=ExportViewSet,
    private=("status", "records_count", "records_total", "records_exported", "errors_log"),
)
exportable("skill_exports", viewset=SkillExportViewSet, private=("status", "error"))
