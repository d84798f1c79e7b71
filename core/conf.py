"""Settings: one object per app over defaults written once (like django-filter's `conf.py`).

An app declares its settings in its own `conf.py`: a `DEFAULTS` dict of `Setting` records (the
default, the environment variable that sets it, one line saying what it does) and an
`AppSettings(name, DEFAULTS)` object that the app's code reads by attribute, e.g.
`events_conf.TIMEOUT`. A value comes from the Django setting `name` (a dict, e.g.
`SKILLPORT_WEBHOOKS["TIMEOUT"]`) when it holds the key, else from `DEFAULTS`.

Only `config/settings.py` reads the environment: `environment_settings(environ, groups)` turns
the variables that are set into those dicts, so `DEFAULTS` stays the one place of each default.
Values are cached; Django's `setting_changed` (sent by `override_settings` and pytest-django's
`settings` fixture) empties the cache of the objects reading that setting.

The configuration reference (docs/reference/configuration.md) is rendered from every group
registered here (`manage.py config_reference`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings as django_settings
from django.core.signals import setting_changed

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
KIB = 1024
MIB = 1024 * KIB


def parse_bool(text: str) -> bool:
    """An environment switch: `1`, `true`, `yes` or `on` (any case) is true, anything else false."""
    return text.strip().lower() in TRUE_WORDS


@dataclass(frozen=True)
class Setting:
    """One setting: its default, the variable that sets it and what it does, kept together."""

    default: Any
    env: str | None  # the environment variable config/settings.py maps to it (None: none)
    doc: str  # one line for the configuration reference (Markdown)
    parse: Callable[[str], Any] | None = None  # variable text -> value; None: the default's type
    shown: str | None = None  # the default as the reference shows it, when not the plain value
    unit: str = ""  # "s" (seconds) or "bytes", for the reference
    setting: str | None = None  # a top-level Django setting of its own instead of a key of the dict

    def from_text(self, text: str) -> Any:
        if self.parse is not None:
            return self.parse(text)
        if isinstance(self.default, bool):
            return parse_bool(text)
        if isinstance(self.default, (int, float)):
            return type(self.default)(text)
        return text

    def shown_default(self) -> str:
        if self.shown is not None:
            return self.shown
        value = self.default
        if value is None:
            return "unset"
        if isinstance(value, bool):
            return f"`{str(value).lower()}`"
        if self.unit == "bytes" and value >= KIB:
            return f"{value // MIB} MiB" if value % MIB == 0 else f"{value // KIB} KiB"
        if isinstance(value, float):
            value = f"{value:g}"
        return f"`{value}`" + (f" {self.unit}" if self.unit == "s" else "")


# Every group of settings, in the order they were declared: the configuration reference lists them.
REGISTRY: list[SettingGroup] = []


class SettingGroup:
    """Named settings rendered in the configuration reference."""

    def __init__(self, title: str, defaults: Mapping[str, Setting], name: str | None = None):
        self.title = title
        self.name = name  # the Django setting (a dict) holding the values, if any
        self.defaults = dict(defaults)
        REGISTRY.append(self)

    def setting_name(self, key: str) -> str:
        """How the reference names a setting: the Django setting and key that override it."""
        record = self.defaults[key]
        if record.setting or self.name is None:
            return record.setting or key
        return f'{self.name}["{key}"]'


class AppSettings(SettingGroup):
    """An app's settings, read by attribute: `settings.<name>[KEY]` over `DEFAULTS[KEY]`."""

    def __init__(self, name: str, defaults: Mapping[str, Setting], title: str) -> None:
        super().__init__(title, defaults, name)
        self._cache: dict[str, Any] = {}
        self.mapped = False  # set when config/settings.py maps the environment to it
        self._watched = {name} | {r.setting for r in self.defaults.values() if r.setting}
        setting_changed.connect(self._reload, weak=False)

    def __getattr__(self, key: str) -> Any:
        defaults = self.__dict__.get("defaults", {})
        if key not in defaults:
            raise AttributeError(f"{self.__dict__.get('name')} has no setting {key!r}")
        cache = self.__dict__["_cache"]
        if key not in cache:
            record = defaults[key]
            if record.setting:
                cache[key] = getattr(django_settings, record.setting, record.default)
            else:
                configured = getattr(django_settings, self.name, None) or {}
                cache[key] = configured.get(key, record.default)
        return cache[key]

    def _reload(self, *, setting: str, **kwargs: Any) -> None:
        if setting in self._watched:
            self._cache.clear()


def environment_settings(
    environ: Mapping[str, str], groups: Iterable[AppSettings]
) -> dict[str, Any]:
    """Django settings from the variables that are set (a blank one counts as unset).

    Every group's dict is present (empty when nothing is set), so `{**settings.SKILLPORT, ...}`
    works in tests; a setting with a top-level name of its own is present only when set.
    """
    result: dict[str, Any] = {}
    for group in groups:
        group.mapped = True  # a test checks that config/settings.py maps every app's settings
        values = result.setdefault(group.name, {})
        for key, record in group.defaults.items():
            if record.env is None or not environ.get(record.env, "").strip():
                continue
            value = record.from_text(environ[record.env])
            if record.setting:
                result[record.setting] = value
            else:
                values[key] = value
    return result


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def reference() -> str:
    """The configuration reference's tables: Django and infrastructure first, then the apps'
    groups by title (an order that does not depend on which module was imported first)."""
    groups = sorted(REGISTRY, key=lambda group: (group.name is not None, group.title))
    parts = []
    for group in groups:
        app = group.name is not None
        lines = [f"## {group.title}", ""]
        if app:
            lines += ["| variable | setting | default | meaning |", "| --- | --- | --- | --- |"]
        else:
            lines += ["| variable | default | meaning |", "| --- | --- | --- |"]
        for key, record in group.defaults.items():
            cells = [f"`{record.env}`" if record.env else "-"]
            if app:
                cells.append(f"`{group.setting_name(key)}`")
            cells += [record.shown_default(), record.doc]
            lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


DEFAULTS = {
    "JOB_LEASE_SECONDS": Setting(
        60.0,
        "SKILLPORT_JOB_LEASE_SECONDS",
        "lease of a background job (exports, skill exports): its worker renews it while it runs; "
        "a job whose lease expired is requeued",
        unit="s",
    ),
    "JOB_MAX_ATTEMPTS": Setting(
        3, "SKILLPORT_JOB_MAX_ATTEMPTS", "attempts before a lost job is interrupted/failed"
    ),
    # The periodic jobs' intervals (core/jobs/schedule.py names which job runs at which).
    "SWEEP_INTERVAL": Setting(
        60.0,
        "SKILLPORT_SWEEP_INTERVAL",
        "seconds between runs of the scheduler's upkeep jobs: `export_leases`, `export_files`, "
        "`idempotency_keys`, `git_trees`",
        unit="s",
    ),
    "WEBHOOK_SWEEP_INTERVAL": Setting(
        30.0,
        "SKILLPORT_WEBHOOK_SWEEP_INTERVAL",
        "seconds between runs of the scheduler's `webhooks` job (due and stale deliveries back "
        "to the workers, probes of open circuits)",
        unit="s",
    ),
    "DOWNLOAD_URL_EXPIRES_SECONDS": Setting(
        3600,
        "SKILLPORT_DOWNLOAD_URL_EXPIRES",
        "lifetime of `attachment_url` and default lifetime of `file_links`",
        unit="s",
    ),
}
core_conf = AppSettings("SKILLPORT", DEFAULTS, "Background jobs and download links")
