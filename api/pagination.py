"""Both pagination styles of the contract, chosen by the query string.

- `page[number]`/`page[size]`: offset pages with `meta.record_count`/`meta.page_count` (an
  unfiltered list reads its count from the counters of core/row_counts.py).
- `page[after]`/`page[before]` (+ `page[size]`): keyset cursors over the current sort, so a
  deep page costs the same as the first. `page[after]=` (empty) starts at the beginning.
"""

import base64
import binascii
import json
import math
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import F, Q
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from api.exceptions import InvalidQueryParameter
from api.parameters import MAX_INTEGER, integer_parameter
from api.parsers import TooDeep, loads
from core.row_counts import record_count

NUMBER, SIZE, AFTER, BEFORE = "page[number]", "page[size]", "page[after]", "page[before]"


def _positive_int(request, parameter: str, default: int, maximum: int = MAX_INTEGER) -> int:
    return integer_parameter(request.query_params, parameter, default, maximum=maximum)


def _json_default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    raise TypeError(type(value))


class JsonApiPagination(BasePagination):
    default_page_size = 10
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = _positive_int(request, SIZE, self.default_page_size, self.max_page_size)
        params = request.query_params
        if AFTER in params and BEFORE in params:
            raise InvalidQueryParameter(BEFORE, "Give page[after] or page[before], not both.")
        if AFTER in params or BEFORE in params:
            cursor_param = AFTER if AFTER in params else BEFORE
            if NUMBER in params:
                raise InvalidQueryParameter(NUMBER, "page[number] does not mix with cursors.")
            return self._keyset_page(queryset, cursor_param, params[cursor_param])
        return self._numbered_page(queryset)

    # -- page[number] ------------------------------------------------------------------------

    def _numbered_page(self, queryset):
        self.style = "number"
        self.number = _positive_int(self.request, NUMBER, 1)
        self.record_count = record_count(queryset, getattr(self.request.auth, "tenant", None))
        self.page_count = max(1, math.ceil(self.record_count / self.page_size))
        offset = (self.number - 1) * self.page_size
        return list(queryset[offset : offset + self.page_size])

    def _number_link(self, number: int | None) -> str | None:
        if number is None:
            return None
        return replace_query_param(self.request.build_absolute_uri(), NUMBER, number)

    # -- page[after] / page[before] --------------------------------------------------------------

    def _ordering(self, queryset) -> list[tuple[str, bool]]:
        terms = list(queryset.query.order_by or queryset.model._meta.ordering or [])
        if not any(term.lstrip("-") in ("id", "pk") for term in terms):
            terms.append("id")
        return [(term.lstrip("-").replace("pk", "id"), term.startswith("-")) for term in terms]

    def _encode(self, instance, ordering) -> str:
        values = [getattr(instance, self._attname(instance, name)) for name, _ in ordering]
        raw = json.dumps(values, default=_json_default, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @staticmethod
    def _attname(instance, name: str) -> str:
        return instance._meta.get_field(name).attname

    def _decode(self, queryset, cursor: str, parameter: str, ordering) -> list:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            values = loads(raw)
            if not isinstance(values, list) or len(values) != len(ordering):
                raise ValueError
            return [
                None if value is None else queryset.model._meta.get_field(name).to_python(value)
                for (name, _), value in zip(ordering, values, strict=True)
            ]
        except (
            ValueError,
            binascii.Error,
            ValidationError,
            FieldDoesNotExist,
            TypeError,
            TooDeep,
        ):
            raise InvalidQueryParameter(parameter, "The cursor is not valid.") from None

    @staticmethod
    def _beyond(name: str, value, descending: bool) -> Q:
        # NULL sorts as the largest value in both directions, on every database.
        if descending:
            return Q(**{f"{name}__isnull": False}) if value is None else Q(**{f"{name}__lt": value})
        if value is None:
            return Q(pk__in=[])
        return Q(**{f"{name}__gt": value}) | Q(**{f"{name}__isnull": True})

    @staticmethod
    def _equal(name: str, value) -> Q:
        return Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})

    def _seek(self, ordering, values) -> Q:
        condition, prefix = Q(pk__in=[]), Q()
        for (name, descending), value in zip(ordering, values, strict=True):
            condition |= prefix & self._beyond(name, value, descending)
            prefix &= self._equal(name, value)
        return condition

    @staticmethod
    def _order_by(ordering, reverse: bool = False) -> list:
        expressions = []
        for name, descending in ordering:
            if descending != reverse:
                expressions.append(F(name).desc(nulls_first=True))
            else:
                expressions.append(F(name).asc(nulls_last=True))
        return expressions

    def _keyset_page(self, queryset, parameter: str, cursor: str):
        self.style = "cursor"
        ordering = self._ordering(queryset)
        forward = parameter == AFTER
        # Seeking backwards is seeking forwards over the reversed ordering.
        seek_ordering = ordering if forward else [(n, not d) for n, d in ordering]
        queryset = queryset.order_by(*self._order_by(ordering, reverse=not forward))
        if cursor:
            values = self._decode(queryset, cursor, parameter, ordering)
            queryset = queryset.filter(self._seek(seek_ordering, values))
        rows = list(queryset[: self.page_size + 1])
        has_more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if not forward:
            rows.reverse()
        at_start = not cursor and forward
        self.next_cursor = self.prev_cursor = None
        if rows:
            first, last = self._encode(rows[0], ordering), self._encode(rows[-1], ordering)
            self.next_cursor = last if (has_more or not forward) else None
            self.prev_cursor = first if (has_more or forward) and not at_start else None
        elif not forward and cursor:
            self.next_cursor = cursor
        return rows

    def _cursor_link(self, parameter: str, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        url = self.request.build_absolute_uri()
        url = remove_query_param(remove_query_param(url, AFTER), BEFORE)
        return replace_query_param(url, parameter, cursor)

    # -- response ----------------------------------------------------------------------------

    def get_paginated_response(self, data):
        if self.style == "cursor":
            meta = {"page_size": self.page_size}
            first_url = remove_query_param(self.request.build_absolute_uri(), BEFORE)
            links = {
                "first": replace_query_param(first_url, AFTER, ""),
                "prev": self._cursor_link(BEFORE, self.prev_cursor),
                "next": self._cursor_link(AFTER, self.next_cursor),
            }
        else:
            meta = {"record_count": self.record_count, "page_count": self.page_count}
            links = {
                "first": self._number_link(1),
                "prev": self._number_link(self.number - 1 if self.number > 1 else None),
                "next": self._number_link(
                    self.number + 1 if self.number < self.page_count else None
                ),
                "last": self._number_link(self.page_count),
            }
        return Response({"results": data, "meta": meta, "links": links})

    def get_schema_operation_parameters(self, view):
        number = {"type": "integer", "minimum": 1, "maximum": MAX_INTEGER}
        size = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return [
            {"name": name, "required": False, "in": "query", "schema": schema}
            for name, schema in (
                (NUMBER, number),
                (SIZE, size),
                (AFTER, {"type": "string"}),
                (BEFORE, {"type": "string"}),
            )
        ]
