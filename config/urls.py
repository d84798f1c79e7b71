from django.contrib import admin
from django.urls import include, path

from api import schema  # noqa: F401  (registers the OpenAPI extensions)
from api.docs import DocsPageView, OpenApiDocumentView
from api.health import health

urlpatterns = [
    path("health", health, name="health"),
    path("admin/", admin.site.urls),
    path("api/openapi.json", OpenApiDocumentView.as_view(), name="openapi"),
    # The split view serves the Swagger UI setup as a same-origin script (CSP: api/security.py).
    path("api/docs", DocsPageView.as_view(url_name="openapi"), name="docs"),
    path("api/", include("organizations.urls")),
    path("api/", include("events.urls")),
    path("api/", include("skills.urls")),
    path("api/", include("exports.urls")),
    path("api/", include("files.urls")),
    # Skill collections as read-only git repositories (smart HTTP).
    path("git/", include("skills.git.urls")),
    # The Anthropic Skills API (its SDKs' `base_url` is the server's root).
    path("v1/", include("skills.anthropic.urls")),
    # Metorial-compatible skill exports, at Metorial's own root paths.
    path("", include("exports.metorial.urls")),
]

handler400 = "api.exceptions.bad_request"
handler403 = "api.exceptions.permission_denied"
handler404 = "api.exceptions.not_found"
handler500 = "api.exceptions.server_error"
