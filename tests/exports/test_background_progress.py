"""`Heartbeat.progress_in_background`: progress written from a thread over the heartbeat's own
connection (PostgreSQL), the latest count always landing, a lost lease still raised."""

import pytest

from core.jobs import leases as jobs
from exports.models import Export
from tests.exports.conftest import requires_postgres
from tests.exports.factories import ExportFactory


def running_export() -> Export:
    export = ExportFactory()
    claimed = jobs.claim(Export, export.pk, "owner-1")
    assert claimed is not None
    return claimed


def progress_of(export: Export) -> int:
    return Export.objects.values_list("records_exported", flat=True).get(pk=export.pk)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_the_last_count_handed_over_is_written():
    export = running_export()
    heartbeat = jobs.Heartbeat(export, progress_field="records_exported", separate_connection=True)
    try:
        with heartbeat.progress_in_background() as progress:
            for count in range(100, 5001, 100):
                progress(count)
        assert progress_of(export) == 5000
    finally:
        heartbeat.close()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_lost_lease_is_raised():
    export = running_export()
    heartbeat = jobs.Heartbeat(export, progress_field="records_exported", separate_connection=True)
    try:
        with heartbeat.progress_in_background() as progress:
            progress(10)
        assert progress_of(export) == 10
        Export.objects.filter(pk=export.pk).update(lease_owner="owner-2")  # taken over
        with pytest.raises(jobs.LeaseLost), heartbeat.progress_in_background() as progress:
            progress(20)
        assert progress_of(export) == 10
    finally:
        heartbeat.close()


@pytest.mark.django_db
def test_without_a_separate_connection_beats_stay_in_this_thread():
    export = running_export()
    heartbeat = jobs.Heartbeat(export, progress_field="records_exported")
    with heartbeat.progress_in_background() as progress:
        progress(7)
        assert progress_of(export) == 7  # already written: same thread, same transaction
