"""The tenant row counters (core/row_counts.py) against the rows they count; `--repair`
counts the table again."""

from __future__ import annotations

from collections.abc import Iterator

from core.integrity import Context, Finding
from core.row_counts import counted_models, counted_rows, counter_totals, recount

NAME = "row_counters"


def _differences(model) -> dict[tuple[str, str], tuple[int, int]]:
    rows, totals = counted_rows(model), counter_totals(model)
    return {
        tenant: (totals.get(tenant, 0), rows.get(tenant, 0))
        for tenant in rows.keys() | totals.keys()
        if totals.get(tenant, 0) != rows.get(tenant, 0)
    }


def check_counters(context: Context) -> Iterator[Finding]:
    for model in counted_models():
        context.step(model._meta.db_table)
        different = _differences(model)
        if different:
            # The two reads are two statements: a write between them is no damage, so a
            # difference counts only when a second reading shows the same one.
            again = _differences(model)
            different = {key: value for key, value in different.items() if again.get(key) == value}
        if not different:
            continue
        if context.repair:
            recount(model)
        for (organization, mode), (counted, rows) in sorted(different.items()):
            yield Finding(
                NAME,
                f"{model._meta.db_table} organization {organization} mode {mode or '-'}",
                f"counter says {counted}, there are {rows} rows",
                repairable=True,
                repaired=context.repair,
            )
