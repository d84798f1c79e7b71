from django.urls import path

from api.operations import schema  # noqa: F401  (registers the endpoint's OpenAPI path)
from api.operations.views import OperationsView

urlpatterns = [path("operations", OperationsView.as_view(), name="operations")]
