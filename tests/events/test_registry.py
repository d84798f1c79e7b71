"""Adopting tracking is a declaration: `track(...)` in `ready()`, `@audited` on the serializer."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from events.registry import known_topics, register_topic, track, tracking_for_type
from organizations.models import Team
from organizations.serializers import TeamSerializer


def test_tracked_models_register_their_crud_topics():
    topics = set(known_topics())
    for type_name in ("teams", "members", "webhooks"):
        assert {f"{type_name}.{e}" for e in ("create", "update", "destroy")} <= topics
    assert tracking_for_type("teams").model is Team


def test_a_topic_names_its_type():
    with pytest.raises(ImproperlyConfigured):
        register_topic("completed")


def test_a_model_attribute_in_the_way_is_refused():
    from organizations.models import Organization

    with pytest.raises(ImproperlyConfigured, match="events"):
        track(type("Clash", (), {"events": 1, "_meta": Organization._meta}), type_name="clash")
    assert tracking_for_type("clash") is None
    assert "clash.create" not in known_topics()


def test_audited_serializer_declares_the_three_relationships():
    for name in ("events", "versions", "event_stores"):
        assert name in TeamSerializer._declared_fields
        assert name in TeamSerializer.Meta.fields
        assert name in TeamSerializer.related_serializers
