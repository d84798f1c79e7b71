"""The OpenAPI document: how drf-spectacular describes our resources, endpoints and errors.

`ResourceAutoSchema` (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]) writes each operation's summary,
description, tag and responses from the resource type and the action, so no developer
docstring reaches users; `postprocess` (a SPECTACULAR_SETTINGS postprocessing hook) adds the
endpoints that are not DRF viewsets (health, downloads, zip upload, the PromptLayer envelope).
"""

import copy
from collections.abc import Callable

from django.utils.module_loading import import_string
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular_jsonapi.schemas.openapi import JsonApiAutoSchema
from rest_framework.relations import ManyRelatedField
from rest_framework_json_api.views import RelationshipView

from api.idempotency import HEADER
from api.methods import listed
from api.negotiation import JSON_API_MEDIA_TYPE
from api.serializers import META_FIELDS, relationship_fields

# What each resource type is, for the operations' descriptions (a type not listed here still
# gets generated text).
TYPE_DESCRIPTIONS = {
    "organizations": "The organization that owns every resource this API key can see.",
    "members": "People of the organization; API keys act on behalf of a member.",
    "teams": "Groups of members.",
    "skill_collections": (
        "A versioned file tree of agent skills: every folder with a `SKILL.md` is a skill. "
        "Addressed by UUID, name or root path."
    ),
    "skill_collection_versions": (
        "An immutable snapshot of a skill collection's files. Create one from JSON (`files`, "
        'binary files as `{"base64": ...}`) or upload a zip; only `release_label` and '
        "`archived` change afterwards."
    ),
    "skills": "One skill (a folder with a `SKILL.md`) of a collection version; read-only.",
    "skill_plugins": "A Claude Code plugin: metadata plus the skills it bundles.",
    "skill_marketplaces": "A Claude Code marketplace: metadata plus the plugins it lists.",
    "exports": (
        "A bulk export of one resource type to a gzipped JSON array or CSV file, run in the "
        "background: poll `status`, then download `attachment_url`."
    ),
    "skill_exports": (
        "A zip of a skill, a plugin or a marketplace in the layout agents install from, "
        "built in the background into a file with a download link."
    ),
    "files": "A stored file, such as a skill export's zip.",
    "file_links": "A signed, expiring, revocable download URL of a file.",
    "share_links": (
        "A credential-free, read-only, expiring, revocable URL of one skill collection, plugin "
        "or marketplace: its discovery index, archives and git repository."
    ),
    "events": "Something that happened to a resource (`exports.completed`, ...).",
    "versions": "An audit trail entry: which attributes changed, from what to what, and who.",
    "event_stores": "The append-only store behind events and audit versions.",
    "webhooks": (
        "A callback URL notified of one topic's events, signed with the Standard Webhooks "
        "headers; `shared_secret` is returned on create only."
    ),
    "event_callbacks": "The log of one webhook delivery attempt.",
}

_ACTION_TEXT = {
    # action: (summary, description) templates; {one} "skill plugin", {many} "skill plugins".
    "list": (
        "List {many}",
        "Returns a page of the organization's {many}. Narrow it with `filter[...]`, order it "
        "with `sort`, add related resources with `include`, trim it with `fields[...]`, and "
        "page with `page[number]`/`page[size]` or the cursors `page[after]`/`page[before]`.",
    ),
    "create": (
        "Create {one}",
        "Creates {one} from a JSON:API document and answers `201` with the new resource "
        "and its `Location`. Invalid attributes are a `422` whose `source.pointer` names them.",
    ),
    "retrieve": (
        "Retrieve {one}",
        "Returns {one} by id; `include` adds related resources.",
    ),
    "partial_update": (
        "Update {one}",
        "Changes the attributes (and writable relationships) the document gives; the others "
        "keep their values.",
    ),
    "destroy": ("Delete {one}", "Deletes {one} and answers `204`."),
}


# Hand-written notes where an action does something its name does not say.
OPERATION_NOTES = {
    ("skill_collections", "destroy"): (
        "A soft delete: the collection gets `is_deleted: true` and leaves the lists unless "
        "`filter[is_deleted]=true`."
    ),
    ("skill_collections", "retrieve"): (
        "`version=N` or `label=L` pin the version; `format=zip` (or `Accept: application/zip`) "
        "answers its files as a zip, with `ETag` and `Content-Disposition`."
    ),
    ("skill_collection_versions", "partial_update"): (
        "Versions are immutable: only `release_label` (which moves from the version that had "
        "it) and `archived` change."
    ),
    ("exports", "create"): (
        "Answers `status: pending`; a background worker runs the export. Invalid "
        "`resource_type`, `includes`, `fields` or `filters` are a `422` now, not a failed "
        "export later; too many running exports of the organization is a `429`."
    ),
    ("exports", "destroy"): "The export's file is deleted too.",
    ("skill_exports", "create"): (
        "`target` (`skill`, `plugin`, `marketplace`) with exactly the matching relationship; "
        "a background worker builds the zip into `file` and `file_link`."
    ),
    ("webhooks", "create"): "The answer carries `shared_secret`, shown this once only.",
}

# The extra query parameters a viewset accepts (`extra_query_params`) on a single resource.
EXTRA_PARAMETERS = {
    "version": ({"type": "integer", "minimum": 1}, "Pin a version number (not with `label`)."),
    "label": ({"type": "string"}, "Pin the version carrying this release label."),
    "format": ({"type": "string", "enum": ["zip"]}, "`zip` answers the files as a zip."),
}
ZIP_CONTENT = {"application/zip": {"schema": {"type": "string", "format": "binary"}}}


def _words(type_name: str) -> tuple[str, str]:
    """("a skill plugin", "skill plugins") for `skill_plugins`."""
    many = type_name.replace("_", " ")
    one = many[:-1] if many.endswith("s") else many
    return ("an " if one[0] in "aeiou" else "a ") + one, many


# A to-many relationship's size, and whether its `data` was capped (not included).
_RELATIONSHIP_META = {
    "type": "object",
    "properties": {"count": {"type": "integer", "minimum": 0}, "capped": {"type": "boolean"}},
}


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "organizations.authentication.ApiKeyAuthentication"
    name = ["BearerKey", "ApiKeyHeader"]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <key>"},
            {"type": "apiKey", "in": "header", "name": "X-API-KEY"},
        ]


def document_idempotency_key(result, generator, request, public):
    """Postprocessing hook: every POST of the API creates or adds, and takes Idempotency-Key
    (git's POSTs are protocol exchanges, not creates: they take none)."""
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
    for path, path_item in result.get("paths", {}).items():
        if "post" in path_item and not path.startswith("/git/"):
            operation = path_item["post"]  # a new list: operations may share theirs
            operation["parameters"] = [*operation.get("parameters", []), parameter]
    return result


OPERATION_METHODS = ("get", "post", "put", "patch", "delete")


def document_options(result, generator, request, public):
    """Postprocessing hook, after the others: `OPTIONS` on every path (api/middleware.py) is a
    `204` whose `Allow` names exactly the path's documented methods (with `HEAD` for `GET`, and
    `OPTIONS`), without an API key; schemathesis checks the answers against it."""
    for item in result.get("paths", {}).values():
        methods = [method for method in OPERATION_METHODS if method in item]
        if not methods or "options" in item:
            continue
        first = item[methods[0]]
        allow = ", ".join(listed(methods))
        item["options"] = build_operation(
            first["tags"][0],
            f"{first['operationId']}_options",
            "The methods this path serves",
            f"`204` with `Allow: {allow}` and no body, for any id; no API key needed. CORS "
            "preflights (with `Access-Control-Request-Method`) are answered from the server's "
            "`CORS_ALLOWED_ORIGINS` instead.",
            security=[],
            parameters=[p for p in first.get("parameters", []) if p.get("in") == "path"],
            responses={
                "204": {
                    "description": "The path's methods, in `Allow`.",
                    "headers": {
                        "Allow": {"required": True, "schema": {"type": "string", "enum": [allow]}}
                    },
                },
                "404": {
                    **error_responses("404")["404"],
                    "description": "No such path (an id that is not one on a relationship URL).",
                },
            },
        )
    return result


class RelationshipIdentifierExtension(OpenApiSerializerFieldExtension):
    """Links-only relationships (the audit trail) have no model field behind them: their
    linkage is written by `ResourceAutoSchema`; this only names the id's type."""

    target_class = "api.serializers.LinksOnlyRelatedField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string"}


ERROR_DOCUMENT = {
    "type": "object",
    "description": "A JSON:API error document.",
    "required": ["errors"],
    "properties": {
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "status": {"type": "string", "example": "400"},
                    "code": {"type": "string", "example": "invalid"},
                    "title": {"type": "string"},
                    "detail": {"type": "string"},
                    "source": {
                        "type": "object",
                        "properties": {
                            "pointer": {"type": "string", "example": "/data/attributes/name"},
                            "parameter": {"type": "string", "example": "sort"},
                            "header": {"type": "string"},
                        },
                    },
                    "meta": {"type": "object"},
                },
            },
        },
        "meta": {"type": "object"},
        "jsonapi": {"type": "object"},
    },
}

ERROR_DESCRIPTIONS = {
    "400": "A query parameter is unknown or malformed (`source.parameter` names it).",
    "401": "No valid API key (`Authorization: Bearer <key>` or `X-API-KEY`).",
    "403": "The API key is read-only (`read_only_key`): writes need a key with scope `write`.",
    "404": "No such resource in this organization.",
    "406": "The `Accept` header asks only for media types this endpoint cannot send.",
    "409": "The document's `type` (or `id`) does not match the endpoint.",
    "413": "The request body is larger than allowed.",
    "415": "The request's `Content-Type` is not one this endpoint takes.",
    "422": "The document is invalid (`source.pointer` names the member).",
    "429": "Too many requests for this API key; retry after `Retry-After` seconds.",
}

LINK = {"type": "string", "format": "uri", "nullable": True}
META_SCHEMA = {
    "type": "object",
    "description": "The API key's mode, the owning organization and the request id.",
    "properties": {
        "mode": {"type": "string", "enum": ["test", "live"], "nullable": True},
        "organization_id": {"type": "string"},
        "trace_id": {"type": "string", "nullable": True},
    },
}
_INCLUDED = {
    "type": "array",
    "description": "Resources named by `include`.",
    "items": {
        "type": "object",
        "required": ["type", "id"],
        "properties": {"type": {"type": "string"}, "id": {"type": "string"}},
    },
}


def document(data: dict, *, paginated: bool = False) -> dict:
    """A JSON:API top-level document around `data`."""
    links: dict = {"type": "object", "additionalProperties": LINK}
    meta: dict = {"type": "object"}
    if paginated:
        links = {
            "type": "object",
            "properties": {name: LINK for name in ("self", "first", "prev", "next", "last")},
        }
        meta = {
            "type": "object",
            "properties": {
                "record_count": {"type": "integer", "minimum": 0},
                "page_count": {"type": "integer", "minimum": 0},
                "page_size": {"type": "integer", "minimum": 1},
            },
        }
    return {
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": data,
            "included": _INCLUDED,
            "links": links,
            "meta": meta,
            "jsonapi": {"type": "object"},
        },
    }


# Every resource's id is a UUID (its model's primary key).
RESOURCE_ID = {"type": "string", "format": "uuid"}
# DRF's character fields refuse NUL (ProhibitNullCharactersValidator), and blanks where the
# field is not allowed to be blank (minLength 1; surrounding whitespace is trimmed).
NO_NUL = "^[^\\u0000]*$"
NOT_BLANK = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"


def linkage(type_name: str | None, *, many: bool) -> dict:
    identifier = {
        "type": "object",
        "required": ["type", "id"],
        "properties": {
            "type": {"type": "string", **({"enum": [type_name]} if type_name else {})},
            "id": dict(RESOURCE_ID),
        },
    }
    if many:
        return {"type": "array", "items": identifier}
    return {**identifier, "nullable": True}


def _refuse_nul(schema: dict) -> None:
    """A request's free text (a string, or a list of them) may not hold NUL."""
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        schema = schema["items"]
    if schema.get("type") == "string" and not ({"pattern", "format", "enum"} & set(schema)):
        schema["pattern"] = NOT_BLANK if schema.get("minLength", 0) >= 1 else NO_NUL


def _related_type(field) -> str | None:
    """The related resource type, None when the relationship takes several."""
    relation = getattr(field, "child_relation", field)
    if getattr(relation, "polymorphic", False):
        return None
    model = getattr(relation, "model", None) or getattr(
        getattr(relation, "queryset", None), "model", None
    )
    meta = getattr(model, "JSONAPIMeta", None)
    return getattr(meta, "resource_name", None)


class ResourceAutoSchema(JsonApiAutoSchema):
    """Operations described for API users, one tag per resource type, truthful responses."""

    # -- which endpoint is this -------------------------------------------------------------
    @property
    def type_name(self) -> str:
        """The resource type: the path's segment after `/api/` (else its first segment)."""
        segments = [segment for segment in self.path.split("/") if segment]
        if segments[:1] == ["api"]:
            segments = segments[1:]
        return segments[0] if segments else "api"

    @property
    def relationship(self) -> str | None:
        return getattr(self.view, "relationship_name", None)

    @property
    def is_relationship_view(self) -> bool:
        return self.relationship is not None and isinstance(self.view, RelationshipView)

    @property
    def is_related_view(self) -> bool:
        return self.relationship is not None and not self.is_relationship_view

    def _relationship_field(self):
        parent = getattr(self.view, "parent_serializer_class", None) or self.view.serializer_class
        return relationship_fields(parent)[self.relationship]

    def _relationship_is_many(self) -> bool:
        return isinstance(self._relationship_field(), ManyRelatedField)

    # -- words ------------------------------------------------------------------------------
    def get_tags(self) -> list[str]:
        return [self.type_name]

    def get_operation_id(self) -> str:
        if self.relationship is None:
            return super().get_operation_id()
        kind = "relationship" if self.is_relationship_view else "related"
        return f"{self.type_name}_{self.relationship}_{kind}_{self.method.lower()}"

    def _texts(self) -> tuple[str, str]:
        one, many = _words(self.type_name)
        about = TYPE_DESCRIPTIONS.get(self.type_name, f"The organization's {many}.")
        name = self.relationship
        if self.is_relationship_view:
            verb = {
                "GET": ("Get", "Returns the resource identifiers (`type`, `id`) of"),
                "POST": ("Add to", "Adds the given resource identifiers to"),
                "PATCH": ("Replace", "Replaces, with the given resource identifiers,"),
                "DELETE": ("Remove from", "Removes the given resource identifiers from"),
            }[self.method]
            return (
                f"{verb[0]} the {name} relationship of {one}",
                f"{verb[1]} the `{name}` relationship of {one}. {about}",
            )
        if self.is_related_view:
            shape = "a paginated collection" if self._relationship_is_many() else "the resource"
            return (
                f"Fetch the {name.replace('_', ' ')} of {one}",
                f"Returns the `{name}` of {one} as {shape} (`include` and `fields[...]` "
                f"apply to them). {about}",
            )
        summary, description = _ACTION_TEXT.get(
            getattr(self.view, "action", None) or "",
            (f"{self.method} {many}", f"{self.method} on {many}."),
        )
        note = OPERATION_NOTES.get((self.type_name, self.view.action))
        description = description.format(one=one, many=many)
        if note:
            description = f"{description} {note}"
        return summary.format(one=one, many=many), f"{description} {about}"

    def get_summary(self) -> str:
        return self._texts()[0]

    def get_description(self) -> str:
        return self._texts()[1]

    # -- parameters -------------------------------------------------------------------------
    def _resolve_path_parameters(self, variables):
        # The JSON:API library's version assumes one generic `{related_field}` path.
        parameters = AutoSchema._resolve_path_parameters(self, variables)
        for parameter in parameters:
            if parameter["name"] == "id":
                parameter["schema"] = {"type": "string"}
                parameter["description"] = (
                    f"The {_words(self.type_name)[0][2:].strip()}'s id (UUID)"
                    + (
                        ", name or root path"
                        if self.type_name == "skill_collections" and self.relationship is None
                        else ""
                    )
                    + "."
                )
        return parameters

    def _get_serializer(self):
        if self.is_related_view:
            parent = self.view.serializer_class
            serializers = {
                **getattr(parent, "included_serializers", {}),
                **getattr(parent, "related_serializers", {}),
            }
            serializer = serializers.get(self.relationship)
            if serializer is not None:
                if isinstance(serializer, str):
                    serializer = import_string(serializer)
                return serializer(context={"request": self.view.request})
        return super()._get_serializer()

    def _process_override_parameters(self, direction="request"):
        if self.is_relationship_view:
            return AutoSchema._process_override_parameters(self, direction)
        parameters = super()._process_override_parameters(direction)
        if self.relationship is None and getattr(self.view, "action", None) == "retrieve":
            for name in getattr(self.view, "extra_query_params", ()):
                schema, description = EXTRA_PARAMETERS.get(name, ({"type": "string"}, ""))
                parameters[name, "query"] = {
                    "in": "query",
                    "name": name,
                    "schema": schema,
                    "description": description,
                }
        return parameters

    # -- bodies -----------------------------------------------------------------------------
    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if self.is_json_api_resource_serializer(serializer):
            self._patch_resource_object(serializer, schema, direction)
        return schema

    def _patch_resource_object(self, serializer, schema: dict, direction: str) -> None:
        """`mode`/`organization_id`/`trace_id` are `meta`; resources carry links; linkage."""
        properties = schema.setdefault("properties", {})
        attributes = properties.get("attributes", {})
        for name in META_FIELDS:
            attributes.get("properties", {}).pop(name, None)
            if name in attributes.get("required", []):
                attributes["required"].remove(name)
        if direction == "response":
            # Sparse fieldsets (`fields[type]`) may leave any attribute out of an answer.
            attributes.pop("required", None)
            properties.get("relationships", {}).pop("required", None)
            properties["id"] = {"type": "string", "format": "uuid"}
            properties["links"] = {
                "type": "object",
                "properties": {"self": {"type": "string", "format": "uri"}},
            }
            properties["meta"] = META_SCHEMA
        declared = type(serializer)._declared_fields
        for name, relationship in properties.get("relationships", {}).get("properties", {}).items():
            relationship.pop("required", None)
            relationship.pop("nullable", None)
            if direction == "request":  # a relationship object of a write carries its linkage
                relationship["required"] = ["data"]
            field = declared.get(name)
            if field is not None:
                relationship.setdefault("properties", {})["data"] = linkage(
                    _related_type(field), many=isinstance(field, ManyRelatedField)
                )
            if direction == "response":
                relationship["properties"]["links"] = {
                    "type": "object",
                    "properties": {"self": LINK, "related": LINK},
                }
                relationship["properties"]["meta"] = copy.deepcopy(_RELATIONSHIP_META)
        if direction == "request":
            if not properties.get("id"):
                properties["id"] = dict(RESOURCE_ID)
            for value in attributes.get("properties", {}).values():
                _refuse_nul(value)
            if self.method != "PATCH":
                self._require_members(serializer, schema)

    @staticmethod
    def _require_members(serializer, schema: dict) -> None:
        """A create's document needs `attributes` when an attribute is required, and each
        required relationship with its `data` (drf-spectacular-jsonapi requires only `type`);
        relationships are only the serializer's."""
        properties = schema["properties"]
        required = schema.setdefault("required", ["type"])
        if properties.get("attributes", {}).get("required"):
            required.append("attributes")
        relationships = properties.get("relationships", {})
        if relationships:
            relationships["additionalProperties"] = False
        needed = [
            name
            for name in relationships.get("properties", {})
            if name in serializer.fields
            and serializer.fields[name].required
            and not serializer.fields[name].read_only
        ]
        for name in needed:
            relationship = relationships["properties"][name]
            relationship["required"] = ["data"]
            relationship["properties"]["data"].pop("nullable", None)
        if needed:
            relationships["required"] = needed
            required.append("relationships")

    def _resource_ref(self, serializer) -> dict:
        component = self.resolve_serializer(serializer, "response")
        return component.ref

    def _register(self, name: str, schema: dict) -> dict:
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name
        )
        self.registry.register_on_missing(component)
        return component.ref

    def _json(self, description: str, schema: dict | None) -> dict:
        response: dict = {"description": description}
        if schema is not None:
            response["content"] = {JSON_API_MEDIA_TYPE: {"schema": schema}}
        return response

    def _get_request_body(self, direction="request"):
        if self.is_relationship_view:
            if self.method not in ("POST", "PATCH", "DELETE"):
                return None
            field = self._relationship_field()
            schema = {
                "type": "object",
                "required": ["data"],
                "properties": {"data": linkage(_related_type(field), many=True)},
            }
            return {"content": {JSON_API_MEDIA_TYPE: {"schema": schema}}, "required": True}
        return super()._get_request_body(direction)

    def _get_response_bodies(self, direction="response"):
        responses = self._success_responses()
        error = self._register("ErrorDocument", ERROR_DOCUMENT)
        for status in self._error_statuses():
            responses[status] = self._json(ERROR_DESCRIPTIONS[status], error)
        return responses

    def _success_responses(self) -> dict:
        if self.is_relationship_view:
            field = self._relationship_field()
            schema = document(
                linkage(_related_type(field), many=isinstance(field, ManyRelatedField))
            )
            return {"200": self._json("The relationship's resource identifiers.", schema)}
        serializer = self._get_serializer()
        if self.is_related_view:
            ref = self._resource_ref(serializer)
            if self._relationship_is_many():
                schema = document({"type": "array", "items": ref}, paginated=True)
            else:
                schema = document({"allOf": [ref], "nullable": True})
            return {"200": self._json(f"The {self.relationship}.", schema)}
        action = getattr(self.view, "action", None)
        if action == "destroy":
            return {"204": {"description": "Deleted; no content."}}
        ref = self._resource_ref(serializer)
        if action == "list":
            return {
                "200": self._json(
                    "A page of resources.",
                    document({"type": "array", "items": ref}, paginated=True),
                )
            }
        if action == "create":
            return {
                "201": {
                    **self._json("Created.", document(ref)),
                    "headers": {
                        "Location": {
                            "schema": {"type": "string", "format": "uri"},
                            "description": "The new resource's URL.",
                        }
                    },
                }
            }
        response = self._json("The resource.", document(ref))
        if action == "retrieve" and "format" in getattr(self.view, "extra_query_params", ()):
            response["content"].update(ZIP_CONTENT)
        return {"200": response}

    def _error_statuses(self) -> list[str]:
        statuses = ["400", "401", "406", "429"]
        if "{" in self.path:
            statuses.append("404")
        if self.method in ("POST", "PATCH", "DELETE"):
            statuses.append("403")
        if self.method in ("POST", "PATCH") or (
            self.method == "DELETE" and self.is_relationship_view
        ):
            statuses += ["409", "413", "415", "422"]
        return sorted(statuses)


def build_operation(tag: str, operation_id: str, summary: str, description: str, **rest) -> dict:
    return {
        "operationId": operation_id,
        "summary": summary,
        "description": description,
        "tags": [tag],
        **rest,
    }


def error_responses(*statuses: str) -> dict:
    return {
        status: {
            "description": ERROR_DESCRIPTIONS.get(status, "An error."),
            "content": {
                JSON_API_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ErrorDocument"}}
            },
        }
        for status in statuses
    }


KEY_SECURITY = [{"BearerKey": []}, {"ApiKeyHeader": []}]


def path_parameter(name: str, description: str = "", schema: dict | None = None) -> dict:
    """An OpenAPI path parameter (a string unless `schema` says otherwise)."""
    parameter = {
        "name": name,
        "in": "path",
        "required": True,
        "schema": schema or {"type": "string"},
    }
    if description:
        parameter["description"] = description
    return parameter


PATH_ID = path_parameter("id")
# Endpoints outside the JSON:API viewsets are written by hand where they live: an app registers
# a function returning its paths (and the component schemas they refer to) from its
# `AppConfig.ready()`, as the admin's autodiscovery does, and `postprocess` adds them.
PATH_BUILDERS: list[Callable[[], dict]] = []
COMPONENT_SCHEMAS: dict[str, Callable[[], dict]] = {}


def register_paths(build: Callable[[], dict], **schemas: Callable[[], dict]) -> None:
    """Add `build()`'s paths, and each named component schema, to the OpenAPI document."""
    PATH_BUILDERS.append(build)
    COMPONENT_SCHEMAS.update(schemas)


def _extra_paths() -> dict:
    """Endpoints outside the JSON:API viewsets, written by hand."""
    return {
        "/health": {
            "get": build_operation(
                "health",
                "health",
                "Check the service's health",
                "Reports the database, the file storage and the task queue; no API key needed. "
                "`200` when every part is ok, `503` when one is not.",
                security=[],
                responses={
                    status: {
                        "description": description,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["status", "checks"],
                                    "properties": {
                                        "status": {"type": "string", "enum": ["ok", "error"]},
                                        "checks": {
                                            "type": "object",
                                            "additionalProperties": {
                                                "type": "object",
                                                "required": ["status"],
                                                "properties": {"status": {"type": "string"}},
                                            },
                                        },
                                    },
                                }
                            }
                        },
                    }
                    for status, description in (
                        ("200", "Every part is healthy."),
                        ("503", "A part is failing."),
                    )
                },
            )
        },
        "/metrics": {
            "get": build_operation(
                "metrics",
                "metrics",
                "Scrape the Prometheus metrics",
                "The Prometheus text exposition (docs/operations/monitoring.md). Off (`404`) "
                "unless `SKILLPORT_METRICS_TOKEN` is set; then only `Authorization: Bearer "
                "<that token>` is answered, `401` otherwise. Not an API key.",
                security=[{"MetricsToken": []}],
                responses={
                    "200": {
                        "description": "The metrics.",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    **error_responses("401", "404", "405"),
                },
            )
        },
        "/api/downloads/{token}": {
            "get": build_operation(
                "downloads",
                "downloads_retrieve",
                "Download a file through a signed link",
                "Serves the file a signed token names (an export's `attachment_url`, a file "
                "link's `url`). The signature is the authorization: no API key. `403` when the "
                "token was tampered with, `410` once it expired or its link was revoked.",
                security=[],
                parameters=[path_parameter("token", "The signed token of the link.")],
                responses={
                    "200": {
                        "description": "The file, as an attachment.",
                        "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
                    },
                    **error_responses("404", "410"),
                    "403": {
                        **error_responses("403")["403"],
                        "description": "The token was tampered with (`invalid_signature`).",
                    },
                },
            )
        },
    }


def postprocess(result: dict, generator, request, public) -> dict:
    """Add the hand-written endpoints and the documents they refer to."""
    paths = result.setdefault("paths", {})
    for build in (_extra_paths, *PATH_BUILDERS):
        for path, operations in build().items():
            paths.setdefault(path, {}).update(operations)
    schemes = result.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes["BasicKey"] = {
        "type": "http",
        "scheme": "basic",
        "description": "The API key as the password, any user name (git endpoints only).",
    }
    schemes["MetricsToken"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "`SKILLPORT_METRICS_TOKEN` (the metrics endpoint only).",
    }
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ErrorDocument", ERROR_DOCUMENT)
    for name, schema in COMPONENT_SCHEMAS.items():
        schemas[name] = schema()
    return result
