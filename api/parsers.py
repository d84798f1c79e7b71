"""The JSON:API request parser, refusing documents whose members have the wrong shape."""

from rest_framework_json_api import parsers

from api.exceptions import MalformedDocument


class JsonApiParser(parsers.JSONParser):
    """The library's parser assumes `attributes`, `relationships` and each relationship are
    objects (and a relationship's `data` an identifier, a list or null); anything else is a
    400 pointing at the member, not a crash."""

    @staticmethod
    def parse_attributes(data):
        attributes = data.get("attributes")
        if attributes is not None and not isinstance(attributes, dict):
            raise MalformedDocument("/data/attributes", "`attributes` must be an object.")
        return parsers.JSONParser.parse_attributes(data)

    @staticmethod
    def parse_relationships(data):
        relationships = data.get("relationships")
        if relationships is not None and not isinstance(relationships, dict):
            raise MalformedDocument("/data/relationships", "`relationships` must be an object.")
        for name, relationship in (relationships or {}).items():
            pointer = f"/data/relationships/{name}"
            if not isinstance(relationship, dict):
                raise MalformedDocument(pointer, "A relationship must be an object with `data`.")
            linkage = relationship.get("data")
            if linkage is not None and not isinstance(linkage, (dict, list)):
                raise MalformedDocument(
                    f"{pointer}/data",
                    "Relationship `data` must be a resource identifier, a list of them or null.",
                )
        return parsers.JSONParser.parse_relationships(data)
