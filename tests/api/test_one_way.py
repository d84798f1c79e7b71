"""One way to write, one table of errors: serializers validate and render (the viewset's service
writes), and every domain error has its row in `api.errors`."""

import importlib
import inspect
import pkgutil

import pytest
from rest_framework import exceptions, serializers

from api.errors import DOMAIN_ERRORS, kind_of, metorial_error
from api.exceptions import (
    Conflict,
    InvalidQueryParameter,
    UnprocessableEntity,
    exception_handler,
)
from api.serializers import ResourceSerializer
from core import errors as domain

APPS = ("api", "core", "events", "organizations", "files", "skills", "exports")
# Where `create`/`update` may come from: DRF's base (it raises) and ResourceSerializer (it raises).
NON_WRITING = {serializers.BaseSerializer, ResourceSerializer}


def _project_modules():
    for app in APPS:
        package = importlib.import_module(app)
        yield package
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" not in info.name:
                yield importlib.import_module(info.name)


def _project_serializers() -> list[type]:
    found = set()
    for module in _project_modules():
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, serializers.BaseSerializer) and value.__module__.startswith(APPS):
                found.add(value)
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def _owner(cls: type, name: str) -> type:
    return next(klass for klass in cls.__mro__ if name in klass.__dict__)


def test_no_serializer_writes():
    classes = _project_serializers()
    names = {cls.__name__ for cls in classes}
    assert {"WebhookSerializer", "SkillCollectionSerializer", "MetorialErrorSerializer"} <= names
    writing = [
        f"{cls.__module__}.{cls.__qualname__}.{name} (from {_owner(cls, name).__qualname__})"
        for cls in classes
        for name in ("create", "update")
        if _owner(cls, name) not in NON_WRITING
    ]
    assert writing == []


def test_resource_serializers_refuse_to_write():
    with pytest.raises(NotImplementedError):
        ResourceSerializer.create(None, {})
    with pytest.raises(NotImplementedError):
        ResourceSerializer.update(None, None, {})


def test_every_domain_error_has_a_row():
    classes = [
        value
        for _, value in inspect.getmembers(domain, inspect.isclass)
        if issubclass(value, domain.DomainError) and value is not domain.DomainError
    ]
    assert set(classes) == set(DOMAIN_ERRORS)
    # Each is rendered by its own row, not by a more general one listed first.
    assert all(
        kind_of(error_class.__new__(error_class)) is DOMAIN_ERRORS[error_class]
        for error_class in classes
    )


def test_a_validation_failure_is_one_metorial_error_per_message():
    body = metorial_error(domain.ValidationFailed({"target": ["Required."], "skill_id": ["No."]}))
    assert body == {
        "object": "error",
        "status": 422,
        "code": "invalid_data",
        "message": "The request body is not valid. target: Required.; skill_id: No.",
        "errors": [
            {"code": "invalid", "message": "Required.", "path": ["target"]},
            {"code": "invalid", "message": "No.", "path": ["skill_id"]},
        ],
    }


class _OldUnknownParameterValue(InvalidQueryParameter):
    """What skills.selectors raised before the domain errors: a 404 naming its parameter."""

    status_code = 404
    default_code = "not_found"


@pytest.mark.parametrize(
    ("domain_error", "drf_error"),
    [
        (domain.NotFound(), exceptions.NotFound()),
        (domain.NotFound("No version 9."), exceptions.NotFound("No version 9.")),
        (
            domain.InvalidParameter("label", "Not both."),
            InvalidQueryParameter("label", "Not both."),
        ),
        (
            domain.UnknownParameterValue("against", "No label 'x'."),
            _OldUnknownParameterValue("against", "No label 'x'."),
        ),
        (
            domain.ValidationFailed({"filters": ["name: unknown."], "fields": ["a", "b"]}),
            UnprocessableEntity({"filters": ["name: unknown."], "fields": ["a", "b"]}),
        ),
        (
            domain.TooMany("At most 2 exports.", wait=30),
            exceptions.Throttled(30, "At most 2 exports."),
        ),
        (domain.TooMany("Wait.", wait=1), exceptions.Throttled(1, "Wait.")),
        (domain.Conflict("Taken."), Conflict("Taken.")),
    ],
)
def test_a_domain_error_answers_as_the_drf_error_it_replaces(domain_error, drf_error):
    """The table renders each domain error byte for byte as the DRF exception services raised."""
    new = exception_handler(domain_error, {"view": None})
    old = exception_handler(drf_error, {"view": None})
    assert (new.status_code, new.data, dict(new.items())) == (
        old.status_code,
        old.data,
        dict(old.items()),
    )
