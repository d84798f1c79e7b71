"""Both pagination styles of the contract, chosen by the request.

- `page[number]`/`page[size]`: offset pages with `meta.record_count`/`meta.page_count` (an
  unfiltered list reads its count from the counters of core/row_counts.py).
- The cursor pagination profile (https://jsonapi.org/profiles/ethanresnick/cursor-pagination/),
  asked for by `page[after]`/`page[before]` or by the profile in `Accept`: keyset cursors over
  the current sort (always ending on the unique `id`), so a deep page costs the same as the
  first. The empty cursor falls at an end of the list: `page[after]=` is the first page,
  `page[before]=` the last.
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
from django.utils.cache import patch_vary_headers
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from api.exceptions import InvalidQueryParameter, ProfileParameterError
from api.negotiation import JSON_API_MEDIA_TYPE, normal_profile, requested_profiles
from api.parameters import MAX_INTEGER, integer_parameter
from api.parsers import TooDeep, loads
from api.renderers import DOCUMENT_EXTRAS
from core.row_counts import record_count

NUMBER, SIZE, AFTER, BEFORE = "page[number]", "page[size]", "page[after]", "page[before]"
CURSOR_PROFILE = "https://jsonapi.org/profiles/ethanresnick/cursor-pagination/"
UNSUPPORTED_SORT = CURSOR_PROFILE + "unsupported-sort"
MAX_SIZE_EXCEEDED = CURSOR_PROFILE + "max-size-exceeded"


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
        params = request.query_params
        if AFTER in params or BEFORE in params:
            if NUMBER in params:
                raise InvalidQueryParameter(NUMBER, "page[number] does not mix with cursors.")
            return self._keyset_page(queryset)
        if NUMBER not in params and normal_profile(CURSOR_PROFILE) in requested_profiles(request):
            return self._keyset_page(queryset)
        self.page_size = _positive_int(request, SIZE, self.default_page_size, self.max_page_size)
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

    # -- the cursor pagination profile -------------------------------------------------------

    def _profile_page_size(self, default: int) -> int:
        """`page[size]` as the profile reads it: digits only (else the invalid parameter error),
        at most the max page size (else its own error type, with `meta.page.maxSize`)."""
        raw = self.request.query_params.get(SIZE)
        if raw is None:
            return default
        if not (raw.isascii() and raw.isdigit()) or int(raw) == 0:
            raise InvalidQueryParameter(
                SIZE, f"page[size] must be a positive integer; got {raw!r}."
            )
        if int(raw) > self.max_page_size:
            raise ProfileParameterError(
                SIZE,
                f"You asked for a page size of {raw}, but {self.max_page_size} is the maximum.",
                "max_size_exceeded",
                MAX_SIZE_EXCEEDED,
                {"page": {"maxSize": self.max_page_size}},
            )
        return int(raw)

    def _ordering(self, queryset) -> list[tuple[str, bool]]:
        """The sort as (name, descending) pairs ending on the unique `id`; each name's attribute
        and field (a column, or an annotation such as `filter[search]`'s `search_rank`) are
        kept in `self.columns` for the cursors."""
        terms = list(queryset.query.order_by or queryset.model._meta.ordering or [])
        if not any(isinstance(t, str) and t.lstrip("-") in ("id", "pk") for t in terms):
            terms.append("id")
        ordering, self.columns = [], {}
        for term in terms:
            name = term.lstrip("-") if isinstance(term, str) else ""
            name = "id" if name == "pk" else name
            column = self._column(queryset, name)
            if column is None:
                # A sort through a relation or over an expression has no cursor here.
                raise ProfileParameterError(
                    "sort",
                    f"Cursor pages cannot follow this sort ({term}); use page[number].",
                    "unsupported_sort",
                    UNSUPPORTED_SORT,
                )
            self.columns[name] = column
            ordering.append((name, term.startswith("-")))
        return ordering

    @staticmethod
    def _column(queryset, name: str):
        """(attribute name, field) of a sort key, None where a cursor cannot hold it."""
        if name in queryset.query.annotations:
            return name, queryset.query.annotations[name].output_field
        try:
            field = queryset.model._meta.get_field(name) if name else None
        except FieldDoesNotExist:
            return None
        if field is None or not field.concrete or field.is_relation:
            return None
        return field.attname, field

    def _encode(self, instance, ordering) -> str:
        values = [getattr(instance, self.columns[name][0]) for name, _ in ordering]
        raw = json.dumps(values, default=_json_default, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _decode(self, cursor: str, parameter: str, ordering) -> list:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            values = loads(raw)
            if not isinstance(values, list) or len(values) != len(ordering):
                raise ValueError
            return [
                None if value is None else self.columns[name][1].to_python(value)
                for (name, _), value in zip(ordering, values, strict=True)
            ]
        except (ValueError, binascii.Error, ValidationError, TypeError, TooDeep):
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

    def _keyset_page(self, queryset):
        self.style = "cursor"
        params = self.request.query_params
        after, before = params.get(AFTER), params.get(BEFORE)
        ranged = after is not None and before is not None
        # A range request's default size is the max page size (the profile's rule).
        self.page_size = self._profile_page_size(
            self.max_page_size if ranged else self.default_page_size
        )
        ordering = self._ordering(queryset)
        backward = before is not None and after is None
        reversed_ordering = [(name, not descending) for name, descending in ordering]
        queryset = queryset.order_by(*self._order_by(ordering, reverse=backward))
        # An empty cursor falls at an end of the list: it narrows nothing.
        if after:
            values = self._decode(after, AFTER, ordering)
            queryset = queryset.filter(self._seek(ordering, values))
        if before:
            values = self._decode(before, BEFORE, ordering)
            queryset = queryset.filter(self._seek(reversed_ordering, values))
        rows = list(queryset[: self.page_size + 1])
        more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if backward:
            rows.reverse()
        self.item_cursors = [self._encode(row, ordering) for row in rows]
        self.range_truncated = ranged and more
        self.prev_cursor, self.next_cursor = self._neighbours(after, before, more)
        return rows

    def _neighbours(self, after: str | None, before: str | None, more: bool):
        """The cursors of `links.prev` (a `page[before]`) and `links.next` (a `page[after]`),
        None for a link that is null. Without `page[after]` whether a previous page exists is
        known exactly, without `page[before]` whether a next one does (the profile's MUSTs);
        elsewhere a link may lead to an empty page, and is null only where that is known."""
        first = self.item_cursors[0] if self.item_cursors else None
        last = self.item_cursors[-1] if self.item_cursors else None
        if after is None and before is None:  # the first page
            return None, (last if more else None)
        if before is None:  # page[after]
            return (None if after == "" else first if first is not None else ""), (
                last if more else None
            )
        if after is None:  # page[before]
            return (first if more else None), (None if before == "" else last or "")
        # page[after] and page[before]: a range
        prev = None if after == "" else first if first is not None else before
        nxt = None if before == "" and not more else last if last is not None else after
        return prev, nxt

    def _cursor_link(self, parameter: str, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        url = self.request.build_absolute_uri()
        url = remove_query_param(remove_query_param(url, AFTER), BEFORE)
        return replace_query_param(url, parameter, cursor)

    # -- response ----------------------------------------------------------------------------

    def get_paginated_response(self, data):
        if self.style == "cursor":
            return self._profile_response(data)
        meta = {"record_count": self.record_count, "page_count": self.page_count}
        links = {
            "first": self._number_link(1),
            "prev": self._number_link(self.number - 1 if self.number > 1 else None),
            "next": self._number_link(self.number + 1 if self.number < self.page_count else None),
            "last": self._number_link(self.page_count),
        }
        response = Response({"results": data, "meta": meta, "links": links})
        patch_vary_headers(response, ["Accept"])  # the profile in Accept changes the answer
        return response

    def _profile_response(self, data):
        meta = {"page_size": self.page_size}
        if self.range_truncated:
            meta["page"] = {"rangeTruncated": True}
        links = {
            # The empty cursors: both ends of the list, cheap to name.
            "first": self._cursor_link(AFTER, ""),
            "last": self._cursor_link(BEFORE, ""),
            "prev": self._cursor_link(BEFORE, self.prev_cursor),
            "next": self._cursor_link(AFTER, self.next_cursor),
        }
        extras = {"profile": [CURSOR_PROFILE], "item_cursors": self.item_cursors}
        response = Response(
            {"results": data, "meta": meta, "links": links, DOCUMENT_EXTRAS: extras},
            content_type=f'{JSON_API_MEDIA_TYPE}; profile="{CURSOR_PROFILE}"',
        )
        patch_vary_headers(response, ["Accept"])
        return response

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
