"""Local ids (`lid`): an `add` names the resource it creates, later operations refer to it.

Each reference is replaced by the id the server gave that resource before the operation is
dispatched, so the resource's endpoint sees an ordinary document."""

from typing import Any

from api.operations.errors import operation_error


class LocalIds:
    def __init__(self) -> None:
        self._ids: dict[tuple[str, str], str] = {}

    def assign(self, type_name: str, lid: str, resource_id: str) -> None:
        self._ids[(type_name, lid)] = resource_id

    def claimed(self, type_name: str, lid: str) -> bool:
        return (type_name, lid) in self._ids

    def id_for(self, type_name: str, lid: str, pointer: str) -> str:
        try:
            return self._ids[(type_name, lid)]
        except KeyError:
            raise operation_error(
                400,
                "unknown_lid",
                f"No earlier operation of this request created a '{type_name}' with lid '{lid}'.",
                pointer,
            ) from None

    def identifier(self, identifier: Any, pointer: str) -> Any:
        """A resource identifier with its `lid` replaced by the id (anything else as it is:
        the endpoint judges malformed linkage)."""
        if not isinstance(identifier, dict) or identifier.get("id") is not None:
            return identifier
        lid, type_name = identifier.get("lid"), identifier.get("type")
        if not isinstance(lid, str) or not isinstance(type_name, str):
            return identifier
        resolved = {key: value for key, value in identifier.items() if key != "lid"}
        resolved["id"] = self.id_for(type_name, lid, f"{pointer}/lid")
        return resolved

    def linkage(self, linkage: Any, pointer: str) -> Any:
        """Relationship data: null, one identifier or a list of them."""
        if isinstance(linkage, list):
            return [self.identifier(item, f"{pointer}/{n}") for n, item in enumerate(linkage)]
        return self.identifier(linkage, pointer)

    def resource(self, resource: Any, pointer: str) -> Any:
        """A resource object: its relationships' linkage resolved (its own `lid` is left to
        the operation, which knows whether it creates or names the resource)."""
        if not isinstance(resource, dict) or not isinstance(resource.get("relationships"), dict):
            return resource
        relationships = {}
        for name, relationship in resource["relationships"].items():
            if isinstance(relationship, dict) and "data" in relationship:
                where = f"{pointer}/relationships/{name}/data"
                relationship = {**relationship, "data": self.linkage(relationship["data"], where)}
            relationships[name] = relationship
        return {**resource, "relationships": relationships}
