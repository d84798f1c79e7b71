"""The alert rules operators start from (deploy/prometheus/alerts.yml) are valid Prometheus rules,
and name only metrics Skillport exposes; the exposition passes promtool's lint. promtool comes
from Debian's `prometheus` package (`.ci/run` installs it); without it these tests skip."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml
from django.test import Client

from tests.operations.test_metrics import TOKEN, metrics_on  # noqa: F401  (fixture)
from tests.served import ROOT

RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool is not installed (Debian package `prometheus`)"
)


def exposition() -> str:
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    return response.content.decode()


@needs_promtool
def test_promtool_checks_the_alert_rules():
    done = subprocess.run(
        [PROMTOOL, "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


@pytest.mark.django_db
def test_the_rules_name_only_exposed_metrics(metrics_on, client):  # noqa: F811
    client.get("/api/organizations")  # one request, so the request metrics have samples
    exposed = set(re.findall(r"^# TYPE (\S+) (\S+)", exposition(), re.MULTILINE))
    names = set()
    for name, kind in exposed:
        names.add(name)
        if kind == "counter":
            names.add(f"{name}_total")
        if kind == "histogram":
            names |= {f"{name}_count", f"{name}_sum", f"{name}_bucket"}
    rules = yaml.safe_load(RULES.read_text())["groups"][0]["rules"]
    used = {
        metric for rule in rules for metric in re.findall(r"\b(skillport_[a-z_]+)", rule["expr"])
    }
    assert used and used <= names, used - names


@needs_promtool
@pytest.mark.django_db
def test_promtool_lints_the_exposition(metrics_on, client):  # noqa: F811
    client.get("/api/organizations")
    done = subprocess.run(
        [PROMTOOL, "check", "metrics"], input=exposition(), capture_output=True, text=True
    )
    problems = [line for line in (done.stdout + done.stderr).splitlines() if "skillport_" in line]
    assert not problems, problems
