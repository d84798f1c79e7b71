from django.contrib import admin
from django.urls import include, path

from api import schema  # noqa: F401  (registers the OpenAPI extensions)
from api.docs import DocsPageView, OpenApiDocumentView
from api.health import health
from api.metrics import metrics_view

urlpatterns = [
    path("health", health, name="health"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/openapi.json", OpenApiDocumentView.as_view(), name="openapi"),
    # The split view serves the Swagger UI setup as a same-origin script (CSP: api/security.py).
    path("api/docs", DocsPageView.as_view(url_name="openapi"), name="docs"),
    path("api/", include("api.operations.urls")),
    path("api/", include("organizations.urls")),
    path("api/", include("events.urls")),
    path("api/", include("skills.urls")),
    path("api/", include("exports.urls")),
    path("api/", include("files.urls")),
    # Skill collections as read-only git repositories (smart HTTP).
    path("git/", include("skills.git.urls")),
    # The Anthropic Skills API (its SDKs' `base_url` is the server's root).
    path("v1/", include("skills.anthropic.urls")),
    # The Agent Skills discovery index under /git/<type>/<id>, and share links (index and git).
    path("", include("skills.discovery.urls")),
    # Metorial-compatible skill exports, at Metorial's own root paths.
    path("", include("exports.metorial.urls")),
]

handler400 = "api.exceptions.bad_request"
handler403 = "api.exceptions.permission_denied"
handler404 = "api.exceptions.not_found"
handler500 = "api.exceptions.server_error"
