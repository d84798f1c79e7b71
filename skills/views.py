import re

from django.db import transaction
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, generics, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework_json_api.utils import get_included_resources

from api.exceptions import InvalidQueryParameter, UnprocessableParameter
from api.idempotency import IdempotentCreateMixin
from api.joined import share_joined, split_prefetches
from api.methods import allow
from api.routing import UUID_PATTERN
from api.views import ReadOnlyResourceViewSet, ResourceViewSet, TenantScopedMixin, object_or_404
from skills import diffs, filters, selectors, serializers, services, sharing
from skills.downloads import public_envelope, zip_response
from skills.models import (
    ShareLink,
    Skill,
    SkillCollection,
    SkillCollectionVersion,
    SkillMarketplace,
    SkillPlugin,
)
from skills.negotiation import ArchiveAwareNegotiation
from skills.parsers import LargeJsonApiParser, ZipUploadParser
from skills.relationships import ToManyRelationshipView
from skills.validation import TreeError

COMMON_SORT = ("id", "created_at", "updated_at")
UPLOAD_PARAMS = ("commit_message", "release_label")
PIN_PARAMS = ("format", "version", "label")


def _refuse_unknown_parameters(request, known: tuple[str, ...]) -> None:
    unknown = set(request.query_params) - set(known)
    if unknown:
        parameter = sorted(unknown)[0]
        raise InvalidQueryParameter(parameter, f"'{parameter}' is not a known parameter.")


def _wants_zip(request) -> bool:
    wanted = request.query_params.get("format")
    if wanted not in (None, "zip", "json"):
        raise InvalidQueryParameter("format", "'format' is 'zip' or omitted for JSON.")
    return wanted == "zip"


class SkillCollectionViewSet(ResourceViewSet):
    queryset = selectors.collections_with_current_version(
        # Versions and skills grow without bound: linkage comes capped or through `include=`.
        SkillCollection.objects.select_related("created_by", "updated_by")
    )
    serializer_class = serializers.SkillCollectionSerializer
    filterset_class = filters.SkillCollectionFilterSet
    ordering_fields = (*COMMON_SORT, "name", "root_path", "provider", "folder_id")
    extra_query_params = PIN_PARAMS
    content_negotiation_class = ArchiveAwareNegotiation
    prefetch_for_includes = {
        "versions": ["versions__skills"],
        "created_by": ["created_by__teams"],
        "updated_by": ["updated_by__teams"],
    }

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list":
            # List rows need only the members' ids (their linkage): join a member only when it
            # is included, rather than build two objects per row that nothing reads.
            included = {
                path.split(".")[0]
                for path in get_included_resources(self.request, self.get_serializer_class())
            }
            joined = sorted(included & {"created_by", "updated_by"})
            queryset = queryset.select_related(None)
            if joined:  # select_related() without names would follow every foreign key
                queryset = queryset.select_related(*joined)
                queryset, self.prefetches_below_joined = split_prefetches(queryset, joined)
            if not any("is_deleted" in parameter for parameter in self.request.query_params):
                queryset = queryset.alive()
        return queryset

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        below = getattr(self, "prefetches_below_joined", None)
        if page is not None and below:
            share_joined(page, below)
        return page

    def list(self, request, *args, **kwargs):
        for parameter in PIN_PARAMS:
            if parameter in request.query_params:
                raise InvalidQueryParameter(
                    parameter, f"'{parameter}' applies to a single skill collection."
                )
        return super().list(request, *args, **kwargs)

    def get_object(self):
        if "related_field" in self.kwargs:
            instance = super().get_object()
        else:
            instance = selectors.collection_by_identifier(self.get_queryset(), self.kwargs["pk"])
            if instance is None:
                raise exceptions.NotFound()
            self.check_object_permissions(self.request, instance)
        if self.request.method in ("GET", "HEAD"):
            number, label = selectors.parse_pin(self.request.query_params)
            if number is not None or label is not None:
                instance._pinned_version = selectors.pinned_version(instance, number, label)
        return instance

    def retrieve(self, request, *args, **kwargs):
        wants_zip = _wants_zip(request)
        collection = self.get_object()
        if not wants_zip:
            return Response(self.get_serializer(collection).data)
        version = collection.current_version
        if version is None:
            raise exceptions.NotFound("This skill collection has no version yet.")
        return zip_response(request, collection, version)

    def create_service(self, data: dict) -> SkillCollection:
        return services.create_collection(tenant=self.tenant, actor=self.request.user, **data)

    def update_service(self, instance: SkillCollection, data: dict) -> SkillCollection:
        return services.update_collection(instance, actor=self.request.user, **data)

    def destroy_service(self, instance: SkillCollection) -> None:
        services.delete_collection(instance, actor=self.request.user)


class SkillCollectionVersionViewSet(ResourceViewSet):
    queryset = SkillCollectionVersion.objects.select_related(
        "skill_collection", "created_by"
    ).prefetch_related("skills")
    serializer_class = serializers.SkillCollectionVersionSerializer
    prefetch_for_includes = {
        "skill_collection": selectors.included_collection_prefetches("skill_collection__"),
        "created_by": ["created_by__teams"],
        "skills": [],
    }
    filterset_class = filters.SkillCollectionVersionFilterSet
    ordering_fields = (*COMMON_SORT, "number", "release_label", "archived")
    parser_classes = [LargeJsonApiParser]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def create_service(self, data: dict) -> SkillCollectionVersion:
        try:
            return services.create_version(
                data["skill_collection"],
                actor=self.request.user,
                files=data["files"],
                commit_message=data.get("commit_message", ""),
                release_label=data.get("release_label"),
            )
        except TreeError as error:
            raise serializers.tree_validation_error(error) from None

    def update_service(
        self, instance: SkillCollectionVersion, data: dict
    ) -> SkillCollectionVersion:
        return services.update_version(instance, **data)


class SkillCollectionVersionUploadView(
    IdempotentCreateMixin, TenantScopedMixin, generics.GenericAPIView
):
    """`POST /api/skill_collections/<id>/versions` with an `application/zip` body."""

    queryset = SkillCollection.objects.alive()
    serializer_class = serializers.SkillCollectionVersionSerializer
    parser_classes = [ZipUploadParser]
    resource_name = "skill_collection_versions"

    def post(self, request, pk):
        _refuse_unknown_parameters(request, UPLOAD_PARAMS)
        collection = selectors.collection_by_identifier(self.get_queryset(), pk)
        if collection is None:
            raise exceptions.NotFound()
        attributes = self.validated_parameters(request)
        archive = request.data
        if not hasattr(archive, "read"):
            raise exceptions.UnsupportedMediaType(
                request.content_type, "Upload the archive with Content-Type: application/zip."
            )
        try:
            version = services.create_version_from_zip(
                collection,
                actor=request.user,
                fileobj=archive,
                commit_message=attributes.get("commit_message", ""),
                release_label=attributes.get("release_label"),
            )
        except TreeError as error:
            raise serializers.tree_validation_error(error) from None
        finally:
            archive.close()
        data = self.get_serializer(version).data
        return Response(
            data,
            status=status.HTTP_201_CREATED,
            headers={"Location": data[api_settings.URL_FIELD_NAME]},
        )

    def validated_parameters(self, request) -> dict:
        """The attributes given as query parameters, through the JSON endpoint's serializer
        (its field validators included), so both channels accept exactly the same values."""
        given = {
            name: request.query_params[name]
            for name in UPLOAD_PARAMS
            if name in request.query_params
        }
        serializer = self.get_serializer(data=given, partial=True)
        if not serializer.is_valid():
            name, [error, *_] = next(iter(serializer.errors.items()))
            raise UnprocessableParameter(name, str(error), error.code)
        return serializer.validated_data


class SkillCollectionVersionDiffView(TenantScopedMixin, generics.GenericAPIView):
    """`GET /api/skill_collection_versions/<id>/diff?against=<number|label>`."""

    queryset = SkillCollectionVersion.objects.all()
    resource_name = False  # the document is written whole by serializers.version_diff_document
    schema = None  # documented by hand in api/schema.py

    def get(self, request, pk):
        _refuse_unknown_parameters(request, ("against",))
        version = object_or_404(self.get_queryset(), pk)
        against = selectors.diff_base(
            self.get_queryset(), version, request.query_params.get("against")
        )
        diff = diffs.diff_versions(version, against)
        return Response(serializers.version_diff_document(diff, request))


class SkillViewSet(ReadOnlyResourceViewSet):
    queryset = Skill.objects.select_related("skill_collection", "skill_collection_version")
    serializer_class = serializers.SkillSerializer
    prefetch_for_includes = {
        "skill_collection": selectors.included_collection_prefetches("skill_collection__"),
        "skill_collection_version": ["skill_collection_version__skills"],
    }
    filterset_class = filters.SkillFilterSet
    ordering_fields = (*COMMON_SORT, "name", "path")


class SkillPluginViewSet(ResourceViewSet):
    queryset = SkillPlugin.objects.select_related("created_by").prefetch_related("skills")
    serializer_class = serializers.SkillPluginSerializer
    filterset_class = filters.SkillPluginFilterSet
    ordering_fields = (*COMMON_SORT, "name", "version")

    def create_service(self, data: dict) -> SkillPlugin:
        return services.create_plugin(tenant=self.tenant, actor=self.request.user, **data)

    def update_service(self, instance: SkillPlugin, data: dict) -> SkillPlugin:
        return services.update_plugin(instance, **data)


class SkillMarketplaceViewSet(ResourceViewSet):
    queryset = SkillMarketplace.objects.select_related("created_by").prefetch_related(
        "skill_plugins"
    )
    serializer_class = serializers.SkillMarketplaceSerializer
    filterset_class = filters.SkillMarketplaceFilterSet
    ordering_fields = (*COMMON_SORT, "name", "version")

    def create_service(self, data: dict) -> SkillMarketplace:
        return services.create_marketplace(tenant=self.tenant, actor=self.request.user, **data)

    def update_service(self, instance: SkillMarketplace, data: dict) -> SkillMarketplace:
        return services.update_marketplace(instance, **data)


class ShareLinkViewSet(ResourceViewSet):
    """Share links: created by a write key, revoked by `DELETE` or `revoked: true` (the row
    stays, listed with `revoked: true`, so the trail of who shared what remains)."""

    queryset = ShareLink.objects.select_related(
        "skill_collection", "skill_plugin", "skill_marketplace", "created_by"
    )
    serializer_class = serializers.ShareLinkSerializer
    filterset_class = filters.ShareLinkFilterSet
    ordering_fields = (*COMMON_SORT, "expires_at", "revoked_at")
    prefetch_for_includes = {"created_by": ["created_by__teams"]}

    def create_service(self, data: dict) -> ShareLink:
        return sharing.create_share_link(tenant=self.tenant, actor=self.request.user, **data)

    def update_service(self, instance: ShareLink, data: dict) -> ShareLink:
        return sharing.revoke(instance) if data.get("revoked") else instance

    def destroy_service(self, instance: ShareLink) -> None:
        sharing.revoke(instance)


class SkillPluginRelationshipView(ToManyRelationshipView):
    writable = {"skills": lambda plugin, skills: services.update_plugin(plugin, skills=skills)}


class SkillMarketplaceRelationshipView(ToManyRelationshipView):
    writable = {
        "skill_plugins": lambda marketplace, plugins: services.update_marketplace(
            marketplace, skill_plugins=plugins
        )
    }


class PublicSkillCollectionView(TenantScopedMixin, generics.GenericAPIView):
    """PromptLayer-compatible `GET /api/public/v2/skill-collections/<identifier>`."""

    queryset = SkillCollection.objects.select_related("created_by", "updated_by")
    renderer_classes = [JSONRenderer]
    content_negotiation_class = ArchiveAwareNegotiation
    schema = None  # not JSON:API; documented in the README

    def get(self, request, identifier):
        wants_zip = _wants_zip(request)
        collection = selectors.collection_by_identifier(self.get_queryset(), identifier)
        if collection is None:
            raise exceptions.NotFound("No skill collection has this id, name or root path.")
        version = selectors.pinned_version(collection, *selectors.parse_pin(request.query_params))
        if wants_zip:
            if version is None:
                raise exceptions.NotFound("This skill collection has no version yet.")
            return zip_response(request, collection, version)
        return Response(public_envelope(collection, version))

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        errors = response.data if isinstance(response.data, list) else []
        message = errors[0]["detail"] if errors else "Request failed."
        response.data = {"success": False, "message": message, "errors": errors}
        return response


def _collection_versions_methods(pk: str, related_field: str = "versions") -> tuple[str, ...]:
    # A UUID's versions (and an upload), else also a detail URL of a name ending in `/versions`.
    return ("GET", "POST") if UUID_PATH.match(pk) else ("GET", "POST", "PATCH", "DELETE")


@csrf_exempt
@transaction.non_atomic_requests  # both views below open the request transaction themselves
@allow(_collection_versions_methods)
def collection_versions(request, pk, related_field="versions"):
    """`POST` uploads a zip as a new version; `GET` lists a collection's versions.

    The upload takes any identifier the detail endpoint takes. Otherwise a path that is not
    `<uuid>/versions` is a detail URL whose name or root path ends in `/versions`.
    """
    if request.method == "POST":
        return _upload_view(request, pk=pk)
    if not UUID_PATH.match(pk):
        return _detail_view(request, pk=f"{pk}/{related_field}")
    return _versions_related_view(request, pk=pk, related_field=related_field)


UUID_PATH = re.compile(rf"^{UUID_PATTERN}$")
_upload_view = SkillCollectionVersionUploadView.as_view()
_versions_related_view = SkillCollectionViewSet.as_view({"get": "retrieve_related"})
_detail_view = SkillCollectionViewSet.as_view(
    {"get": "retrieve", "patch": "partial_update", "delete": "destroy"}
)
