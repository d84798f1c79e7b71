"""Strict-Transport-Security on secure requests (behind a TLS proxy too) and a
Content-Security-Policy on the admin and docs pages that still lets them render."""

import base64
import hashlib
import os
import re
import subprocess
import sys

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from tests.served import ROOT, get, gunicorn, install_env

pytestmark = pytest.mark.django_db

PROXY_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


def csp(response) -> dict[str, list[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


# -- HSTS ---------------------------------------------------------------------------------------


def test_hsts_on_requests_that_came_over_tls_through_the_proxy(settings):
    settings.SECURE_PROXY_SSL_HEADER = PROXY_HEADER
    response = Client().get("/health", HTTP_X_FORWARDED_PROTO="https")
    assert response["Strict-Transport-Security"] == f"max-age={settings.SECURE_HSTS_SECONDS}"
    assert settings.SECURE_HSTS_SECONDS >= 180 * 24 * 3600


def test_no_hsts_on_plain_http(settings):
    settings.SECURE_PROXY_SSL_HEADER = PROXY_HEADER
    assert "Strict-Transport-Security" not in Client().get("/health")
    # Without a configured proxy header a client cannot claim TLS by sending the header.
    settings.SECURE_PROXY_SSL_HEADER = None
    response = Client().get("/health", HTTP_X_FORWARDED_PROTO="https")
    assert "Strict-Transport-Security" not in response


def test_the_http_server_does_not_take_a_client_claim_of_tls_either(tmp_path):
    # Before: gunicorn trusted X-Forwarded-Proto from 127.0.0.1 (its default
    # forwarded_allow_ips) whatever SECURE_PROXY_SSL_HEADER said, so any client of `make serve`
    # got HTTPS treatment (HSTS, https:// links) by sending the header.
    with gunicorn(install_env(tmp_path)) as url:
        for header in ("X-Forwarded-Proto", "X-Forwarded-Ssl", "X-Forwarded-Protocol"):
            value = {"X-Forwarded-Ssl": "on", "X-Forwarded-Protocol": "ssl"}.get(header, "https")
            status, headers, _body = get(url + "/api/members", **{header: value})
            assert status == 401
            assert "Strict-Transport-Security" not in headers, header
    # ... while the configured proxy header still counts.
    proxied = install_env(tmp_path, SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https")
    with gunicorn(proxied) as url:
        _status, headers, _body = get(url + "/api/members", **{"X-Forwarded-Proto": "https"})
        assert headers["Strict-Transport-Security"].startswith("max-age=")


def settings_of(*names: str, **env: str) -> list[str]:
    code = (
        "import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings');"
        "from django.conf import settings;"
        f"[print(repr(getattr(settings, name))) for name in {names!r}]"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_proxy_header_and_hsts_come_from_the_environment():
    names = ("SECURE_PROXY_SSL_HEADER", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS")
    assert settings_of(
        *names,
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https",
        SECURE_HSTS_SECONDS="600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="true",
    ) == ["('HTTP_X_FORWARDED_PROTO', 'https')", "600", "True"]


# -- CSP ----------------------------------------------------------------------------------------


def test_docs_page_has_a_csp_that_allows_exactly_what_it_uses():
    client = Client()
    response = client.get("/api/docs", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    html = response.content.decode()
    policy = csp(response)
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    # No inline script: every script is a same-origin file that exists.
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all(body.strip() == "" for _, body in scripts)
    sources = [re.search(r'src="([^"]+)"', attributes).group(1) for attributes, _ in scripts]
    assert all(src.startswith("/") for src in sources)
    static = [src for src in sources if src.startswith("/static/")]
    assert len(static) == 2 and all(finders.find(src.removeprefix("/static/")) for src in static)
    # The init script (the Swagger UI setup) is served by the app and points at the schema.
    [init] = [src for src in sources if not src.startswith("/static/")]
    script = client.get(init.replace("&amp;", "&"))
    assert script.status_code == 200
    assert "javascript" in script["Content-Type"]
    assert "/api/openapi.json" in script.content.decode()
    # Each inline style block is allowed by its hash, nothing else inline.
    styles = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert styles
    assert {sha256_source(style) for style in styles} <= set(policy["style-src"])
    assert "'unsafe-inline'" not in policy["style-src"]
    assert "data:" in policy["img-src"]  # swagger-ui's icons
    assert policy["connect-src"] == ["'self'"]  # it fetches /api/openapi.json


def test_admin_pages_have_a_csp(admin_client):
    for path in ("/admin/login/", "/admin/", "/admin/organizations/organization/"):
        response = admin_client.get(path)
        assert response.status_code in (200, 302), path
        policy = csp(response)
        assert policy["script-src"] == ["'self'"], path
        assert policy["frame-ancestors"] == ["'none'"], path
        assert policy["form-action"] == ["'self'"], path
        html = response.content.decode()
        # Inline scripts in the admin are JSON data blocks only, which a CSP does not run.
        for attributes, _body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
            assert "src=" in attributes or "application/json" in attributes, path
        for style in re.findall(r"<style>(.*?)</style>", html, re.S):
            assert sha256_source(style) in policy["style-src"], path


def test_api_responses_allow_no_content(client):
    response = client.get("/api/members")
    assert csp(response)["default-src"] == ["'none'"]
    assert csp(response)["frame-ancestors"] == ["'none'"]
