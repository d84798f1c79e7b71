"""The audit trail is exportable like any resource (see `exports/registry.py`)."""

from events import views
from exports.registry import exportable

exportable("events", viewset=views.EventViewSet)
exportable("versions", viewset=views.VersionViewSet)
