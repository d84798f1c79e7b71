"""Metorial-compatible skill exports at the root: `/skill-exports` and `/skill-exports/{id}`.

Same data, tenancy, service and worker as `/api/skill_exports`; Metorial's objects, list envelope
and errors (see `exports/metorial/objects.py`).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import reverse
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from api.idempotency import IdempotentCreateMixin
from api.parsers import BoundedJsonParser
from core.errors import NotFound, ValidationFailed
from exports.metorial import objects as metorial
from exports.models import SkillExport
from exports.skill_exports import selectors
from exports.skill_exports import services as skill_exports

TAG = "Metorial-compatible"

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
READ_ONLY_KEY = OpenApiResponse(
    metorial.MetorialErrorSerializer, description="The API key is read-only (`read_only_key`)."
)


def metorial_schema(**kwargs):
    """`extend_schema` on drf-spectacular's plain AutoSchema: the project's default schema class
    describes JSON:API documents, and this surface speaks plain JSON."""

    def decorator(method):
        method.kwargs = {"schema": AutoSchema}
        return extend_schema(**kwargs)(method)

    return decorator


class MetorialView(APIView):
    """Plain JSON in and out, Metorial's error object for every failure."""

    renderer_classes = [JSONRenderer]
    parser_classes = [BoundedJsonParser]
    content_negotiation_class = metorial.PlainJsonNegotiation
    schema = AutoSchema()

    def get_exception_handler(self):
        return metorial.exception_handler

    def present(self, export: SkillExport) -> dict:
        return metorial.MetorialSkillExportSerializer(
            export, context={"request": self.request}
        ).data


class SkillExportCollectionView(IdempotentCreateMixin, MetorialView):
    serializer_class = metorial.MetorialSkillExportSerializer  # for the schema generator

    @metorial_schema(
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
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": 100},
                description="1 to 100 (default 10).",
            ),
            OpenApiParameter(
                "after", OpenApiTypes.UUID, description="Id of the export to continue after."
            ),
            OpenApiParameter(
                "before", OpenApiTypes.UUID, description="Id of the export to stop before."
            ),
            OpenApiParameter("cursor", OpenApiTypes.UUID, description="Same as `after`."),
            OpenApiParameter("order", str, enum=["asc", "desc"], description="Default `desc`."),
            OpenApiParameter(
                "id", {"type": "array", "items": {"type": "string", "format": "uuid"}}, explode=True
            ),
            OpenApiParameter(
                "target", {"type": "array", "items": {"type": "string", "enum": metorial.TARGETS}}
            ),
            OpenApiParameter(
                "status", {"type": "array", "items": {"type": "string", "enum": metorial.STATUSES}}
            ),
        ],
        responses={200: metorial.MetorialSkillExportListSerializer, **ERRORS},
    )
    def get(self, request):
        query = metorial.parse_list_query(request.query_params)
        exports = selectors.skill_exports_for(request.auth).filter(
            **{f"{name}__in": values for name, values in query.filters.items()}
        )
        after = before = None
        if query.anchor:
            name, pk = query.anchor
            anchor = selectors.for_tenant(SkillExport.objects, request.auth).filter(pk=pk).first()
            if anchor is None:
                raise metorial.anchor_not_found(name, str(pk))
            after, before = (None, anchor) if name == "before" else (anchor, None)
        page = selectors.keyset_page(
            exports, limit=query.limit, descending=query.descending, after=after, before=before
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

    @metorial_schema(
        operation_id="metorial_skill_exports_create",
        tags=[TAG],
        summary="Create a skill export (Metorial-compatible)",
        description=(
            "Metorial's `POST /skill-exports` with a flat JSON body: `target` (`skill`, "
            "`plugin` or `marketplace`) and exactly the matching id (`skill_id`, "
            "`skill_plugin_id` or `skill_marketplace_id`). Answers `201` with the pending "
            "`skill.export`; the worker builds the zip, then `file` and `file_link` appear. "
            "An `Idempotency-Key` header makes a retry replay the first answer."
        ),
        request={"application/json": metorial.CREATE_BODY_SCHEMA},
        responses={201: metorial.MetorialSkillExportSerializer, 403: READ_ONLY_KEY, **ERRORS},
    )
    def post(self, request):
        target, ids, errors = metorial.parse_create_body(request.data)
        subjects = {}
        for field, pk in ids.items():
            if pk is None:
                continue
            relationship = metorial.BODY_TARGETS[field]
            model = SkillExport._meta.get_field(relationship).related_model
            subject = selectors.for_tenant(model.objects, request.auth).filter(pk=pk).first()
            if subject is None:
                errors[field] = [f"No {model._meta.verbose_name} has the id '{pk}'."]
            subjects[relationship] = subject
        if not errors:
            labels = {
                relationship: f"'{field}'" for field, relationship in metorial.BODY_TARGETS.items()
            }
            fields = {relationship: field for field, relationship in metorial.BODY_TARGETS.items()}
            found = skill_exports.target_errors(target, subjects, labels)
            errors = {fields[name]: messages for name, messages in found.items()}
        if errors:
            raise ValidationFailed(errors)
        relationship = SkillExport.TARGET_RELATIONSHIPS[target]
        export = skill_exports.create_skill_export(
            tenant=request.auth.tenant,
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

    @metorial_schema(
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
        try:
            export = selectors.skill_exports_for(request.auth).filter(pk=pk).first()
        except ValidationError:  # the URL pattern admits strings that are not UUIDs
            export = None
        if export is None:
            raise NotFound("The requested skill export could not be found.")
        return Response(self.present(export))


class NotFoundView(MetorialView):
    """Any other path under `/skill-exports/`: a 404 in Metorial's shape, never Django's."""

    schema = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise NotFound("There is nothing at this path.")
