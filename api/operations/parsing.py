"""The request document of the extension, read into `Operation`s (shape only: what each
operation's data means is for the resource's own endpoint to judge)."""

from dataclasses import dataclass
from typing import Any

from api.operations.errors import OperationError, operation_error

OPERATIONS = "atomic:operations"
RESULTS = "atomic:results"
CODES = ("add", "update", "remove")


@dataclass(frozen=True)
class Target:
    """What an operation acts on: a collection (`add`), a resource, or a relationship."""

    type: str
    id: str | None = None
    lid: str | None = None
    relationship: str | None = None


@dataclass(frozen=True)
class Operation:
    index: int
    op: str
    target: Target
    data: Any  # as sent; MISSING when absent
    pointer: str  # `/atomic:operations/<index>`
    target_pointer: str  # where the target was named: `.../ref` or `.../data`


MISSING = object()


def _bad(pointer: str, detail: str, code: str = "invalid_operation") -> OperationError:
    return operation_error(400, code, detail, pointer)


def read_document(document: Any, limit: int) -> list[Operation]:
    """The operations of a request document, in order; OperationError for a malformed one."""
    if not isinstance(document, dict):
        raise _bad("", "The document must be an object with `atomic:operations`.")
    for member in ("data", "included"):
        if member in document:
            raise _bad(f"/{member}", f"A document of atomic operations has no `{member}`.")
    operations = document.get(OPERATIONS)
    if not isinstance(operations, list) or not operations:
        raise _bad(f"/{OPERATIONS}", f"`{OPERATIONS}` must be a non-empty array of operations.")
    if len(operations) > limit:
        raise operation_error(
            413,
            "too_many_operations",
            f"A request may hold at most {limit} operations; this one has {len(operations)}. "
            "Split it into several requests.",
            f"/{OPERATIONS}",
        )
    return [read_operation(index, item) for index, item in enumerate(operations)]


def read_operation(index: int, item: Any) -> Operation:
    pointer = f"/{OPERATIONS}/{index}"
    if not isinstance(item, dict):
        raise _bad(pointer, "An operation must be an object.")
    op = item.get("op")
    if op not in CODES:
        raise _bad(f"{pointer}/op", "`op` must be one of 'add', 'update', 'remove'.")
    if "href" in item:
        raise _bad(
            f"{pointer}/href",
            "`href` is not supported: name the target with `ref` (or `data` for add/update).",
            "unsupported_member",
        )
    data = item.get("data", MISSING)
    ref = item.get("ref")
    if ref is not None:
        target = _read_ref(ref, f"{pointer}/ref")
        if target.relationship is None and op == "add":
            target = _creation_ref(target, data, pointer)
        elif target.id is None and target.lid is None:
            raise _bad(f"{pointer}/ref", f"The `ref` of `{op}` needs an `id` or `lid`.")
        elif target.relationship is None and op == "update":
            _same_resource(target, data, pointer)
        elif target.relationship is not None and data is MISSING:
            raise _bad(f"{pointer}/data", "A relationship operation needs `data` (linkage).")
        return Operation(index, op, target, data, pointer, f"{pointer}/ref")
    if op == "remove":
        raise _bad(f"{pointer}/ref", "A remove operation needs `ref` (type and id or lid).")
    target = _read_resource_target(data, f"{pointer}/data", identified=op == "update")
    return Operation(index, op, target, data, pointer, f"{pointer}/data")


def _read_ref(ref: Any, pointer: str) -> Target:
    if not isinstance(ref, dict):
        raise _bad(pointer, "`ref` must be an object with `type` and `id` or `lid`.")
    for member in ("type", "id", "lid", "relationship"):
        value = ref.get(member)
        if value is not None and not isinstance(value, str):
            raise _bad(f"{pointer}/{member}", f"`{member}` must be a string.")
    if not ref.get("type"):
        raise _bad(f"{pointer}/type", "`ref` needs a `type`.")
    if ref.get("id") is not None and ref.get("lid") is not None:
        raise _bad(pointer, "`ref` has either `id` or `lid`, not both.")
    target = Target(ref["type"], ref.get("id"), ref.get("lid"), ref.get("relationship"))
    if target.relationship is not None and target.id is None and target.lid is None:
        raise _bad(pointer, "A relationship `ref` needs the resource's `id` or `lid`.")
    return target


def _read_resource_target(data: Any, pointer: str, *, identified: bool) -> Target:
    if not isinstance(data, dict):
        raise _bad(pointer, "`data` must be a resource object.")
    for member in ("type", "id", "lid"):
        value = data.get(member)
        if value is not None and not isinstance(value, str):
            raise _bad(f"{pointer}/{member}", f"`{member}` must be a string.")
    if not data.get("type"):
        raise _bad(f"{pointer}/type", "The resource object needs a `type`.")
    if identified and data.get("id") is None and data.get("lid") is None:
        raise _bad(f"{pointer}/id", "An update names its resource by `id` or `lid`.")
    return Target(data["type"], data.get("id"), data.get("lid"))


def _creation_ref(ref: Target, data: Any, pointer: str) -> Target:
    """An add may name its type in `ref` too (as Orbit does): it must agree with `data`."""
    target = _read_resource_target(data, f"{pointer}/data", identified=False)
    if ref.type != target.type:
        raise operation_error(
            409, "conflict", "`ref.type` and `data.type` differ.", f"{pointer}/data/type"
        )
    return target


def _same_resource(ref: Target, data: Any, pointer: str) -> None:
    target = _read_resource_target(data, f"{pointer}/data", identified=False)
    if ref.type != target.type:
        raise operation_error(
            409, "conflict", "`ref.type` and `data.type` differ.", f"{pointer}/data/type"
        )
    if (target.id, target.lid) != (None, None) and (target.id, target.lid) != (ref.id, ref.lid):
        raise operation_error(
            409, "conflict", "`ref` and `data` name different resources.", f"{pointer}/data"
        )
