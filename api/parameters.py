"""Integer query parameters, read one way everywhere (pagination, version pins)."""

from core.errors import InvalidParameter

# Integer query parameters are 32-bit: larger values name no page or version that can exist,
# and past 2**63 they overflow database integers (a 500 on SQLite).
MAX_INTEGER = 2**31 - 1


def integer_parameter(
    query_params,
    name: str,
    default: int | None = None,
    *,
    minimum: int = 1,
    maximum: int = MAX_INTEGER,
) -> int | None:
    """The parameter as an int within [minimum, maximum], `default` when absent, else a 400."""
    raw = query_params.get(name)
    if raw is None:
        return default
    value = None
    if raw.isascii() and raw.isdigit() and len(raw) <= len(str(maximum)):
        value = int(raw)
    if value is None or not minimum <= value <= maximum:
        raise InvalidParameter(name, f"'{name}' must be an integer from {minimum} to {maximum}.")
    return value
