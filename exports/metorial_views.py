"""Metorial-compatible skill exports at the root: `/skill-exports` and `/skill-exports/{id}`.

Same data, tenancy, service and worker as `/api/skill_exports`; Metorial's objects, list envelope
and errors (see `exports/metorial.py`).
"""

from __future__ import annotations

import re
import uuid

from django.urls import reverse
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from exports import metorial, selectors, skill_exports
from exports.models import SkillExport
from skills.models import Skill, SkillMarketplace, SkillPlugin

TAG = "Metorial-compatible"
FILTERS = {
    "id": None,  # any export id
    "target": [choice for choice, _ in SkillExport.Target.choices],
    "status": [choice for choice, _ in SkillExport.Status.choices],
}
LIST_PARAMETERS = {"limit", "after", "before", "cursor", "order", *FILTERS}
# `status`, `status[]` and `status[0]` all name the `status` filter (Metorial's array forms).
ARRAY_FORM = re.compile(r"^(?P<name>\w+)\[\d*\]$")
# The body's id field -> (relationship on SkillExport, the model it points to).
BODY_TARGETS = {
    "skill_id": ("skill", Skill),
    "skill_plugin_id": ("skill_plugin", SkillPlugin),
    "skill_marketplace_id": ("skill_marketplace", SkillMarketplace),
}

ERRORS = {
    code: OpenApiResponse(metorial.MetorialErrorSerializer, description=description)
    for code, description in {
        400: "Malformed body or query parameter (`bad_request`, `invalid_query`).",
        401: "Missing or invalid API key (`unauthorized`).",
        404: "No such skill export in this organization (`not_found`).",
        405: "Method not allowed (`method_not_allowed`).",
        415: "The body is not `application/json` (`unsupported_media_type`).",
        422: "The body's fields are invalid (`invalid_data`, with `errors[].path`).",
        429: "The key's rate limit is exceeded (`too_many_requests`, `Retry-After`).",
        500: "Unexpected error (`internal_server_error`).",
    }.items()
}


def _parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError):
        return None


class MetorialView(APIView):
    """Plain JSON in and out, Metorial's error object for every failure."""

    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    content_negotiation_class = metorial.PlainJsonNegotiation
    schema = AutoSchema()

    def get_exception_handler(self):
        return metorial.exception_handler

    def present(self, export: SkillExport) -> dict:
        return metorial.MetorialSkillExportSerializer(
            export, context={"request": self.request}
        ).data


def _list_values(query, name: str) -> list[str]:
    """Every value given for filter `name`, in any of its spellings, comma-separated or not."""
    values = []
    for key in query:
        match = ARRAY_FORM.match(key)
        if key == name or (match and match.group("name") == name):
            for raw in query.getlist(key):
                values += [part.strip() for part in raw.split(",") if part.strip()]
    return values


class SkillExportCollectionView(MetorialView):
    serializer_class = metorial.MetorialSkillExportSerializer  # for the schema generator

    @extend_schema(
        operation_id="metorial_skill_exports_list",
        tags=[TAG],
        summary="List skill exports (Metorial-compatible)",
        description=(
            "Metorial's `GET /skill-exports`: the organization's skill exports in Metorial's list "
            "envelope `{items, pagination: {has_more_before, has_more_after}}`, ordered by "
            "creation time (`order=desc`, newest first, by default). `after`/`before` take the id "
            "of an export from a previous page (`cursor` is the same as `after`); `id`, "
            "`target` and `status` take one value or several (`status=a&status=b`, "
            "`status[]=a&status[]=b`, `status[0]=a` or `status=a,b`)."
        ),
        parameters=[
            OpenApiParameter("limit", int, description="1 to 100 (default 10)."),
            OpenApiParameter("after", str, description="Id of the export to continue after."),
            OpenApiParameter("before", str, description="Id of the export to stop before."),
            OpenApiParameter("cursor", str, description="Same as `after`."),
            OpenApiParameter("order", str, enum=["asc", "desc"], description="Default `desc`."),
            OpenApiParameter("id", {"type": "array", "items": {"type": "string"}}, explode=True),
            OpenApiParameter(
                "target", {"type": "array", "items": {"type": "string", "enum": FILTERS["target"]}}
            ),
            OpenApiParameter(
                "status", {"type": "array", "items": {"type": "string", "enum": FILTERS["status"]}}
            ),
        ],
        responses={200: metorial.MetorialSkillExportListSerializer, **ERRORS},
    )
    def get(self, request):
        query = request.query_params
        for key in query:
            match = ARRAY_FORM.match(key)
            if (match.group("name") if match else key) not in LIST_PARAMETERS:
                known = ", ".join(sorted(LIST_PARAMETERS))
                raise metorial.invalid_query(
                    key, f"Unknown query parameter '{key}'; known: {known}."
                )
        limit = self._limit(query.get("limit"))
        order = query.get("order", "desc")
        if order not in ("asc", "desc"):
            raise metorial.invalid_query("order", "'order' is 'asc' or 'desc'.")
        exports = selectors.skill_exports_for(request.auth)
        for name, choices in FILTERS.items():
            values = _list_values(query, name)
            if not values:
                continue
            for value in values:
                valid = _parse_uuid(value) is not None if choices is None else value in choices
                if not valid:
                    expected = "an export id" if choices is None else f"one of {', '.join(choices)}"
                    raise metorial.invalid_query(name, f"'{value}' is not {expected}.")
            exports = exports.filter(**{f"{name}__in": values})
        anchors = {name: query[name] for name in ("after", "before", "cursor") if query.get(name)}
        if len(anchors) > 1:
            raise metorial.invalid_query(
                next(iter(anchors)), "Give at most one of 'after', 'before' and 'cursor'."
            )
        after = before = None
        if anchors:
            [(name, value)] = anchors.items()
            anchor = self._anchor(name, value)
            after, before = (anchor, None) if name != "before" else (None, anchor)
        page = selectors.keyset_page(
            exports, limit=limit, descending=order == "desc", after=after, before=before
        )
        body = {
            "items": page.items,
            "pagination": {
                "has_more_before": page.has_more_before,
                "has_more_after": page.has_more_after,
            },
        }
        return Response(
            metorial.MetorialSkillExportListSerializer(body, context={"request": request}).data
        )

    def _limit(self, raw: str | None) -> int:
        if raw is None:
            return metorial.default_limit()
        highest = metorial.max_limit()
        if not raw.isdigit() or not 1 <= int(raw) <= highest:
            raise metorial.invalid_query("limit", f"'limit' is a whole number from 1 to {highest}.")
        return int(raw)

    def _anchor(self, name: str, value: str) -> SkillExport:
        pk = _parse_uuid(value)
        anchor = (
            selectors.for_tenant(SkillExport.objects, self.request.auth).filter(pk=pk).first()
            if pk
            else None
        )
        if anchor is None:
            raise metorial.invalid_query(
                name, f"'{name}' is the id of one of your skill exports; '{value}' is not."
            )
        return anchor

    @extend_schema(
        operation_id="metorial_skill_exports_create",
        tags=[TAG],
        summary="Create a skill export (Metorial-compatible)",
        description=(
            "Metorial's `POST /skill-exports` with a flat JSON body: `target` (`skill`, "
            "`plugin` or `marketplace`) and exactly the matching id (`skill_id`, "
            "`skill_plugin_id` or `skill_marketplace_id`). Answers `201` with the pending "
            "`skill.export`; the worker builds the zip, then `file` and `file_link` appear."
        ),
        request=metorial.MetorialCreateSkillExportSerializer,
        responses={201: metorial.MetorialSkillExportSerializer, **ERRORS},
    )
    def post(self, request):
        body = request.data
        if not isinstance(body, dict):
            raise metorial.MetorialError(400, "bad_request", "The body must be a JSON object.")
        errors: dict[str, list[str]] = {}
        unknown = sorted(set(body) - {"target", *BODY_TARGETS})
        for name in unknown:
            errors[name] = ["Unknown field."]
        target = body.get("target")
        if target is None:
            errors["target"] = ["This field is required."]
        elif target not in FILTERS["target"]:
            errors["target"] = [f"'{target}' is not one of {', '.join(FILTERS['target'])}."]
        subjects = {}
        for field, (relationship, model) in BODY_TARGETS.items():
            value = body.get(field)
            if value is None:
                continue
            pk = _parse_uuid(value) if isinstance(value, str) else None
            subject = (
                selectors.for_tenant(model.objects, request.auth).filter(pk=pk).first()
                if pk
                else None
            )
            if subject is None:
                errors[field] = [f"No {model._meta.verbose_name} has the id '{value}'."]
            subjects[relationship] = subject
        if not errors:
            fields = {relationship: field for field, (relationship, _) in BODY_TARGETS.items()}
            labels = {relationship: f"'{field}'" for relationship, field in fields.items()}
            relationship_errors = skill_exports.target_errors(target, subjects, labels)
            errors = {fields[name]: messages for name, messages in relationship_errors.items()}
        if errors:
            raise metorial.invalid_data(errors)
        relationship = SkillExport.TARGET_RELATIONSHIPS[target]
        export = skill_exports.create_skill_export(
            organization=request.auth.organization,
            member=request.user,
            target=target,
            subject=subjects[relationship],
        )
        export = selectors.skill_exports_for(request.auth).get(pk=export.pk)
        location = request.build_absolute_uri(
            reverse("metorial-skill-export", kwargs={"pk": export.pk})
        )
        return Response(self.present(export), status=201, headers={"Location": location})


class SkillExportDetailView(MetorialView):
    serializer_class = metorial.MetorialSkillExportSerializer  # for the schema generator

    @extend_schema(
        operation_id="metorial_skill_exports_get",
        tags=[TAG],
        summary="Get a skill export (Metorial-compatible)",
        description=(
            "Metorial's `GET /skill-exports/{skill_export_id}`: poll until `status` is "
            "`completed` (or `failed`), then download `file_link.url` with no API key."
        ),
        responses={200: metorial.MetorialSkillExportSerializer, **ERRORS},
    )
    def get(self, request, pk):
        export = selectors.skill_exports_for(request.auth).filter(pk=pk).first()
        if export is None:
            raise metorial.MetorialError(
                404, "not_found", "The requested skill export could not be found."
            )
        return Response(self.present(export))


class NotFoundView(MetorialView):
    """Any other path under `/skill-exports/`: a 404 in Metorial's shape, never Django's."""

    schema = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise metorial.MetorialError(404, "not_found", "There is nothing at this path.")
