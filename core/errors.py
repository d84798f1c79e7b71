"""Domain errors: what services, selectors and jobs raise, with no knowledge of HTTP.

Each names what went wrong; the API renders it, as a JSON:API error and as Metorial's error
object, through one table (`api/errors.py`)."""

from django import db

# A database that cannot be reached or gave up on a transient conflict (a restart, a failover, a
# lock or serialization timeout): nothing is wrong with the request or the job, so it is retried
# later, not reported as a failure. Nothing was written: requests run in one transaction.
DATABASE_ERRORS = (db.OperationalError, db.InterfaceError)


class DomainError(Exception):
    """A refusal of a service or selector: `detail` for a person, `code` for a program."""

    code = "error"
    default_detail = "The request could not be carried out."

    def __init__(self, detail: str | None = None, code: str | None = None):
        self.detail = detail or self.default_detail
        self.code = code or self.code
        super().__init__(self.detail)


class NotFound(DomainError):
    """Nothing (of this tenant) answers to what was asked for."""

    code = "not_found"
    default_detail = "Not found."


class InvalidParameter(DomainError):
    """A query parameter (`parameter`) that cannot be read as asked."""

    code = "invalid_parameter"

    def __init__(self, parameter: str, detail: str, code: str | None = None):
        super().__init__(detail, code)
        self.parameter = parameter


class UnknownParameterValue(InvalidParameter):
    """A query parameter naming something that does not exist."""

    code = "not_found"


class ValidationFailed(DomainError):
    """Attributes that cannot be accepted: `errors` maps each attribute to its messages."""

    code = "invalid"

    def __init__(self, errors: dict[str, list[str]], code: str | None = None):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {m}" for k, v in errors.items() for m in v), code)


class TooMany(DomainError):
    """A quota is reached; `wait` is how many seconds to wait before trying again."""

    code = "throttled"

    def __init__(self, detail: str, wait: int):
        super().__init__(detail)
        self.wait = wait


class Conflict(DomainError):
    """The request conflicts with the current state of the resource."""

    code = "conflict"
    default_detail = "The request conflicts with the resource."
