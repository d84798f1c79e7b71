"""Checks on parsed JSON/YAML values, shared by the serializers and the skills validation
(a leaf module: both sides import it without importing each other)."""


def contains_nul(value) -> bool:
    """Whether a parsed JSON/YAML value holds a NUL character in any string or key, at any
    depth (no recursion). PostgreSQL stores none in text or jsonb, so such a value is refused
    before it reaches the database."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\0" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return False
