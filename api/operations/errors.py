"""An operation the request cannot run: its error objects point into `atomic:operations`."""

from api.errors import error_object


class OperationError(Exception):
    """The request fails as a whole with `status` and these error objects (nothing is kept)."""

    def __init__(self, status: int, errors: list[dict]):
        super().__init__(errors[0]["detail"] if errors else str(status))
        self.status = status
        self.errors = errors


def operation_error(status: int, code: str, detail: str, pointer: str) -> OperationError:
    return OperationError(status, [error_object(status, code, detail, {"pointer": pointer})])
