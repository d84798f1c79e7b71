"""Per-key request counts shared by every process: the database by default, a cache (Redis) when
`SKILLPORT["RATE_LIMIT_CACHE"]` names one.

Windows are fixed minutes (`rate_limit` is requests a minute). Each request of a limited key adds
one to its `(key, minute)` counter in a single atomic statement and learns the new count, so N
processes together let exactly `limit` requests through per minute:

- database: `INSERT ... ON CONFLICT (ident, window_start) DO UPDATE SET hits = hits + 1
  RETURNING hits` (PostgreSQL and SQLite). The first hit of a new minute deletes every counter of
  earlier minutes, so the table holds about one row per active key.
- cache: `add` (Redis `SET NX EX`, expiring with the window) then `incr` (Redis `INCRBY`).

The count is taken by `RateLimitMiddleware` before the view's transaction (ATOMIC_REQUESTS)
begins: a counter row locked until the end of the request would serialize one key's requests on
PostgreSQL, a request that fails would roll its count back, and on SQLite the request's own write
lock would block a second connection.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.core.cache import caches
from django.db import connection

from organizations.conf import organizations_conf
from organizations.models import RateLimitCounter

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Usage:
    limit: int
    count: int
    reset_at: float  # epoch seconds at which the window ends

    @property
    def allowed(self) -> bool:
        return self.count <= self.limit

    @property
    def remaining(self) -> int:
        return max(self.limit - self.count, 0)

    def reset_in(self) -> int:
        """Whole seconds until the window ends (at least 1)."""
        return max(math.ceil(self.reset_at - time.time()), 1)

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_in()),
        }


def limit_for(key) -> int:
    """The key's own `rate_limit`, else the configured default; 0 means unlimited."""
    return getattr(key, "rate_limit", None) or organizations_conf.DEFAULT_RATE_LIMIT


def hit(ident: str, limit: int) -> Usage:
    """Count one request of `ident` in the current window and return where it stands."""
    window_start = int(time.time() // WINDOW_SECONDS) * WINDOW_SECONDS
    alias = organizations_conf.RATE_LIMIT_CACHE
    if alias:
        count = _cache_incr(alias, ident, window_start)
    else:
        count = _database_incr(ident, window_start)
    return Usage(limit=limit, count=count, reset_at=window_start + WINDOW_SECONDS)


def _cache_incr(alias: str, ident: str, window_start: int) -> int:
    cache = caches[alias]
    key = f"ratelimit:{ident}:{window_start}"
    for _attempt in range(3):
        # A little longer than the window, so a count never expires while its window is open.
        cache.add(key, 0, timeout=WINDOW_SECONDS + 5)
        try:
            return cache.incr(key)
        except ValueError:  # it expired between the two calls: start it again
            continue
    raise RuntimeError(f"Cannot count requests in the cache {alias!r}.")


def _database_incr(ident: str, window_start: int) -> int:
    table = connection.ops.quote_name(RateLimitCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (ident, window_start, hits) VALUES (%s, %s, 1) "
            f"ON CONFLICT (ident, window_start) DO UPDATE SET hits = {table}.hits + 1 "
            "RETURNING hits",
            [ident, window_start],
        )
        (count,) = cursor.fetchone()
        if count == 1:
            # First hit of a new window for this key: earlier windows are done with.
            cursor.execute(f"DELETE FROM {table} WHERE window_start < %s", [window_start])
    return count
