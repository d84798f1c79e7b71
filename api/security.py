"""Content-Security-Policy for every response: strict page policies on the admin and the API docs,
and "nothing may load" on everything else (JSON documents, downloads).

Django 5.2 has no CSP of its own. The pages here run no inline script (the admin keeps its data in
JSON blocks, which a CSP does not run; the docs use drf-spectacular's split Swagger view, whose
setup script is a same-origin file), so `script-src 'self'` is enough. The few inline `<style>`
blocks of those templates are allowed by their SHA-256 hashes, computed from the templates
themselves so an upgrade that changes them cannot silently break the pages.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re

from django.template.loader import get_template
from django.urls import reverse

# Templates whose inline <style> blocks are allowed by hash.
ADMIN_TEMPLATES = ("admin/change_list.html",)
DOCS_TEMPLATES = ("drf_spectacular/swagger_ui.html",)

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def inline_style_hashes(*template_names: str) -> list[str]:
    hashes = []
    for name in template_names:
        source = get_template(name).template.source
        for style in re.findall(r"<style>(.*?)</style>", source, re.S):
            digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
            hashes.append(f"'sha256-{digest}'")
    return hashes


def page_policy(style_hashes: list[str]) -> str:
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            " ".join(["style-src 'self'", *style_hashes]),
            "img-src 'self' data:",  # both UIs draw icons from data: URLs in their CSS
            "font-src 'self'",
            "connect-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    )


@functools.cache
def policies() -> tuple[tuple[str, str], ...]:
    """(path prefix, policy) pairs, computed once per process."""
    return (
        (reverse("admin:index"), page_policy(inline_style_hashes(*ADMIN_TEMPLATES))),
        (reverse("docs"), page_policy(inline_style_hashes(*DOCS_TEMPLATES))),
    )


def policy_for(path: str) -> str:
    for prefix, policy in policies():
        if path.startswith(prefix):
            return policy
    return API_POLICY


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", policy_for(request.path_info))
        return response
