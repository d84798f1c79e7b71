from rest_framework_json_api.renderers import JSONRenderer


class JsonApiRenderer(JSONRenderer):
    """DRF-JSONAPI's renderer, also answering clients that ask for plain `application/json`."""

    media_type = "application/vnd.api+json"
    format = "vnd.api+json"
