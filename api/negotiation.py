"""JSON:API 1.1 content negotiation (https://jsonapi.org/format/#content-negotiation-servers).

Extensions: the server supports those in `SUPPORTED_EXTENSIONS`; a view applies those in its
`json_api_extensions` (none for a resource endpoint, the Atomic Operations extension for
`/api/operations`). A request body whose `Content-Type` names an extension the view does not apply
is a `415`; an `Accept` whose every JSON:API media type names an unsupported extension a `406`.
"""

from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.utils.mediatypes import _MediaType

JSON_API_MEDIA_TYPE = "application/vnd.api+json"
ALLOWED_PARAMETERS = {"ext", "profile"}
ATOMIC_EXTENSION = "https://jsonapi.org/ext/atomic"
SUPPORTED_EXTENSIONS = frozenset({ATOMIC_EXTENSION})


def _has_foreign_parameters(media_type: _MediaType) -> bool:
    return bool(set(media_type.params) - ALLOWED_PARAMETERS - {"q"})


def _is_json_api(media_type: _MediaType) -> bool:
    return f"{media_type.main_type}/{media_type.sub_type}" == JSON_API_MEDIA_TYPE


def extensions(media_type: _MediaType) -> set[str]:
    """The extension URIs of a media type's `ext` parameter (a space-separated list)."""
    value = media_type.params.get("ext", "")
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    return set(value.split())


def with_extension(uri: str) -> str:
    """The JSON:API media type applying one extension, as responses name it."""
    return f'{JSON_API_MEDIA_TYPE}; ext="{uri}"'


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
            if _is_json_api(media_type):
                self._check_extensions(content_type, media_type, request)
        return super().select_parser(request, parsers)

    @staticmethod
    def _check_extensions(content_type: str, media_type: _MediaType, request) -> None:
        view = (getattr(request, "parser_context", None) or {}).get("view")
        applied = frozenset(getattr(view, "json_api_extensions", ()))
        unsupported = sorted(extensions(media_type) - applied)
        if unsupported:
            where = "here" if unsupported[0] in SUPPORTED_EXTENSIONS else "by this server"
            raise exceptions.UnsupportedMediaType(
                content_type,
                detail=f"The extension {unsupported[0]} is not supported {where}.",
            )
        missing = sorted(applied - extensions(media_type))
        if missing:
            raise exceptions.UnsupportedMediaType(
                content_type,
                detail=f"This endpoint takes the JSON:API media type with the extension "
                f"{missing[0]}: Content-Type: {with_extension(missing[0])}.",
            )

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
        if json_api and all(extensions(m) - SUPPORTED_EXTENSIONS for m in json_api):
            raise exceptions.NotAcceptable(
                "Every JSON:API media type in Accept names an extension this server does not "
                f"support (it supports {', '.join(sorted(SUPPORTED_EXTENSIONS))})."
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
