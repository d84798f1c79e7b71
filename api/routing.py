"""URL patterns for a resource: collection, detail, relationship and related endpoints."""

from django.urls import path, re_path

from api.serializers import relationship_fields
from api.views import ResourceRelationshipView

UUID_PATTERN = r"[0-9a-fA-F-]{32,36}"


def resource_urls(
    type_name: str,
    viewset,
    *,
    detail_pattern: str = r"[^/]+",
    relationship_view_class: type = ResourceRelationshipView,
) -> list:
    """`/api/<type>`, `/api/<type>/<pk>`, `.../relationships/<name>` and `.../<name>`.

    One concrete pattern per relationship of the serializer, so the OpenAPI document names each
    one with the methods it allows. They share the names `<type>-relationships`/`<type>-related`
    and pass `related_field` as a default keyword, so `reverse(name, kwargs={pk, related_field})`
    picks the matching one. `relationship_view_class` (a ResourceRelationshipView subclass with a
    `writable` map) opens the relationships it names to writes.
    """
    relationship_view = type(
        f"{viewset.__name__}Relationships",
        (relationship_view_class,),
        {
            "queryset": viewset.queryset,
            "parent_serializer_class": viewset.serializer_class,
            "self_link_view_name": f"{type_name}-relationships",
            "related_link_view_name": f"{type_name}-related",
        },
    )
    allowed = set(viewset.http_method_names)

    def actions(candidates: dict[str, str]) -> dict[str, str]:
        return {
            method: action
            for method, action in candidates.items()
            if method in allowed and hasattr(viewset, action)
        }

    list_actions = actions({"get": "list", "post": "create"})
    detail_actions = actions({"get": "retrieve", "patch": "partial_update", "delete": "destroy"})
    writable = getattr(relationship_view_class, "writable", {})
    read_only = ["get", "head", "options"]
    patterns = [path(type_name, viewset.as_view(list_actions), name=f"{type_name}-list")]
    for name in relationship_fields(viewset.serializer_class):
        defaults = {"related_field": name}
        patterns += [
            re_path(
                rf"^{type_name}/(?P<pk>{UUID_PATTERN})/relationships/{name}$",
                relationship_view.as_view(
                    relationship_name=name,
                    http_method_names=relationship_view.http_method_names
                    if name in writable
                    else read_only,
                ),
                defaults,
                name=f"{type_name}-relationships",
            ),
            re_path(
                rf"^{type_name}/(?P<pk>{UUID_PATTERN})/{name}$",
                viewset.as_view({"get": "retrieve_related"}, relationship_name=name),
                defaults,
                name=f"{type_name}-related",
            ),
        ]
    patterns.append(
        re_path(
            rf"^{type_name}/(?P<pk>{detail_pattern})$",
            viewset.as_view(detail_actions),
            name=f"{type_name}-detail",
        )
    )
    return patterns
