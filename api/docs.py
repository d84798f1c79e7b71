"""`/api/openapi.json` and `/api/docs`: drf-spectacular's views, whose error answers (a `405`,
a `406`) leave as JSON:API error documents like every other, not in the page's own format."""

from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerSplitView

from api.negotiation import JSON_API_MEDIA_TYPE
from api.renderers import JsonApiRenderer


class JsonApiErrorsMixin:
    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(response, "exception", False):
            response.accepted_renderer = JsonApiRenderer()
            response.accepted_media_type = JSON_API_MEDIA_TYPE
            response.content_type = JSON_API_MEDIA_TYPE
        return response


class OpenApiDocumentView(JsonApiErrorsMixin, SpectacularJSONAPIView):
    pass


class DocsPageView(JsonApiErrorsMixin, SpectacularSwaggerSplitView):
    pass
