"""`POST /api/operations` in the OpenAPI document (written by hand: it is no resource viewset)."""

from api.conf import api_conf
from api.negotiation import JSON_API_MEDIA_TYPE
from api.operations.made import registered
from api.operations.views import ATOMIC_MEDIA_TYPE
from api.schema import ERROR_DESCRIPTIONS, KEY_SECURITY, build_operation, register_paths

_IDENTIFIER = {
    "type": "object",
    "required": ["type"],
    "properties": {
        "type": {"type": "string"},
        "id": {"type": "string"},
        "lid": {"type": "string", "description": "A local id an earlier `add` gave."},
    },
}
_REF = {
    **_IDENTIFIER,
    "description": "The target: a resource, or one of its relationships.",
    "properties": {**_IDENTIFIER["properties"], "relationship": {"type": "string"}},
}


def _made_lids() -> str:
    """What an add may name besides its own resource (`api/operations/made.py`)."""
    return "".join(
        f" An `add` of `{type_name}` may give local ids to the `{made.type}` it makes: "
        f"`meta.{made.member}`, an object of their `{made.key}` -> lid; later operations "
        f'use `{{"type": "{made.type}", "lid": ...}}` in place of their ids.'
        for type_name, made in sorted(registered().items())
    )


def operations_document() -> dict:
    return {
        "type": "object",
        "description": "A request of the Atomic Operations extension.",
        "required": ["atomic:operations"],
        "properties": {
            "atomic:operations": {
                "type": "array",
                "minItems": 1,
                "maxItems": int(api_conf.MAX_ATOMIC_OPERATIONS),
                "items": {
                    "type": "object",
                    "required": ["op"],
                    "properties": {
                        "op": {"type": "string", "enum": ["add", "update", "remove"]},
                        "ref": _REF,
                        "data": {
                            "nullable": True,
                            "description": "A resource object (`add`/`update` of a resource) "
                            "or linkage (a relationship operation)." + _made_lids(),
                        },
                        "meta": {"type": "object"},
                    },
                },
            },
            "meta": {"type": "object"},
        },
    }


def results_document() -> dict:
    return {
        "type": "object",
        "description": "One result per operation, in order; `data` for a resource added or "
        "updated, `{}` otherwise.",
        "required": ["atomic:results"],
        "properties": {
            "atomic:results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "data": {**_IDENTIFIER, "required": ["type", "id"]},
                        "meta": {"type": "object"},
                    },
                },
            },
            "meta": {"type": "object"},
        },
    }


_ERRORS = {
    **ERROR_DESCRIPTIONS,
    "400": "The document is malformed (`source.pointer` names the member), or a `lid` is unknown "
    "or given twice.",
    "403": "The API key is read-only (`read_only_key`), or an operation is not supported on "
    "its type (`operation_not_supported`).",
    "404": "An operation names a type, resource or relationship that does not exist here.",
    "406": "Every JSON:API media type in `Accept` names an unsupported extension.",
    "409": "An operation's `type` or `id` does not match its target.",
    "413": "More operations than the limit (`SKILLPORT_MAX_ATOMIC_OPERATIONS`), or too large "
    "a body.",
    "415": "`Content-Type` is not the JSON:API media type with "
    '`ext="https://jsonapi.org/ext/atomic"`.',
    "422": "An operation's document is invalid: `source.pointer` is "
    "`/atomic:operations/<n>/data/...`; or a key of an add's `meta` lid declaration names "
    "nothing the add made (`unknown_made_key`).",
}


def _error(status: str) -> dict:
    schema = {"schema": {"$ref": "#/components/schemas/ErrorDocument"}}
    return {
        "description": _ERRORS[status],
        "content": {ATOMIC_MEDIA_TYPE: schema, JSON_API_MEDIA_TYPE: schema},
    }


def _paths() -> dict:
    return {
        "/api/operations": {
            "post": build_operation(
                "operations",
                "operations_create",
                "Run atomic operations",
                "Adds, updates and removes resources and relationships of any writable type "
                "in one transaction: every operation or none (the JSON:API Atomic Operations "
                "extension). An `add` may give its resource a `lid` that later operations use "
                "in place of the id. Each operation has the validation, tenancy, key scope, "
                "events and webhooks of its own endpoint; events are emitted only when the "
                "whole request commits.",
                security=KEY_SECURITY,
                requestBody={
                    "required": True,
                    "content": {
                        ATOMIC_MEDIA_TYPE: {
                            "schema": {"$ref": "#/components/schemas/AtomicOperationsDocument"}
                        }
                    },
                },
                responses={
                    "200": {
                        "description": "Every operation ran; one result per operation.",
                        "content": {
                            ATOMIC_MEDIA_TYPE: {
                                "schema": {"$ref": "#/components/schemas/AtomicResultsDocument"}
                            }
                        },
                    },
                    "204": {"description": "Every operation ran; none has a result with data."},
                    **{
                        status: _error(status)
                        for status in (
                            "400",
                            "401",
                            "403",
                            "404",
                            "406",
                            "409",
                            "413",
                            "415",
                            "422",
                            "429",
                        )
                    },
                },
            )
        }
    }


register_paths(
    _paths,
    AtomicOperationsDocument=operations_document,
    AtomicResultsDocument=results_document,
)
