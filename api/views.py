"""Base views: tenancy, relationship and related endpoints, for every resource."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db.models import Manager, Model, QuerySet
from django.urls import reverse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework_json_api import views as jsonapi_views
from rest_framework_json_api.utils import get_resource_type_from_model

from api.exceptions import InvalidQueryParameter
from api.filters import QueryParameterValidationFilter
from api.idempotency import IdempotentCreateMixin


def object_or_404(queryset, pk):
    """The object with this pk in the (already tenant-scoped) queryset; malformed ids are 404s."""
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValidationError, ValueError):
        raise exceptions.NotFound() from None


def gate_related(tenant, related):
    """A related queryset narrowed to the tenant, or a related object it owns (else 404).

    Relations of a tenant's row stay in that tenant, but the audit trail of an account-level
    resource (a team's events) holds rows of both modes, so related reads pass the gate too.
    """
    if isinstance(related, (QuerySet, Manager)):
        queryset = related.all()
        return queryset.for_tenant(tenant) if hasattr(queryset, "for_tenant") else queryset
    if isinstance(related, Model) and not tenant.owns(related):
        raise exceptions.NotFound()
    return related


class TenantScopedMixin:
    """The single tenancy gate: every queryset a view touches is narrowed here."""

    @property
    def tenant(self):
        """The request's (organization, mode), from its API key."""
        return self.request.auth.tenant

    def get_queryset(self):
        queryset = super().get_queryset()
        if getattr(self, "swagger_fake_view", False):  # schema generation has no tenant
            return queryset.none()
        return queryset.for_tenant(self.tenant)


class ResourceViewSetMixin(TenantScopedMixin):
    ordering = ("-created_at",)
    # Set per URL pattern by `api.routing` for the related endpoint of one relationship.
    relationship_name: str | None = None
    extra_query_params: tuple[str, ...] = ()

    def relationship_field_names(self) -> set[str]:
        serializer_class = self.get_serializer_class()
        return set(getattr(serializer_class, "included_serializers", {})) | set(
            getattr(serializer_class, "related_serializers", {})
        )

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        # A single resource's to-many linkage is worth its query (see PrefetchedManyRelatedField).
        serializer.primary_resource = not kwargs.get("many", False)
        return serializer

    def get_object(self):
        if "related_field" in self.kwargs:
            # The related endpoint's query string speaks about the related resources,
            # so the parent is looked up without the list filters.
            return object_or_404(self.get_queryset(), self.kwargs["pk"])
        return super().get_object()

    def retrieve_related(self, request, *args, **kwargs):
        for parameter in request.query_params:
            if parameter.startswith("filter") or parameter == "sort":
                raise InvalidQueryParameter(
                    parameter,
                    f"'{parameter}' is not supported on related endpoints; "
                    "use the related type's own collection.",
                )
        QueryParameterValidationFilter().filter_queryset(request, None, self)
        instance = self.get_related_instance()
        if instance is not None:
            instance = gate_related(self.tenant, instance)
        if instance is None:
            return Response(data=None)
        if isinstance(instance, Iterable):
            include = request.query_params.get("include")
            if include and hasattr(instance, "prefetch_related"):
                instance = instance.prefetch_related(
                    *(path.replace(".", "__") for path in include.split(","))
                )
            page = self.paginate_queryset(instance)
            serializer = self.get_related_serializer(page, many=True)
            return self.get_paginated_response(serializer.data)
        return Response(self.get_related_serializer(instance).data)

    def get_related_serializer_class(self):
        parent = self.serializer_class
        field_name = self.get_related_field_name()
        serializers = {
            **getattr(parent, "included_serializers", {}),
            **getattr(parent, "related_serializers", {}),
        }
        if field_name not in serializers:
            raise exceptions.NotFound()
        return serializers[field_name]


class ReadOnlyResourceViewSet(ResourceViewSetMixin, jsonapi_views.ReadOnlyModelViewSet):
    pass


class ResourceViewSet(IdempotentCreateMixin, ResourceViewSetMixin, jsonapi_views.ModelViewSet):
    """Writes go one way: the serializer validates the document, the service the viewset names
    (`create_service`, `update_service`, `destroy_service`) writes, the serializer renders the
    result. Serializers have no `create`/`update` of their own."""

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def create_service(self, data: dict) -> Model:
        raise NotImplementedError(f"{type(self).__name__} names no create_service.")

    def update_service(self, instance: Model, data: dict) -> Model:
        raise NotImplementedError(f"{type(self).__name__} names no update_service.")

    def destroy_service(self, instance: Model) -> None:
        instance.delete()

    def perform_create(self, serializer) -> None:
        serializer.instance = self.create_service(serializer.validated_data)

    def perform_update(self, serializer) -> None:
        serializer.instance = self.update_service(serializer.instance, serializer.validated_data)

    def perform_destroy(self, instance: Model) -> None:
        self.destroy_service(instance)


class ResourceRelationshipView(
    IdempotentCreateMixin, TenantScopedMixin, jsonapi_views.RelationshipView
):
    """`/api/<type>/<id>/relationships/<name>`; read-only unless a subclass opens it."""

    http_method_names = ["get", "head", "options"]
    # Set per URL pattern by `api.routing`: each relationship has its own endpoint.
    relationship_name: str | None = None

    def get_links(self) -> dict[str, str]:
        kwargs = {"pk": self.kwargs["pk"], "related_field": self.kwargs["related_field"]}
        return {
            "self": self.request.build_absolute_uri(
                reverse(self.self_link_view_name, kwargs=kwargs)
            ),
            "related": self.request.build_absolute_uri(
                reverse(self.related_link_view_name, kwargs=kwargs)
            ),
        }

    def get_related_instance(self):
        related = super().get_related_instance()
        return None if related is None else gate_related(self.tenant, related)

    def get_resource_name(self):
        """The related type, for the renderer: DRF-JSONAPI reads it off the related instance,
        which an `OPTIONS` of an unknown id does not have (its NotFound was a 500 there)."""
        try:
            return super().get_resource_name()
        except exceptions.NotFound:
            model = self.get_queryset().model
            field = model._meta.get_field(self.get_related_field_name())
            self._resource_name = get_resource_type_from_model(field.related_model)
            return self._resource_name

    # DRF-JSONAPI's property is bound to its own getter: bind it to this one.
    resource_name = property(get_resource_name, jsonapi_views.RelationshipView.set_resource_name)

    def get_object(self):
        instance = object_or_404(self.get_queryset(), self.kwargs["pk"])
        serializer_class = self.parent_serializer_class
        if self.kwargs["related_field"] not in serializer_class._declared_fields:
            raise exceptions.NotFound()
        return instance
