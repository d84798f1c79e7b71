"""The OpenAPI document: how drf-spectacular describes our resources, endpoints and errors.

`ResourceAutoSchema` (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]) writes each operation's summary,
description, tag and responses from the resource type and the action, so no developer
docstring reaches users; `postprocess` (a SPECTACULAR_SETTINGS postprocessing hook) adds the
endpoints that are not DRF viewsets (health, downloads, zip upload, the PromptLayer envelope).
"""

import copy

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
_ZIP_CONTENT = {"application/zip": {"schema": {"type": "string", "format": "binary"}}}


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

_LINK = {"type": "string", "format": "uri", "nullable": True}
_META_SCHEMA = {
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
    links: dict = {"type": "object", "additionalProperties": _LINK}
    meta: dict = {"type": "object"}
    if paginated:
        links = {
            "type": "object",
            "properties": {name: _LINK for name in ("self", "first", "prev", "next", "last")},
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


def linkage(type_name: str | None, *, many: bool) -> dict:
    identifier = {
        "type": "object",
        "required": ["type", "id"],
        "properties": {
            "type": {"type": "string", **({"enum": [type_name]} if type_name else {})},
            "id": {"type": "string"},
        },
    }
    if many:
        return {"type": "array", "items": identifier}
    return {**identifier, "nullable": True}


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
            properties["meta"] = _META_SCHEMA
        declared = type(serializer)._declared_fields
        for name, relationship in properties.get("relationships", {}).get("properties", {}).items():
            relationship.pop("required", None)
            relationship.pop("nullable", None)
            field = declared.get(name)
            if field is not None:
                relationship.setdefault("properties", {})["data"] = linkage(
                    _related_type(field), many=isinstance(field, ManyRelatedField)
                )
            if direction == "response":
                relationship["properties"]["links"] = {
                    "type": "object",
                    "properties": {"self": _LINK, "related": _LINK},
                }
                relationship["properties"]["meta"] = copy.deepcopy(_RELATIONSHIP_META)

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
            response["content"].update(_ZIP_CONTENT)
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


def _operation(tag: str, operation_id: str, summary: str, description: str, **rest) -> dict:
    return {
        "operationId": operation_id,
        "summary": summary,
        "description": description,
        "tags": [tag],
        **rest,
    }


def _errors(*statuses: str) -> dict:
    return {
        status: {
            "description": ERROR_DESCRIPTIONS.get(status, "An error."),
            "content": {
                JSON_API_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ErrorDocument"}}
            },
        }
        for status in statuses
    }


_KEY_SECURITY = [{"BearerKey": []}, {"ApiKeyHeader": []}]
_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
_PIN = [
    {
        "name": "version",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1},
        "description": "Pin a version number (not with `label`).",
    },
    {
        "name": "label",
        "in": "query",
        "schema": {"type": "string"},
        "description": "Pin the version carrying this release label (not with `version`).",
    },
]

PUBLIC_ENVELOPE = {
    "type": "object",
    "description": "PromptLayer's skill collection envelope.",
    "required": ["success"],
    "properties": {
        "success": {"type": "boolean"},
        "skill_collection": {"type": "object"},
        "version": {"type": "object", "nullable": True},
        "files": {"type": "object", "additionalProperties": {"type": "string"}},
        "message": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}

_NULLABLE_INTEGER = {"type": "integer", "minimum": 0, "nullable": True}
_NULLABLE_SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$", "nullable": True}
_VERSION_LINKAGE = {
    "type": "object",
    "required": ["data"],
    "properties": {
        "data": linkage("skill_collection_versions", many=False),
        "links": {"type": "object", "properties": {"related": _LINK}},
    },
}
VERSION_DIFF = {
    "type": "object",
    "description": (
        "What changed from `against_version` (null: the empty tree) to `skill_collection_version`."
    ),
    "required": ["type", "id", "attributes", "relationships"],
    "properties": {
        "type": {"type": "string", "enum": ["skill_collection_version_diffs"]},
        "id": {"type": "string", "description": "`<against id or empty>..<version id>`."},
        "attributes": {
            "type": "object",
            "required": ["number", "against_number", "files", "truncated"],
            "properties": {
                "number": {"type": "integer", "minimum": 1},
                "against_number": {"type": "integer", "minimum": 1, "nullable": True},
                **{
                    name: {"type": "integer", "minimum": 0}
                    for name in (
                        "files_added",
                        "files_removed",
                        "files_changed",
                        "files_unchanged",
                        "lines_added",
                        "lines_removed",
                    )
                },
                "truncated": {
                    "type": "boolean",
                    "description": "Some text files got no diff because of the answer's limits.",
                },
                "limits": {
                    "type": "object",
                    "properties": {
                        name: {"type": "integer"}
                        for name in ("max_file_size", "max_total_size", "max_files")
                    },
                },
                "files": {
                    "type": "array",
                    "description": "The added, removed and changed files, by path.",
                    "items": {
                        "type": "object",
                        "required": ["path", "status", "diff", "diff_omitted"],
                        "properties": {
                            "path": {"type": "string"},
                            "status": {"type": "string", "enum": ["added", "removed", "changed"]},
                            "old_size": _NULLABLE_INTEGER,
                            "new_size": _NULLABLE_INTEGER,
                            "old_sha256": _NULLABLE_SHA256,
                            "new_sha256": _NULLABLE_SHA256,
                            "binary": {
                                "type": "boolean",
                                "nullable": True,
                                "description": "Null when the file was not looked at.",
                            },
                            "diff": {
                                "type": "string",
                                "nullable": True,
                                "description": "A git-style unified diff (text files only).",
                            },
                            "diff_omitted": {
                                "type": "string",
                                "enum": ["binary", "too_large", "limit"],
                                "nullable": True,
                                "description": "Why `diff` is null.",
                            },
                            "lines_added": {"type": "integer", "minimum": 0},
                            "lines_removed": {"type": "integer", "minimum": 0},
                        },
                    },
                },
            },
        },
        "relationships": {
            "type": "object",
            "properties": {
                "skill_collection_version": _VERSION_LINKAGE,
                "against_version": _VERSION_LINKAGE,
            },
        },
        "links": {"type": "object", "properties": {"self": _LINK}},
        "meta": _META_SCHEMA,
    },
}


def _extra_paths() -> dict:
    """Endpoints outside the JSON:API viewsets, written by hand."""
    return {
        "/health": {
            "get": _operation(
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
        "/api/downloads/{token}": {
            "get": _operation(
                "downloads",
                "downloads_retrieve",
                "Download a file through a signed link",
                "Serves the file a signed token names (an export's `attachment_url`, a file "
                "link's `url`). The signature is the authorization: no API key. `403` when the "
                "token was tampered with, `410` once it expired or its link was revoked.",
                security=[],
                parameters=[
                    {
                        "name": "token",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                        "description": "The signed token of the link.",
                    }
                ],
                responses={
                    "200": {
                        "description": "The file, as an attachment.",
                        "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
                    },
                    **_errors("404", "410"),
                    "403": {
                        **_errors("403")["403"],
                        "description": "The token was tampered with (`invalid_signature`).",
                    },
                },
            )
        },
        "/api/skill_collections/{id}/versions": {
            "post": _operation(
                "skill_collections",
                "skill_collections_versions_upload",
                "Upload a zip as a new version of a skill collection",
                "Creates a skill collection version from an `application/zip` body (every "
                "folder with a `SKILL.md` is a skill) and answers `201` with the version. "
                "Hostile archives (absolute paths, `..`, symlinks, zip bombs, invalid "
                "`SKILL.md`, too many or too large files) are a `422` and nothing is stored.",
                security=_KEY_SECURITY,
                parameters=[
                    {**_ID, "description": "The skill collection's id (UUID)."},
                    {
                        "name": "commit_message",
                        "in": "query",
                        "schema": {"type": "string"},
                        "description": "The version's commit message.",
                    },
                    {
                        "name": "release_label",
                        "in": "query",
                        "schema": {"type": "string"},
                        "description": "A release label to put on the new version.",
                    },
                ],
                requestBody={"required": True, "content": _ZIP_CONTENT},
                responses={
                    "201": {
                        "description": "The new version.",
                        "content": {
                            JSON_API_MEDIA_TYPE: {
                                "schema": {
                                    "$ref": "#/components/schemas/SkillCollectionVersionDocument"
                                }
                            }
                        },
                    },
                    **_errors("400", "401", "403", "404", "413", "415", "422", "429"),
                },
            )
        },
        "/api/skill_collection_versions/{id}/diff": {
            "get": _operation(
                "skill_collection_versions",
                "skill_collection_versions_diff",
                "Compare a skill collection version with another",
                "The files added, removed and changed (path, sizes, SHA-256 before and after) "
                "from `against` (default: the previous version; the first version is compared "
                "with the empty tree) to this version, each text file with a git-style unified "
                "diff. Binary files, files larger than `SKILLPORT_SKILLS_DIFF_MAX_FILE_SIZE` and "
                "files beyond the answer's limits (`_DIFF_MAX_TOTAL_SIZE` bytes read, "
                "`_DIFF_MAX_FILES` diffs; then `truncated: true`) have `diff: null` and say why "
                "in `diff_omitted`. An unknown `against` is a `404`, a malformed one a `400`, "
                "both naming it in `source.parameter`.",
                security=_KEY_SECURITY,
                parameters=[
                    {**_ID, "description": "The skill collection version's id (UUID)."},
                    {
                        "name": "against",
                        "in": "query",
                        "schema": {"type": "string", "minLength": 1, "maxLength": 100},
                        "description": (
                            "The version of the same collection to compare with: its number, "
                            "else its release label."
                        ),
                    },
                ],
                responses={
                    "200": {
                        "description": "The diff.",
                        "content": {
                            JSON_API_MEDIA_TYPE: {
                                "schema": {
                                    "$ref": "#/components/schemas/"
                                    "SkillCollectionVersionDiffDocument"
                                }
                            }
                        },
                    },
                    **_errors("400", "401", "404", "406", "429"),
                },
            )
        },
        "/api/public/v2/skill-collections/{identifier}": {
            "get": _operation(
                "compatibility",
                "public_skill_collection_retrieve",
                "Get a skill collection in PromptLayer's shape",
                "PromptLayer-compatible: the collection, its pinned (or newest) version and "
                "its files as `{path: content}` in PromptLayer's envelope; errors as "
                "`{success: false, message, errors}`. `?format=zip` (or `Accept: "
                "application/zip`) answers the version's files as a zip instead.",
                security=_KEY_SECURITY,
                parameters=[
                    {
                        "name": "identifier",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                        "description": "The collection's id (UUID), name or root path.",
                    },
                    *_PIN,
                    {
                        "name": "format",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["zip"]},
                        "description": "`zip` downloads the files as a zip.",
                    },
                ],
                responses={
                    "200": {
                        "description": "The envelope, or the zip with `format=zip`.",
                        "content": {
                            "application/json": {"schema": PUBLIC_ENVELOPE},
                            **_ZIP_CONTENT,
                        },
                    },
                    **{
                        status: {
                            "description": ERROR_DESCRIPTIONS[status],
                            "content": {"application/json": {"schema": PUBLIC_ENVELOPE}},
                        }
                        for status in ("400", "401", "404", "406", "429")
                    },
                },
            )
        },
    }


_GIT_SECURITY = [{"BearerKey": []}, {"BasicKey": []}, {"ApiKeyHeader": []}]
_GIT_ID = {**_ID, "description": "The skill collection's id (UUID)."}


def _git_service_body(service: str, result: str, *errors: str) -> dict:
    """Security, parameters, request and responses of a `POST <repo>/git-<service>`: binary
    pkt-lines in, binary `result` out; `errors` beyond the statuses both services answer."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {
        "security": _GIT_SECURITY,
        "parameters": [_GIT_ID],
        "requestBody": {
            "required": True,
            "content": {f"application/x-git-{service}-request": binary},
        },
        "responses": {
            "200": {
                "description": result,
                "content": {f"application/x-git-{service}-result": binary},
            },
            **_errors("400", "401", "404", "405", "413", "415", "429", *errors),
        },
    }


def _git_paths() -> dict:
    """Git smart HTTP (skills/git/views.py): documented so the endpoints are known; their
    bodies are git's own pkt-line protocol, spoken by `git`, not by hand."""
    tag = "git"
    return {
        "/git/skill_collections/{id}.git/info/refs": {
            "get": _operation(
                tag,
                "git_info_refs",
                "Advertise a skill collection repository's refs (git smart HTTP)",
                "The first request of `git clone`/`git fetch` (`service=git-upload-pack`) or "
                "`git push` (`service=git-receive-pack`): the refs (`main`, a branch per "
                "release label, a `v<N>` tag per version) and capabilities. Any other service, "
                "or none (git's dumb protocol), is a `403`. The API key goes "
                "as a Bearer header (`git config http.<url>.extraHeader`) or as the HTTP Basic "
                "password (any user name); without one the `401` carries "
                '`WWW-Authenticate: Basic realm="Skillport"` so git asks for credentials.',
                security=_GIT_SECURITY,
                parameters=[
                    _GIT_ID,
                    {
                        "name": "service",
                        "in": "query",
                        "required": True,
                        "schema": {
                            "type": "string",
                            "enum": ["git-upload-pack", "git-receive-pack"],
                        },
                        "description": "The git service: fetching or pushing.",
                    },
                ],
                responses={
                    "200": {
                        "description": "The pkt-line ref advertisement.",
                        "content": {
                            f"application/x-{service}-advertisement": {
                                "schema": {"type": "string", "format": "binary"}
                            }
                            for service in ("git-upload-pack", "git-receive-pack")
                        },
                    },
                    **_errors("401", "404", "405", "429"),
                    "403": {
                        **_errors("403")["403"],
                        "description": (
                            "Not git's smart protocol (`unsupported_service`), or a push "
                            "(`service=git-receive-pack`) with a read-only key "
                            "(`read_only_key`) or to a plugin or marketplace "
                            "(`read_only_repository`)."
                        ),
                    },
                },
            )
        },
        "/git/skill_collections/{id}.git/git-upload-pack": {
            "post": _operation(
                tag,
                "git_upload_pack",
                "Send a pack of a skill collection repository (git smart HTTP)",
                "The negotiation of `git clone`/`git fetch` (wants and haves, pkt-lines, "
                "optionally gzip-encoded) answered with a packfile of the missing objects. A "
                "malformed request is a `400`; one larger than "
                "`SKILLPORT_SKILLS_GIT_MAX_REQUEST_SIZE` a `413`.",
                **_git_service_body("upload-pack", "The pack, in git's side-band pkt-lines."),
            )
        },
        "/git/skill_collections/{id}.git/git-receive-pack": {
            "post": _operation(
                tag,
                "git_receive_pack",
                "Push to a skill collection repository: create a version (git smart HTTP)",
                "The ref updates and pack of `git push` (pkt-lines). A push to `main`, or to "
                "the branch of an existing release label, creates one new version from the "
                "pushed tip's tree (the commit message is the version's; a label branch gives "
                "the version that label), validated like an upload. Refusals (invalid "
                "`SKILL.md`, path or size limits, non-fast-forward, tags, new branches, deletes) "
                "are `200` answers carrying git's `ng <ref> <reason>`, the reason also on "
                "side-band channel 2 (`remote:` lines); nothing is stored then. A read-only key "
                "(scope `read`) is a `403` (`read_only_key`), as at `info/refs`. A malformed "
                "request is a `400`; one larger than `SKILLPORT_SKILLS_GIT_MAX_PUSH_SIZE` a "
                "`413`.",
                **_git_service_body(
                    "receive-pack", "git's report-status, in side-band pkt-lines.", "403"
                ),
            )
        },
    }


# Plugin and marketplace repositories (skills/git/bundle_repo.py): their refs, by resource type.
_GIT_BUNDLES = {
    "skill_plugins": ("plugin", "`main` and a `<name>--v<version>` tag per commit"),
    "skill_marketplaces": ("marketplace", "`main`"),
}


def _git_bundle_paths() -> dict:
    """The collection repository's two operations, for plugin and marketplace repositories
    (laid out like their zip exports; a plugin whose skills share a name is a `409`)."""
    collection = _git_paths()
    paths = {}
    for resource, (noun, refs) in _GIT_BUNDLES.items():
        for suffix, method, name in (
            ("info/refs", "get", "info_refs"),
            ("git-upload-pack", "post", "upload_pack"),
        ):
            operation = copy.deepcopy(collection[f"/git/skill_collections/{{id}}.git/{suffix}"])
            operation = operation[method]
            operation["operationId"] = f"git_{noun}_{name}"
            operation["summary"] = operation["summary"].replace("skill collection", noun)
            operation["parameters"][0] = {**_ID, "description": f"The {noun}'s id (UUID)."}
            operation["description"] = (
                operation["description"].replace(
                    "(`main`, a branch per release label, a `v<N>` tag per version)", f"({refs})"
                )
                + f" The {noun} repository holds the {noun} zip export's files."
            )
            operation["responses"]["409"] = {
                **_errors("409")["409"],
                "description": "The plugin cannot be laid out (two of its skills share a name).",
            }
            paths[f"/git/{resource}/{{id}}.git/{suffix}"] = {method: operation}
    return paths


def postprocess(result: dict, generator, request, public) -> dict:
    """Add the hand-written endpoints and the documents they refer to."""
    paths = result.setdefault("paths", {})
    for path, operations in {**_extra_paths(), **_git_paths(), **_git_bundle_paths()}.items():
        paths.setdefault(path, {}).update(operations)
    schemes = result.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes["BasicKey"] = {
        "type": "http",
        "scheme": "basic",
        "description": "The API key as the password, any user name (git endpoints only).",
    }
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ErrorDocument", ERROR_DOCUMENT)
    schemas["SkillCollectionVersionDocument"] = document(
        {"$ref": "#/components/schemas/SkillCollectionVersion"}
    )
    schemas["SkillCollectionVersionDiffDocument"] = document(VERSION_DIFF)
    return result
