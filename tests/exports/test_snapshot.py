"""An export reads one consistent snapshot: writes made while it runs do not leak into it."""

import pytest

from exports.models import Export
from organizations.models import Member
from tests.exports.conftest import read_export_file, requires_postgres, worker_process
from tests.exports.test_crash_safety import SLOW, start_export
from tests.factories import MemberFactory
from tests.waiting import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


@requires_postgres
def test_records_created_or_deleted_during_the_export_do_not_change_it(
    client, organization, media_root
):
    MemberFactory.create_batch(199, organization=organization)
    at_start = {str(pk) for pk in Member.objects.values_list("pk", flat=True)}
    export = start_export(client)
    # Slower than SLOW: the writes below record audit rows in both modes (members are
    # account-level) and must land while the export still runs.
    worker = worker_process(
        media_root, "--batch", **{**SLOW, "SKILLPORT_EXPORT_CHUNK_PAUSE": "0.4"}
    )
    try:
        wait_for(
            lambda: Export.objects.filter(
                pk=export.pk, status="in_progress", records_exported__gt=0
            ).exists()
        )
        MemberFactory.create_batch(30, organization=organization)
        Member.objects.filter(pk__in=sorted(at_start)[:30]).exclude(
            pk=export.created_by_id
        ).delete()
        assert Export.objects.get(pk=export.pk).status == "in_progress"  # written mid-export
        assert worker.wait(60) == 0, worker.stdout.read()
    finally:
        worker.kill()
    data = client.get(f"/api/exports/{export.pk}").json()["data"]
    assert data["attributes"]["status"] == "completed"
    assert data["attributes"]["records_count"] == 200
    assert {row["id"] for row in read_export_file(client, data)} == at_start
