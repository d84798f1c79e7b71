"""URL patterns for a resource: collection, detail, relationship and related endpoints."""

from django.urls import path, re_path

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

    `relationship_view_class` (a ResourceRelationshipView subclass) opens relationships to writes.
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
    return [
        path(type_name, viewset.as_view(list_actions), name=f"{type_name}-list"),
        re_path(
            rf"^{type_name}/(?P<pk>{UUID_PATTERN})/relationships/(?P<related_field>\w+)$",
            relationship_view.as_view(),
            name=f"{type_name}-relationships",
        ),
        re_path(
            rf"^{type_name}/(?P<pk>{UUID_PATTERN})/(?P<related_field>\w+)$",
            viewset.as_view({"get": "retrieve_related"}),
            name=f"{type_name}-related",
        ),
        re_path(
            rf"^{type_name}/(?P<pk>{detail_pattern})$",
            viewset.as_view(detail_actions),
            name=f"{type_name}-detail",
        ),
    ]
