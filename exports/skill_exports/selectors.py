"""Reads for skill exports outside the JSON:API viewsets (the Metorial-compatible surface)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from exports.models import SkillExport


def for_tenant(queryset: QuerySet, auth) -> QuerySet:
    """The tenancy gate for the Metorial surface, in one line: `auth` is the request's API key.

    It narrows exactly as `TenantScopedMixin` does for the JSON:API views; change both together.
    """
    return queryset.for_tenant(auth.tenant)


def skill_exports_for(auth) -> QuerySet[SkillExport]:
    """The key's skill exports with everything a Metorial object embeds, in a fixed number of
    queries whatever the page size."""
    return (
        for_tenant(SkillExport.objects, auth)
        .select_related("created_by", "file__created_by", "file_link__file")
        .prefetch_related("created_by__teams", "file__created_by__teams")
    )


@dataclass
class Page:
    items: list[SkillExport]
    has_more_before: bool
    has_more_after: bool


def _beyond(anchor: SkillExport, *, descending: bool) -> Q:
    """The exports that come after `anchor` in (created_at, id) order, ascending or descending."""
    op = "lt" if descending else "gt"
    return Q(**{f"created_at__{op}": anchor.created_at}) | Q(
        created_at=anchor.created_at, **{f"id__{op}": anchor.pk}
    )


def keyset_page(
    queryset: QuerySet,
    *,
    limit: int,
    descending: bool,
    after: SkillExport | None = None,
    before: SkillExport | None = None,
) -> Page:
    """`limit` exports in (created_at, id) order, after or before an anchor export; the cost does
    not grow with depth. The anchor's position counts even when the filters exclude it."""
    forward = ("-created_at", "-id") if descending else ("created_at", "id")
    backward = tuple(field[1:] if field.startswith("-") else f"-{field}" for field in forward)
    if before is not None:
        rows = list(
            queryset.filter(_beyond(before, descending=not descending)).order_by(*backward)[
                : limit + 1
            ]
        )
        has_more_before = len(rows) > limit
        rows = rows[:limit][::-1]
        if rows:
            later = _beyond(rows[-1], descending=descending)
        else:
            later = _beyond(before, descending=descending) | Q(pk=before.pk)
        has_more_after = queryset.filter(later).exists()
        return Page(rows, has_more_before, has_more_after)
    start = queryset.filter(_beyond(after, descending=descending)) if after else queryset
    rows = list(start.order_by(*forward)[: limit + 1])
    has_more_after = len(rows) > limit
    rows = rows[:limit]
    if after is None:
        has_more_before = False  # the first page: nothing comes before it
    elif rows:
        has_more_before = queryset.filter(_beyond(rows[0], descending=not descending)).exists()
    else:
        has_more_before = queryset.filter(
            _beyond(after, descending=not descending) | Q(pk=after.pk)
        ).exists()
    return Page(rows, has_more_before, has_more_after)
