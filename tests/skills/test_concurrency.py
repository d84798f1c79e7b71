"""Concurrent version creation on a real multi-connection database (PostgreSQL)."""

import threading

import pytest
from django.db import connection, connections

from skills import services
from skills.models import Blob, SkillCollectionVersion
from tests.skills.factories import SkillCollectionFactory, skill_files

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs a database with concurrent connections"
    ),
]


def test_parallel_versions_get_distinct_numbers_and_one_label():
    collection = SkillCollectionFactory()
    files = {path: content.encode() for path, content in skill_files("pdf-tools").items()}
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def create() -> None:
        try:
            barrier.wait()
            services.create_version(
                collection, actor=collection.created_by, files=files, release_label="prod"
            )
        except BaseException as error:  # collected and asserted below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = sorted(
        SkillCollectionVersion.objects.filter(skill_collection=collection).values_list(
            "number", flat=True
        )
    )
    assert numbers == [1, 2, 3, 4, 5, 6]
    assert SkillCollectionVersion.objects.filter(release_label="prod").count() == 1
    assert Blob.objects.count() == len(files)
