"""Which models are tracked and which webhook topics exist.

    track(Team, type_name="teams")                      # teams.create/update/destroy
    track(Export, type_name="exports", exclude=("updated_at",),
          topics=("start", "completed", "interrupt"))   # + exports.start, ...
    register_topic("skill_exports.completed")           # a topic without a tracked model

`track` connects the model's save/delete signals (changes are recorded in the saving
transaction) and gives the model `events`, `event_stores`, `audit_versions` (and `versions`
when the model has no attribute of that name) querysets, used by the serializer relationships.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from core.models import Mode, Tenant, TenantModel

CRUD_EVENTS = ("create", "update", "destroy")

_topics: set[str] = set()


@dataclass(frozen=True)
class Tracking:
    model: type[models.Model]
    type_name: str
    exclude: frozenset[str] = field(default_factory=frozenset)
    organization: Callable[[models.Model], object] | None = None

    def organization_id(self, instance: models.Model):
        if self.organization is not None:
            organization = self.organization(instance)
            return getattr(organization, "pk", organization)
        return instance.organization_id

    def tenants(self, instance: models.Model) -> list[Tenant]:
        """Whose audit trail a change of `instance` joins: its own tenant, or both modes of its
        organization for an account-level row (teams, members), which both modes see."""
        organization_id = self.organization_id(instance)
        if isinstance(instance, TenantModel):
            return [Tenant(organization_id, instance.mode)]
        return [Tenant(organization_id, mode) for mode in Mode.values]

    def tracked_fields(self) -> list[models.Field]:
        return [
            f
            for f in self.model._meta.concrete_fields
            if f.name not in self.exclude and not f.primary_key
        ]


_by_model: dict[type[models.Model], Tracking] = {}
_by_type: dict[str, Tracking] = {}


def register_topic(*names: str) -> None:
    for name in names:
        if "." not in name:
            raise ImproperlyConfigured(f"Topic '{name}' must look like '<type>.<event>'.")
        _topics.add(name)


def known_topics() -> list[str]:
    return sorted(_topics)


def is_topic(name: str) -> bool:
    return name in _topics


def tracking_for_model(model: type[models.Model]) -> Tracking | None:
    return _by_model.get(model)


def tracking_for_type(type_name: str) -> Tracking | None:
    return _by_type.get(type_name)


class AuditQuerySetDescriptor:
    """`instance.events` / `.audit_versions` / `.event_stores`: the audit rows of one resource."""

    def __init__(self, model_path: str):
        self.model_path = model_path

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        tracking = _by_model[type(instance)]
        model = apps.get_model(self.model_path)
        return model.objects.filter(
            resource_type=tracking.type_name, resource_id=str(instance.pk)
        ).order_by("-created_at", "-id")


def _install(model: type[models.Model], name: str, model_path: str) -> None:
    """Add the audit queryset attribute unless the model has its own (e.g. content `versions`)."""
    existing = getattr(model, name, None)
    if existing is None or isinstance(existing, AuditQuerySetDescriptor):
        setattr(model, name, AuditQuerySetDescriptor(model_path))


def track(
    model: type[models.Model],
    *,
    type_name: str,
    exclude: Iterable[str] = ("updated_at",),
    topics: Iterable[str] = (),
    organization: Callable[[models.Model], object] | None = None,
) -> Tracking:
    """Record an event and an audit version for every create/update/destroy of `model`.

    `topics` adds status-change topics (`"completed"` becomes `<type_name>.completed`) emitted
    with `record_event`. `organization(instance)` returns the owning organization when the
    model has no `organization_id`.
    """
    for name in ("events", "event_stores", "audit_versions"):
        existing = getattr(model, name, None)
        if existing is not None and not isinstance(existing, AuditQuerySetDescriptor):
            raise ImproperlyConfigured(f"{model.__name__}.{name} exists; cannot track it.")
    tracking = Tracking(model, type_name, frozenset(exclude), organization)
    _by_model[model] = tracking
    _by_type[type_name] = tracking
    register_topic(*(f"{type_name}.{event}" for event in CRUD_EVENTS))
    register_topic(*(t if "." in t else f"{type_name}.{t}" for t in topics))
    _install(model, "events", "events.Event")
    _install(model, "event_stores", "events.EventStore")
    _install(model, "audit_versions", "events.Version")
    _install(model, "versions", "events.Version")
    return tracking


_encoder = DjangoJSONEncoder()


def jsonable(value):
    """A field value as the audit trail stores it (JSON-ready)."""
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    return _encoder.default(value)
