"""JSON:API 1.1 content negotiation (https://jsonapi.org/format/#content-negotiation-servers)."""

from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.utils.mediatypes import _MediaType

JSON_API_MEDIA_TYPE = "application/vnd.api+json"
ALLOWED_PARAMETERS = {"ext", "profile"}


def _has_foreign_parameters(media_type: _MediaType) -> bool:
    return bool(set(media_type.params) - ALLOWED_PARAMETERS - {"q"})


def _is_json_api(media_type: _MediaType) -> bool:
    return f"{media_type.main_type}/{media_type.sub_type}" == JSON_API_MEDIA_TYPE


class JsonApiContentNegotiation(DefaultContentNegotiation):
    def select_parser(self, request, parsers):
        content_type = request.content_type or ""
        if content_type:
            media_type = _MediaType(content_type)
            if _is_json_api(media_type) and _has_foreign_parameters(media_type):
                raise exceptions.UnsupportedMediaType(
                    content_type,
                    detail="The JSON:API media type may only carry the ext and profile parameters.",
                )
        return super().select_parser(request, parsers)

    def select_renderer(self, request, renderers, format_suffix=None):
        accepted = [
            _MediaType(item.strip())
            for item in request.META.get("HTTP_ACCEPT", "").split(",")
            if item.strip()
        ]
        json_api = [media_type for media_type in accepted if _is_json_api(media_type)]
        if json_api and all(_has_foreign_parameters(media_type) for media_type in json_api):
            raise exceptions.NotAcceptable(
                "Every JSON:API media type in Accept carries parameters other than ext or profile."
            )
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except exceptions.NotAcceptable:
            # Clients asking for `application/json` and the like still get the JSON:API document.
            return renderers[0], renderers[0].media_type


def requested_profiles(request) -> set[str]:
    """The profile URIs the client asks for in `Accept` (`profile="uri uri"` on a JSON:API
    media type), trailing slashes and the scheme left out so `http://` and `https://` match."""
    profiles = set()
    for item in request.META.get("HTTP_ACCEPT", "").split(","):
        media_type = _MediaType(item.strip())
        if _is_json_api(media_type) and "profile" in media_type.params:
            value = media_type.params["profile"]
            value = value.decode() if isinstance(value, bytes) else value
            profiles |= {normal_profile(uri) for uri in value.strip('"').split()}
    return profiles


def normal_profile(uri: str) -> str:
    return uri.split("://", 1)[-1].rstrip("/")
