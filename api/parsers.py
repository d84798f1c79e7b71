"""The JSON:API request parser, with an explicit bound on nesting depth.

Python's `json` recurses once per nesting level, so a body of a few kilobytes of `[` ends in a
RecursionError (a 500). The depth is measured first, without recursion, and a body nested
deeper than `SKILLPORT["MAX_JSON_DEPTH"]` is a 400 before it is parsed.
"""

import io
import json
from itertools import accumulate

from rest_framework import parsers as plain_parsers
from rest_framework.exceptions import ParseError
from rest_framework_json_api import parsers

from api.conf import api_conf
from api.exceptions import MalformedDocument

_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def max_json_depth() -> int:
    return int(api_conf.MAX_JSON_DEPTH)


def json_depth(raw: bytes | str) -> int:
    """How deep arrays and objects nest in `raw`, in C-level passes (no recursion).

    Escaped backslashes and quotes are dropped first, so every remaining `"` opens or closes a
    string; the text between them alternates outside/inside strings, and only the brackets
    outside strings nest.
    """
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    outside = b"".join(raw.replace(b"\\\\", b"").replace(b'\\"', b"").split(b'"')[::2])
    brackets = outside.translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


class TooDeep(ParseError):
    default_code = "too_deep"


def check_depth(raw: bytes | str, limit: int | None = None) -> None:
    """Raise TooDeep (a 400) when `raw` nests deeper than the limit."""
    limit = max_json_depth() if limit is None else limit
    opening = raw.count(b"[" if isinstance(raw, bytes) else "[")
    opening += raw.count(b"{" if isinstance(raw, bytes) else "{")
    if opening <= limit:  # the common case: too few brackets to nest too deep
        return
    if json_depth(raw) > limit:
        raise TooDeep(f"The document nests deeper than {limit} levels.")


def loads(raw: bytes | str, limit: int | None = None):
    """`json.loads` for untrusted text: TooDeep past the depth limit, never a RecursionError."""
    check_depth(raw, limit)
    return json.loads(raw)


class BoundedJsonParser(plain_parsers.JSONParser):
    """Plain `application/json` bodies (the Metorial-compatible surface), with the same bound on
    nesting depth as JSON:API bodies: a 400 instead of a RecursionError."""

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        check_depth(body)
        return super().parse(io.BytesIO(body), media_type, parser_context)


class JsonApiParser(parsers.JSONParser):
    """JSON:API bodies: a 400 (`source.pointer: ""`) when nested too deep, and a 400 pointing at
    the member when `attributes`, `relationships` or a relationship has the wrong shape (the
    library assumes objects there, and would crash)."""

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        check_depth(body)
        return super().parse(io.BytesIO(body), media_type, parser_context)

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
