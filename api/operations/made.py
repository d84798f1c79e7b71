"""Resources an `add` makes besides the one it creates: a version makes its skills (one per
folder with a SKILL.md). The add may give them local ids in its resource object's `meta`,
`{"skill_lids": {<skill path>: <lid>}}`, and later operations of the request use those lids as
they use the lid of the added resource.

The app that owns the type says what an add of it makes (`register_made`, from its
`AppConfig.ready`): this package imports no feature app.
"""

from collections.abc import Callable
from dataclasses import dataclass

from api.errors import pointer_token
from api.operations.errors import operation_error
from api.operations.lids import LocalIds
from api.operations.parsing import Operation


@dataclass(frozen=True)
class Made:
    member: str  # the `meta` member of the add's resource object: {key: lid}
    type: str  # the type of what the add makes
    key: str  # the attribute that names one of them within the added resource
    ids: Callable[[str], dict[str, str]]  # the added resource's id -> {key: id}


_MADE: dict[str, Made] = {}


def register_made(type_name: str, made: Made) -> None:
    _MADE[type_name] = made


def registered() -> dict[str, Made]:
    """What each type's add makes, by type (the OpenAPI document describes it)."""
    return dict(_MADE)


@dataclass(frozen=True)
class Declared:
    made: Made
    lids: dict[str, str]  # key -> lid
    pointer: str  # `/atomic:operations/<n>/data/meta/<member>`


def declared(operation: Operation, lids: LocalIds) -> Declared | None:
    """The lids an add declares for what it makes; a 400 for a malformed or taken one (checked
    before the add runs). None when it declares none (a `meta` of another shape is the
    endpoint's, which ignores it, as `POST /api/<type>` does)."""
    made = _MADE.get(operation.target.type)
    if made is None or operation.op != "add" or operation.target.relationship is not None:
        return None
    meta = operation.data.get("meta")  # `data` is a resource object: parsing checked it
    if not isinstance(meta, dict) or made.member not in meta:
        return None
    pointer = f"{operation.pointer}/data/meta/{made.member}"
    declaration = meta[made.member]
    if not isinstance(declaration, dict):
        raise operation_error(
            400,
            "invalid_operation",
            f"`{made.member}` must be an object of {made.key} -> lid (strings).",
            pointer,
        )
    seen: set[str] = set()
    for key, lid in declaration.items():
        where = f"{pointer}/{pointer_token(key)}"
        if not isinstance(lid, str) or not lid:
            raise operation_error(400, "invalid_operation", "A lid must be a string.", where)
        if lid in seen or lids.claimed(made.type, lid):
            raise operation_error(
                400,
                "duplicate_lid",
                f"This request already gives a '{made.type}' the lid '{lid}'.",
                where,
            )
        seen.add(lid)
    return Declared(made, declaration, pointer)


def assign(declaration: Declared, resource_id: str, lids: LocalIds) -> None:
    """Each declared lid to the id of what the add made; a 422 for a key naming none of them."""
    made = declaration.made
    ids = made.ids(resource_id)
    for key, lid in declaration.lids.items():
        if key not in ids:
            raise operation_error(
                422,
                "unknown_made_key",
                f"The add made no '{made.type}' with {made.key} '{key}' ({_listed(sorted(ids))}).",
                f"{declaration.pointer}/{pointer_token(key)}",
            )
        lids.assign(made.type, lid, ids[key])


def _listed(keys: list[str], most: int = 10) -> str:
    """What it did make, for the message (the first few)."""
    if not keys:
        return "it made none"
    shown = ", ".join(f"'{key}'" for key in keys[:most])
    return f"it made {shown}{', ...' if len(keys) > most else ''}"
