"""The periodic work (core/jobs/schedule.py) and the one program that runs it, `manage.py
scheduler`: the table, `--once`, and a loop that a failing job (an unreachable database) does not
end."""

from __future__ import annotations

import configparser
import io
import json
import os

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError

from core.jobs import loops
from core.jobs.schedule import SCHEDULE, Entry, entries
from tests.served import ROOT, manage

FIVE = {
    "export_leases": ("exports.tasks.recover_leases", 60.0),
    "export_files": ("exports.bulk.services.cleanup_expired_files", 60.0),
    "idempotency_keys": ("api.idempotency.purge_expired", 60.0),
    "git_trees": ("skills.git.repositories.sweep_trees", 60.0),
    "webhooks": ("events.services.sweep", 30.0),
}


def test_the_table_lists_the_five_periodic_jobs_with_their_intervals():
    assert {entry.name: (entry.path, entry.interval) for entry in entries()} == FIVE
    assert dict(SCHEDULE[-1].kwargs) == {"enqueue": True}


def test_the_environment_sets_the_intervals_through_the_settings():
    code = (
        "import json; from core.jobs.schedule import entries; "
        "print(json.dumps({e.name: e.interval for e in entries()}))"
    )
    env = {**os.environ, "SKILLPORT_SWEEP_INTERVAL": "5", "SKILLPORT_WEBHOOK_SWEEP_INTERVAL": "2"}
    printed = manage(env, "shell", "-c", code)
    assert json.loads(printed.splitlines()[-1]) == {
        "export_leases": 5.0,
        "export_files": 5.0,
        "idempotency_keys": 5.0,
        "git_trees": 5.0,
        "webhooks": 2.0,
    }


def test_an_interval_from_the_settings_overrides_the_default(settings):
    settings.SKILLPORT = {**settings.SKILLPORT, "WEBHOOK_SWEEP_INTERVAL": 3600}
    intervals = {entry.name: entry.interval for entry in entries()}
    assert intervals == {
        **{name: interval for name, (_, interval) in FIVE.items()},
        "webhooks": 3600,
    }
    assert [entry.name for entry in entries(["webhooks"])] == ["webhooks"]
    with pytest.raises(ValueError, match="nightly"):
        entries(["nightly"])


@pytest.mark.django_db
def test_once_runs_every_job_once_with_one_summary_line_each():
    out = io.StringIO()
    call_command("scheduler", "--once", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split()[0] for line in lines] == list(FIVE)
    assert lines[0].startswith("export_leases requeued=0 failed=0 skill_exports_requeued=0 ")
    assert "export_files files_deleted=0 " in lines[1]
    assert "idempotency_keys keys_purged=0 " in lines[2]
    assert "git_trees trees_deleted=0 " in lines[3]
    assert "webhooks deliveries_enqueued=0 " in lines[4]
    assert all(line.endswith(" s)") for line in lines)


@pytest.mark.django_db
def test_only_runs_the_named_jobs():
    out = io.StringIO()
    call_command("scheduler", "--once", "--only", "git_trees", "--only", "webhooks", stdout=out)
    assert [line.split()[0] for line in out.getvalue().splitlines()] == ["git_trees", "webhooks"]
    with pytest.raises(CommandError):
        call_command("scheduler", "--once", "--only", "nightly")


# Jobs for the loop tests, named by dotted path like the real ones.
calls: list[str] = []


def steady() -> int:
    calls.append("steady")
    return len(calls)


def down_at_first() -> dict[str, int]:
    calls.append("flaky")
    if calls.count("flaky") == 1:
        raise OperationalError("the database system is starting up")
    return {"ok": 1}


def broken() -> int:
    calls.append("broken")
    raise RuntimeError("a bug in one job")


class Stop(Exception):
    pass


def stop_after(passes: int):
    """A `sleep` that ends the loop after `passes` passes (and does not wait)."""
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) >= passes:
            raise Stop

    return sleep, slept


@pytest.fixture
def jobs():
    calls.clear()
    yield [
        Entry("flaky", "tests.test_scheduler.down_at_first", "", interval=0.0),
        Entry("broken", "tests.test_scheduler.broken", "", interval=0.0),
        Entry("steady", "tests.test_scheduler.steady", "", interval=0.0),
    ]
    calls.clear()


@pytest.mark.django_db(transaction=True)  # a loop's pass vets the connection like a request
def test_a_failing_job_does_not_end_the_loop_nor_keep_the_others_from_running(jobs, capsys):
    out = io.StringIO()
    sleep, _ = stop_after(3)
    with pytest.raises(Stop):
        loops.run_forever(jobs, out, sleep=sleep)
    assert calls == ["flaky", "broken", "steady"] * 3
    # The database error is reported, and the job runs again at its next turn.
    assert (
        "flaky: database unavailable: the database system is starting up" in capsys.readouterr().err
    )
    lines = out.getvalue().splitlines()
    assert [line.split()[:2] for line in lines] == [
        ["steady", "count=3"],
        ["flaky", "ok=1"],
        ["steady", "count=6"],
        ["flaky", "ok=1"],
        ["steady", "count=9"],
    ]


@pytest.mark.django_db(transaction=True)
def test_each_job_runs_at_its_own_interval():
    calls.clear()
    fast = Entry("fast", "tests.test_scheduler.steady", "", interval=0.0)
    slow = Entry("slow", "tests.test_scheduler.down_at_first", "", interval=3600.0)
    sleep, slept = stop_after(3)
    with pytest.raises(Stop):
        loops.run_forever([slow, fast], io.StringIO(), sleep=sleep)
    assert calls == ["flaky", "steady", "steady", "steady"]  # slow only once, at the start
    assert slept == [0.0, 0.0, 0.0]  # the fast job is due again at once
    calls.clear()


def test_once_reports_the_failed_jobs_after_running_all(jobs):
    out = io.StringIO()
    assert loops.run_once(jobs, out) == ["flaky", "broken"]
    assert calls == ["flaky", "broken", "steady"]
    assert out.getvalue().startswith("steady count=3 ")


@pytest.mark.parametrize("layout", ["config/supervisord.conf", "benchmarks/load/supervisord.conf"])
def test_the_process_layouts_run_web_worker_and_one_scheduler(layout):
    parser = configparser.RawConfigParser()
    parser.read(ROOT / layout)
    programs = {
        s.split(":", 1)[1]: parser[s] for s in parser.sections() if s.startswith("program:")
    }
    assert list(programs) == ["web", "worker", "scheduler"]
    assert programs["scheduler"]["command"].endswith("manage.py scheduler")
    assert "numprocs" not in programs["scheduler"]  # exactly one
