"""Each operation runs through the endpoint that serves it on its own: the same view, parser,
serializer, service, tenancy gate, key scope, events and errors as `POST /api/<type>`,
`PATCH`/`DELETE /api/<type>/<id>` and the relationship endpoints.

The endpoint is found by the URL names `api.routing.resource_urls` gives every resource
(`<type>-list`, `<type>-detail`, `<type>-relationships`): the types a request can write are
those the feature apps route, and this package imports none of them. The operation is handed to
the endpoint as an internal request: a copy of the client's request (its authenticated key,
member, request id and rate-limit count) with the operation's method, path and document. The
endpoint's own savepoint rolls back a failed operation; the view rolls back the whole request.
"""

import copy
import io
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import orjson
from django.http import HttpRequest, QueryDict
from django.urls import (
    NoReverseMatch,
    Resolver404,
    ResolverMatch,
    get_script_prefix,
    resolve,
    reverse,
)

from api.errors import error_object
from api.negotiation import JSON_API_MEDIA_TYPE
from api.operations import made
from api.operations.errors import OperationError, operation_error
from api.operations.lids import LocalIds
from api.operations.parsing import MISSING, Operation
from api.views import ResourceRelationshipView, ResourceViewSetMixin

METHOD = {"add": "POST", "update": "PATCH", "remove": "DELETE"}
# Headers about the client's request as a whole, not about one operation.
REQUEST_ONLY_HEADERS = ("HTTP_IDEMPOTENCY_KEY", "HTTP_CONTENT_LENGTH", "HTTP_CONTENT_TYPE")


@dataclass(frozen=True)
class Endpoint:
    path: str  # unquoted, as a request's `path` is
    match: ResolverMatch


class Dispatcher:
    """Runs a request's operations in order, one endpoint call each."""

    def __init__(self, http_request: HttpRequest):
        self.http_request = http_request
        self.lids = LocalIds()

    def run(self, operation: Operation) -> dict:
        """The operation's result object; OperationError when it fails."""
        endpoint = self._endpoint(operation)
        body = self._body(operation)
        declaration = made.declared(operation, self.lids)
        status, document = self._call(endpoint, METHOD[operation.op], body)
        if status >= 400:
            raise OperationError(*_pointed_errors(status, document, operation))
        target = operation.target
        if operation.op == "add" and target.relationship is None and target.lid is not None:
            self.lids.assign(target.type, target.lid, document["data"]["id"])
        if declaration is not None:  # the lids of what the add made (a version's skills)
            made.assign(declaration, document["data"]["id"], self.lids)
        if target.relationship is None and operation.op != "remove" and document:
            return {"data": document["data"]}
        return {}  # relationship writes and removals: nothing the client lacks

    # -- where the operation goes ----------------------------------------------------------

    def _endpoint(self, operation: Operation) -> Endpoint:
        target = operation.target
        try:
            reverse(f"{target.type}-list")
        except NoReverseMatch:
            raise operation_error(
                404,
                "unknown_type",
                f"'{target.type}' is not a resource type of this API.",
                f"{operation.target_pointer}/type",
            ) from None
        if operation.op == "add" and target.relationship is None:
            return self._resolved(operation, f"{target.type}-list", {})
        resource_id = self._target_id(operation)
        if target.relationship is None:
            return self._resolved(operation, f"{target.type}-detail", {"pk": resource_id})
        kwargs = {"pk": resource_id, "related_field": target.relationship}
        return self._resolved(operation, f"{target.type}-relationships", kwargs)

    def _target_id(self, operation: Operation) -> str:
        target = operation.target
        if target.id is not None:
            return target.id
        return self.lids.id_for(target.type, target.lid, f"{operation.target_pointer}/lid")

    def _resolved(self, operation: Operation, url_name: str, kwargs: dict) -> Endpoint:
        """The endpoint of that name, and only it (an id with a slash could reach another)."""
        try:
            path = unquote(reverse(url_name, kwargs=kwargs))
            match = resolve(path[len(get_script_prefix()) - 1 :])
        except (NoReverseMatch, Resolver404):
            match = None
        if (
            match is None
            or match.url_name != url_name
            or _differs(match.kwargs, kwargs)
            or not _is_resource_view(match)
        ):
            what = "relationship" if "related_field" in kwargs else "resource"
            raise operation_error(
                404,
                "not_found",
                f"No such {what} of type '{operation.target.type}' in this organization.",
                operation.target_pointer,
            )
        return Endpoint(path, match)

    # -- what it sends ---------------------------------------------------------------------

    def _body(self, operation: Operation) -> bytes | None:
        data, pointer = operation.data, f"{operation.pointer}/data"
        target = operation.target
        if target.relationship is not None:
            data = self.lids.linkage(data, pointer)
            if operation.op != "update" and isinstance(data, dict):
                # Adding to or removing from a to-many relationship takes a list; Orbit sends
                # a single identifier (as its record operation holds one): it means a list of one.
                data = [data]
        elif operation.op == "remove":
            return None
        else:
            data = self.lids.resource(data, pointer)
            data = {key: value for key, value in data.items() if key != "lid"}
            claimed = target.lid is not None and self.lids.claimed(target.type, target.lid)
            if operation.op == "add" and claimed:
                raise operation_error(
                    400,
                    "duplicate_lid",
                    f"An earlier operation already created a '{target.type}' with lid "
                    f"'{target.lid}'.",
                    f"{pointer}/lid",
                )
            if operation.op == "update":
                data["id"] = self._target_id(operation)
        return orjson.dumps({"data": None if data is MISSING else data})

    def _call(self, endpoint: Endpoint, method: str, body: bytes | None) -> tuple[int, Any]:
        request = self._internal_request(endpoint.path, method, body)
        match = request.resolver_match = endpoint.match
        response = match.func(request, *match.args, **match.kwargs)
        if hasattr(response, "render") and not response.is_rendered:
            response.render()
        return response.status_code, orjson.loads(response.content) if response.content else None

    def _internal_request(self, path: str, method: str, body: bytes | None) -> HttpRequest:
        outer = self.http_request
        request = copy.copy(outer)  # keeps what authentication and the middleware set on it
        content = body or b""
        meta = {key: value for key, value in outer.META.items() if key not in REQUEST_ONLY_HEADERS}
        meta.update(
            REQUEST_METHOD=method,
            PATH_INFO=path[len(get_script_prefix()) - 1 :],
            QUERY_STRING="",
            HTTP_ACCEPT=JSON_API_MEDIA_TYPE,
            CONTENT_TYPE=JSON_API_MEDIA_TYPE if body is not None else "",
            CONTENT_LENGTH=str(len(content)),
        )
        request.META = meta
        request.method = method
        request.path = request.path_info = path
        request.GET = QueryDict()
        request.content_type = JSON_API_MEDIA_TYPE if body is not None else ""
        request.content_params = {}
        request._body = content
        request._stream = io.BytesIO(content)
        request._read_started = True  # DRF then reads `_body`
        for cached in ("_post", "_files", "resolver_match"):
            request.__dict__.pop(cached, None)
        return request


def _is_resource_view(match: ResolverMatch) -> bool:
    """A JSON:API resource or relationship endpoint (no other surface answers operations)."""
    view_class = getattr(match.func, "cls", None)
    resource_views = (ResourceViewSetMixin, ResourceRelationshipView)
    return isinstance(view_class, type) and issubclass(view_class, resource_views)


def _differs(resolved: dict, wanted: dict) -> bool:
    return any(resolved.get(name) != value for name, value in wanted.items())


def _pointed_errors(status: int, document: Any, operation: Operation) -> tuple[int, list[dict]]:
    """The endpoint's error objects, their pointers moved under the operation."""
    if status == 405:  # the endpoint exists, but not for this method: unsupported (403)
        return 403, [
            error_object(
                403,
                "operation_not_supported",
                f"'{operation.op}' is not supported on this "
                f"{'relationship' if operation.target.relationship else 'resource type'}.",
                {"pointer": f"{operation.pointer}/op"},
            )
        ]
    errors = []
    for error in (document or {}).get("errors", []):
        source = dict(error.get("source") or {})
        if "pointer" in source:
            source["pointer"] = f"{operation.pointer}{source['pointer']}"
        elif not source:
            where = operation.target_pointer if status == 404 else operation.pointer
            source = {"pointer": where}
        errors.append({**error, "source": source})
    return status, errors or [
        error_object(
            status, "operation_failed", "The operation failed.", {"pointer": operation.pointer}
        )
    ]
