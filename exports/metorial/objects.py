"""Metorial's shapes for skill exports: its objects, its list envelope, its errors.

Clients written against Metorial's API (https://metorial.com/api/skill-exports) change only their
base URL. These serializers render the objects and document them in OpenAPI (one source for
both); the views are in `exports/metorial/views.py`.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import UTC
from http import HTTPStatus

from django.http import Http404
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response

from api.errors import METORIAL_FRAMEWORK_CODES, headers_of, kind_of, metorial_body, metorial_error
from api.exceptions import HeaderError, error_headers, framework_exception, set_rollback
from core.errors import DomainError, InvalidParameter
from exports.conf import exports_conf
from exports.models import SkillExport
from files import selectors as file_selectors
from files.models import File, FileLink

logger = logging.getLogger(__name__)

# Namespace of the team `assignment_id`s: stable, opaque, derived from the member and the team.
ASSIGNMENT_NAMESPACE = uuid.UUID("5b0f6f52-6c1d-4f39-9a55-3c1f4b9e2a10")
# Metorial's actor types; a service member is Skillport's machine actor.
ACTOR_TYPES = {"user": "member", "service": "machine_access"}


def default_limit() -> int:
    return int(exports_conf.METORIAL_DEFAULT_LIMIT)


def max_limit() -> int:
    return int(exports_conf.METORIAL_MAX_LIMIT)


# --- objects ----------------------------------------------------------------------------------


class MetorialDateTimeField(serializers.Field):
    """ISO 8601 in UTC with milliseconds and `Z`, like Metorial's `2025-08-12T09:45:15.493Z`."""

    def __init__(self, nullable: bool = False, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)
        schema = {"type": "string", "format": "date-time"}
        self._spectacular_annotation = {
            "field": {**schema, "nullable": True} if nullable else schema
        }

    def to_representation(self, value) -> str | None:
        if value is None:
            return None
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def get_attribute(self, instance):
        return getattr(instance, self.source_attrs[0], None)


class ConstantField(serializers.Field):
    """A fixed string such as `object: "skill.export"`, documented as a one-value enum."""

    def __init__(self, value: str, **kwargs):
        self.value = value
        super().__init__(read_only=True, source="*", **kwargs)
        self._spectacular_annotation = {"field": {"type": "string", "enum": [value]}}

    def to_representation(self, instance) -> str:
        return self.value


class MetorialTeamSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="team.pk", read_only=True)
    name = serializers.CharField(source="team.name", read_only=True)
    slug = serializers.CharField(source="team.slug", read_only=True)
    assignment_id = serializers.UUIDField(read_only=True)


class MetorialOrganizationActorSerializer(serializers.Serializer):
    object = ConstantField("organization.actor")
    id = serializers.UUIDField(source="pk", read_only=True)
    type = serializers.SerializerMethodField()
    organization_id = serializers.UUIDField(read_only=True)
    name = serializers.SerializerMethodField()
    email = serializers.EmailField(read_only=True)
    image_url = serializers.SerializerMethodField()
    teams = serializers.SerializerMethodField()

    def get_type(self, member) -> str:
        return ACTOR_TYPES.get(member.member_type, "member")

    def get_name(self, member) -> str:
        return member.name or member.email

    def get_image_url(self, member) -> str | None:
        return member.image_url or None

    @extend_schema_field(MetorialTeamSerializer(many=True))
    def get_teams(self, member) -> list[dict]:
        # `teams.all()` reads the prefetched teams (selectors.skill_exports_for).
        assignments = [
            {
                "team": team,
                "assignment_id": uuid.uuid5(ASSIGNMENT_NAMESPACE, f"{member.pk}:{team.pk}"),
            }
            for team in member.teams.all()
        ]
        return MetorialTeamSerializer(assignments, many=True).data


class MetorialActorSerializer(serializers.Serializer):
    """Metorial's `created_by`: `{"type": "organization_actor", "organization_actor": {...}}`."""

    type = ConstantField("organization_actor")
    organization_actor = MetorialOrganizationActorSerializer(source="*", read_only=True)


class MetorialFileSerializer(serializers.Serializer):
    object = ConstantField("file")
    id = serializers.UUIDField(read_only=True)
    status = serializers.ChoiceField(choices=File.Status.choices, read_only=True)
    file_name = serializers.CharField(read_only=True)
    file_size = serializers.IntegerField(read_only=True)
    file_type = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    purpose = serializers.ChoiceField(choices=File.Purpose.choices, read_only=True)
    created_by = MetorialActorSerializer(read_only=True, allow_null=True)
    created_at = MetorialDateTimeField()
    updated_at = MetorialDateTimeField()


class MetorialFileLinkSerializer(serializers.Serializer):
    object = ConstantField("file.file_link")
    id = serializers.UUIDField(read_only=True)
    file_id = serializers.UUIDField(read_only=True)
    url = serializers.SerializerMethodField()
    created_at = MetorialDateTimeField()
    expires_at = MetorialDateTimeField()

    def get_url(self, link: FileLink) -> str | None:
        """The signed download URL (no key needed); null once revoked or its file deleted."""
        if link.revoked_at is not None or link.file.status != File.Status.ACTIVE:
            return None
        return file_selectors.link_url(link, self.context.get("request"))


class MetorialSkillExportSerializer(serializers.Serializer):
    """Metorial's `skill.export` object."""

    object = ConstantField("skill.export")
    id = serializers.UUIDField(read_only=True)
    target = serializers.ChoiceField(choices=SkillExport.Target.choices, read_only=True)
    status = serializers.ChoiceField(choices=SkillExport.Status.choices, read_only=True)
    file = MetorialFileSerializer(read_only=True, allow_null=True)
    file_link = MetorialFileLinkSerializer(read_only=True, allow_null=True)
    created_by = MetorialActorSerializer(read_only=True, allow_null=True)
    created_at = MetorialDateTimeField()
    started_at = MetorialDateTimeField(nullable=True)
    completed_at = MetorialDateTimeField(nullable=True)


class MetorialPaginationSerializer(serializers.Serializer):
    has_more_before = serializers.BooleanField(read_only=True)
    has_more_after = serializers.BooleanField(read_only=True)


class MetorialSkillExportListSerializer(serializers.Serializer):
    """Metorial's list envelope."""

    items = MetorialSkillExportSerializer(many=True, read_only=True)
    pagination = MetorialPaginationSerializer(read_only=True)


# The request body of `POST /skill-exports` (documentation only; parsed in the view, which
# refuses any other member).
CREATE_BODY_SCHEMA = {
    "type": "object",
    "required": ["target"],
    "additionalProperties": False,
    "properties": {
        "target": {"type": "string", "enum": [value for value, _ in SkillExport.Target.choices]},
        **{
            name: {"type": "string", "format": "uuid", "nullable": True}
            for name in ("skill_id", "skill_plugin_id", "skill_marketplace_id")
        },
    },
}


class MetorialErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    path = serializers.ListField(child=serializers.CharField())


class MetorialErrorSerializer(serializers.Serializer):
    """Metorial's error object."""

    object = ConstantField("error")
    status = serializers.IntegerField()
    code = serializers.CharField()
    message = serializers.CharField()
    errors = MetorialErrorDetailSerializer(many=True, required=False)


# --- requests ---------------------------------------------------------------------------------

TARGETS = [choice for choice, _ in SkillExport.Target.choices]
STATUSES = [choice for choice, _ in SkillExport.Status.choices]
# The list filters and their allowed values (None: an export id).
FILTERS: dict[str, list[str] | None] = {"id": None, "target": TARGETS, "status": STATUSES}
LIST_PARAMETERS = {"limit", "after", "before", "cursor", "order", *FILTERS}
ANCHORS = ("after", "before", "cursor")
# `status`, `status[]` and `status[0]` all name the `status` filter (Metorial's array forms).
ARRAY_FORM = re.compile(r"^(?P<name>\w+)\[\d*\]$")
# The create body's id fields -> the relationship on SkillExport each one sets.
BODY_TARGETS = {
    "skill_id": "skill",
    "skill_plugin_id": "skill_plugin",
    "skill_marketplace_id": "skill_marketplace",
}


def parse_uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _parameter_name(key: str) -> str:
    match = ARRAY_FORM.match(key)
    return match.group("name") if match else key


@dataclass
class ListQuery:
    limit: int
    descending: bool
    filters: dict[str, list[str]]
    anchor: tuple[str, uuid.UUID] | None  # ("after" | "before" | "cursor", export id)


def parse_list_query(query) -> ListQuery:
    """`GET /skill-exports`'s query string, checked; anything unknown or malformed is a 400."""
    for key in query:
        if _parameter_name(key) not in LIST_PARAMETERS:
            known = ", ".join(sorted(LIST_PARAMETERS))
            raise invalid_query(key, f"Unknown query parameter '{key}'; known: {known}.")
    raw_limit, highest = query.get("limit"), max_limit()
    if raw_limit is not None and not (raw_limit.isdigit() and 1 <= int(raw_limit) <= highest):
        raise invalid_query("limit", f"'limit' is a whole number from 1 to {highest}.")
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise invalid_query("order", "'order' is 'asc' or 'desc'.")
    filters = {}
    for name, choices in FILTERS.items():
        values = [
            part.strip()
            for key in query
            if _parameter_name(key) == name
            for raw in query.getlist(key)
            for part in raw.split(",")
            if part.strip()
        ]
        for value in values:
            if (parse_uuid(value) is None) if choices is None else value not in choices:
                expected = "an export id" if choices is None else f"one of {', '.join(choices)}"
                raise invalid_query(name, f"'{value}' is not {expected}.")
        if values:
            filters[name] = values
    given = [name for name in ANCHORS if query.get(name)]
    if len(given) > 1:
        raise invalid_query(given[0], "Give at most one of 'after', 'before' and 'cursor'.")
    anchor = None
    if given:
        name = given[0]
        pk = parse_uuid(query[name])
        if pk is None:
            raise anchor_not_found(name, query[name])
        anchor = (name, pk)
    return ListQuery(
        limit=int(raw_limit) if raw_limit is not None else default_limit(),
        descending=order == "desc",
        filters=filters,
        anchor=anchor,
    )


def parse_create_body(body) -> tuple[str, dict[str, uuid.UUID | None], dict[str, list[str]]]:
    """`POST /skill-exports`'s body: the target, the ids given (None when malformed) by body
    field, and the errors found so far by body field. Not a JSON object: a 400."""
    if not isinstance(body, dict):
        raise MetorialError(400, "bad_request", "The body must be a JSON object.")
    errors: dict[str, list[str]] = {
        name: ["Unknown field."] for name in sorted(set(body) - {"target", *BODY_TARGETS})
    }
    target = body.get("target")
    if target is None:
        errors["target"] = ["This field is required."]
    elif target not in TARGETS:
        errors["target"] = [f"'{target}' is not one of {', '.join(TARGETS)}."]
    ids = {field: parse_uuid(body[field]) for field in BODY_TARGETS if body.get(field) is not None}
    for field, pk in ids.items():
        if pk is None:
            errors[field] = [f"'{body[field]}' is not an id."]
    return target, ids, errors


# --- errors -----------------------------------------------------------------------------------


class MetorialError(exceptions.APIException):
    """A refusal of this surface's own protocol (e.g. a body that is not a JSON object), in
    Metorial's shape; the services' refusals are domain errors, rendered by `api.errors`."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message, code)
        self.status_code = status
        self.code = code


def invalid_query(parameter: str, message: str) -> InvalidParameter:
    return InvalidParameter(parameter, message)


def anchor_not_found(name: str, value: str) -> InvalidParameter:
    return invalid_query(
        name, f"'{name}' is the id of one of your skill exports; '{value}' is not."
    )


def exception_handler(exc, context) -> Response:
    """Every error on the Metorial surface, expected or not, as Metorial's error object."""
    # A 404 here always speaks of skill exports, whatever Django's message said.
    exc = framework_exception(exceptions.NotFound() if isinstance(exc, Http404) else exc)
    headers = {}
    if isinstance(exc, DomainError):
        status, body, headers = kind_of(exc).status, metorial_error(exc), headers_of(exc)
    elif isinstance(exc, MetorialError):
        status, body = exc.status_code, metorial_body(exc.status_code, exc.code, str(exc.detail))
    elif isinstance(exc, HeaderError):  # Idempotency-Key: its own code, as under /api
        status = exc.status_code
        body = metorial_body(status, str(exc.get_codes()), str(exc.detail))
    elif isinstance(exc, exceptions.APIException):
        status, headers = exc.status_code, error_headers(exc)
        message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
        if isinstance(exc, exceptions.NotFound) and str(exc.detail) == str(
            exceptions.NotFound.default_detail
        ):
            message = "The requested skill export could not be found."
        code = METORIAL_FRAMEWORK_CODES.get(status, "error")
        if isinstance(exc, exceptions.PermissionDenied) and exc.get_codes() != exc.default_code:
            code = exc.get_codes()  # a refusal with its own reason, e.g. `read_only_key`
        body = metorial_body(status, code, str(message))
    else:
        view = context.get("view")
        logger.exception("Unhandled error in %s", type(view).__name__ if view else "view")
        status = 500
        body = metorial_body(500, "internal_server_error", "The server hit an unexpected error.")
    set_rollback()
    return Response(body, status=status, headers=headers)


class PlainJsonNegotiation(DefaultContentNegotiation):
    """Always answer plain JSON, whatever `Accept` says (errors included): never HTML."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
