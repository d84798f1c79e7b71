"""`POST /api/operations`: every operation of the request, or none."""

from django.utils.cache import patch_vary_headers
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.conf import api_conf
from api.exceptions import InvalidQueryParameter, set_rollback
from api.idempotency import IdempotentCreateMixin
from api.negotiation import ATOMIC_EXTENSION, JSON_API_MEDIA_TYPE, with_extension
from api.operations.dispatch import Dispatcher
from api.operations.errors import OperationError
from api.operations.parsing import RESULTS, read_document
from api.parsers import BoundedJsonParser
from api.renderers import JsonApiRenderer

ATOMIC_MEDIA_TYPE = with_extension(ATOMIC_EXTENSION)


class AtomicRenderer(JsonApiRenderer):
    """Results and errors under the media type that names the extension applied."""

    media_type = ATOMIC_MEDIA_TYPE


class AtomicParser(BoundedJsonParser):
    """The operations document as JSON (its `data` members are each endpoint's to parse);
    the negotiation requires the extension in `Content-Type`."""

    media_type = JSON_API_MEDIA_TYPE


class OperationsView(IdempotentCreateMixin, APIView):
    # Authentication, key scope (a read key is a 403), rate limit and Idempotency-Key as on
    # every write; one transaction (IdempotentCreateMixin.dispatch) around all operations.
    renderer_classes = [AtomicRenderer]
    parser_classes = [AtomicParser]
    json_api_extensions = (ATOMIC_EXTENSION,)
    http_method_names = ["post", "options"]
    resource_name = False  # the document is written here whole
    schema = None  # documented by hand: api/operations/schema.py

    def post(self, request, *args, **kwargs) -> Response:
        if request.query_params:  # each operation's endpoint gets none either
            parameter = next(iter(request.query_params))
            raise InvalidQueryParameter(parameter, f"'{parameter}' is not a known parameter.")
        try:
            operations = read_document(request.data, api_conf.MAX_ATOMIC_OPERATIONS)
            dispatcher = Dispatcher(request._request)
            results = [dispatcher.run(operation) for operation in operations]
        except OperationError as error:
            set_rollback()  # the operations before the failing one are undone too
            self.resource_name = "errors"
            return Response(error.errors, status=error.status)
        if not any("data" in result for result in results):
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response({RESULTS: results})

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, ("Accept",))
        if response.status_code in (406, 415):  # refused before any extension was applied
            response.content_type = JSON_API_MEDIA_TYPE
        return response
