"""OpenAPI extensions: how drf-spectacular should describe our authentication and filters."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "organizations.authentication.ApiKeyAuthentication"
    name = ["BearerKey", "ApiKeyHeader"]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <key>"},
            {"type": "apiKey", "in": "header", "name": "X-API-KEY"},
        ]


def document_idempotency_key(result, generator, request, public):
    """Postprocessing hook: every POST of the API creates or adds, and takes Idempotency-Key."""
    from api.idempotency import HEADER

    parameter = {
        "name": HEADER,
        "in": "header",
        "required": False,
        "description": (
            "Send the same key again (within the key TTL, default 24 h) to get the first "
            "response replayed instead of a second resource; 1-255 printable ASCII characters."
        ),
        # Printable ASCII; no space at either end, which HTTP servers strip from header values.
        "schema": {
            "type": "string",
            "minLength": 1,
            "maxLength": 255,
            "pattern": "^[!-~]([ -~]*[!-~])?$",
        },
    }
    for path_item in result.get("paths", {}).values():
        if "post" in path_item:
            operation = path_item["post"]  # a new list: operations may share theirs
            operation["parameters"] = [*operation.get("parameters", []), parameter]
    return result
