"""Writable to-many relationship endpoints (`PATCH`/`POST`/`DELETE .../relationships/<name>`)."""

from collections.abc import Callable

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.response import Response
from rest_framework_json_api.serializers import ResourceIdentifierObjectSerializer

from api.views import ResourceRelationshipView


class TenantIdentifierSerializer(ResourceIdentifierObjectSerializer):
    """Resource identifiers resolved within the requesting tenant (organization and mode) only."""

    def to_internal_value(self, data):
        if not isinstance(data, dict) or "id" not in data or "type" not in data:
            self.fail("incorrect_type", data_type=type(data).__name__)
        # A resource id is a string (JSON:API), and one of this model's keys: anything else would
        # reach the database lookup and fail there (Django's ValidationError, a 500).
        if not isinstance(data["id"], str):
            self.fail("incorrect_type", data_type=type(data["id"]).__name__)
        try:
            self.model_class._meta.pk.to_python(data["id"])
        except DjangoValidationError:
            self.fail("does_not_exist", pk_value=data["id"])
        instance = super().to_internal_value({"type": data["type"], "id": data["id"]})
        queryset = self.model_class.objects.for_tenant(self.context["request"].auth.tenant)
        if not queryset.filter(pk=instance.pk).exists():
            self.fail("does_not_exist", pk_value=data["id"])
        return instance


def _new(given: list, current: list) -> list:
    return [item for item in given if item not in current]


class ToManyRelationshipView(ResourceRelationshipView):
    """Subclasses map each writable relationship to the service call that replaces it."""

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    serializer_class = TenantIdentifierSerializer
    writable: dict[str, Callable] = {}

    def _write(self, request, combine: Callable[[list, list], list]) -> Response:
        field = self.kwargs["related_field"]
        if field not in self.writable:
            raise MethodNotAllowed(request.method)
        instance = self.get_object()
        manager = getattr(instance, field)
        serializer = self.get_serializer(data=request.data, model_class=manager.model, many=True)
        serializer.is_valid(raise_exception=True)
        self.writable[field](instance, combine(list(manager.all()), serializer.validated_data))
        return Response(self._instantiate_serializer(getattr(instance, field).all()).data)

    def patch(self, request, *args, **kwargs):
        return self._write(request, lambda current, given: list(given))

    def post(self, request, *args, **kwargs):
        return self._write(
            request,
            lambda current, given: current + [item for item in given if item not in current],
        )

    def delete(self, request, *args, **kwargs):
        return self._write(
            request, lambda current, given: [item for item in current if item not in given]
        )
