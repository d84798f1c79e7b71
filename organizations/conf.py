"""Rate limits per API key (`settings.SKILLPORT`); see core/conf.py."""

from core.conf import AppSettings, Setting

DEFAULTS = {
    "DEFAULT_RATE_LIMIT": Setting(
        0,
        "SKILLPORT_DEFAULT_RATE_LIMIT",
        "requests a minute per API key for keys without their own `rate_limit`",
        shown="`0` (unlimited)",
    ),
    "RATE_LIMIT_CACHE": Setting(
        None,
        None,
        "cache alias that counts requests; unset counts in the database "
        "(config/settings.py sets `ratelimit`, a Redis cache, when `REDIS_URL` is set)",
    ),
}
organizations_conf = AppSettings("SKILLPORT", DEFAULTS, "Rate limits")
