"""To-one relations a list joins (`select_related`), with their own prefetches run once.

Django builds a joined object for every row, and a prefetch below a joined relation
(`created_by__teams`) is applied to every row's copy, with a manager and a queryset each: a page
whose rows share one creator paid that a hundred times. Here the rows' copies become one object
per primary key and the prefetches below run once over those objects, with the same queries.
"""

from django.db.models import Model, QuerySet, prefetch_related_objects


def split_prefetches(queryset: QuerySet, joined: list[str]) -> tuple[QuerySet, dict]:
    """`queryset` without the (string) prefetch lookups through the `joined` relations, and
    those lookups by relation, relative to it (`{"created_by": ["teams"]}`)."""
    kept, below = [], {name: [] for name in joined}
    for lookup in queryset._prefetch_related_lookups:
        name, _, rest = lookup.partition("__") if isinstance(lookup, str) else ("", "", "")
        if name in below:
            if rest and rest not in below[name]:
                below[name].append(rest)
        else:
            kept.append(lookup)
    return queryset.prefetch_related(None).prefetch_related(*kept), below


def share_joined(rows: list[Model], below: dict[str, list[str]]) -> None:
    """Give the rows one object per pk for each joined relation, then prefetch below it."""
    for name, lookups in below.items():
        shared: dict = {}
        for row in rows:
            related = row._state.fields_cache.get(name)
            if related is not None:
                row._state.fields_cache[name] = shared.setdefault(related.pk, related)
        if lookups and shared:
            prefetch_related_objects(list(shared.values()), *lookups)
