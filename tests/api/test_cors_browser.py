"""CORS end to end in a real browser: a static page on another origin uses devour-client (npm,
a JSON:API client; bundled for the browser with esbuild) against the live server (issue #23).

From an allowed origin the page lists, creates (a `POST` with the JSON:API media type, so the
browser sends a preflight first), and reads the exposed `Location`, `ETag` and `RateLimit-*`
headers; from an origin not listed the browser blocks the same calls. Playwright (PyPI) drives
Debian's Chromium, as tests/admin/test_admin_browser.py does.

Skips, saying why, without Chromium or without the npm packages: `.ci/run` installs
devour-client and esbuild (pinned) into a cache outside the repository and passes its
`node_modules` as SKILLPORT_CORS_BROWSER_NODE.
"""

import functools
import http.server
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from tests.skills.factories import SkillCollectionFactory, create_version

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (requirements/test.txt)"
)
CHROMIUM = shutil.which("chromium")
NODE_MODULES = os.environ.get("SKILLPORT_CORS_BROWSER_NODE", "")
pytestmark = [
    pytest.mark.django_db(transaction=True),  # the live server's thread sees the rows
    pytest.mark.skipif(
        CHROMIUM is None, reason="no chromium on PATH: `apt-get install chromium` to run these"
    ),
    pytest.mark.skipif(
        not (NODE_MODULES and (Path(NODE_MODULES) / ".bin" / "esbuild").exists()),
        reason="SKILLPORT_CORS_BROWSER_NODE does not name a node_modules with devour-client and "
        "esbuild (`.ci/run` installs them with npm)",
    ),
]

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Skillport from another origin</title>
<script src="devour.js"></script>
<script>
// devour-client with its defaults, but Skillport's types are not pluralized further.
async function skillport(apiUrl, key, zipPath) {
  const api = new JsonApi({apiUrl, bearer: key, pluralize: false, logger: false});
  api.define("skill_collections", {name: "", root_path: "", provider: ""});
  const headers = [];
  api.insertMiddlewareBefore("response", {
    name: "read-headers",
    res: (payload) => { headers.push(payload.res.headers); return payload; },
  });
  try {
    const listed = await api.findAll("skill_collections");
    const created = await api.create(
      "skill_collections", {name: "from-a-page", root_path: ".page"},
    );
    const zip = await api.axios.get(apiUrl + zipPath, {
      headers: {Authorization: "Bearer " + key, Accept: "*/*"}, responseType: "arraybuffer",
    });
    return {
      listed: listed.data.map((item) => item.name),
      created: created.data.id,
      location: headers[1]["location"] || null,
      requestId: headers[1]["x-request-id"] || null,
      rateLimitRemaining: headers[1]["ratelimit-remaining"] || null,
      etag: zip.headers["etag"] || null,
      zipBytes: zip.data.byteLength,
    };
  } catch (error) {
    return {blocked: true, message: String(error && error.message || error)};
  }
}
</script></head><body>Skillport from another origin</body></html>
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The static page and devour-client bundled for the browser."""
    root = tmp_path_factory.mktemp("cors-site")
    entry = root / "entry.js"
    devour = Path(NODE_MODULES) / "devour-client"
    entry.write_text(f'import JsonApi from "{devour}";\nwindow.JsonApi = JsonApi;\n')
    subprocess.run(
        [
            str(Path(NODE_MODULES) / ".bin" / "esbuild"),
            str(entry),
            "--bundle",
            "--format=iife",
            "--platform=browser",
            f"--outfile={root / 'devour.js'}",
            "--log-level=warning",
        ],
        check=True,
        timeout=120,
    )
    (root / "index.html").write_text(PAGE)
    return root


@pytest.fixture
def serve_site(site):
    """Serves the page from a server of its own: each call is another origin."""
    servers = []

    def start() -> str:
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the test's ORM calls beside it
    # are plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


def _run_page(browser, origin: str, live_server, key, zip_path: str) -> dict:
    page = browser.new_page()
    try:
        page.goto(f"{origin}/index.html")
        return page.evaluate(
            "([api, key, zip]) => skillport(api, key, zip)",
            [f"{live_server.url}/api", key.raw_key, zip_path],
        )
    finally:
        page.close()


def test_an_allowed_origin_works_and_another_is_blocked(
    browser, serve_site, live_server, api_key, settings
):
    allowed, other = serve_site(), serve_site()
    settings.CORS_ALLOWED_ORIGINS = [allowed]
    api_key.rate_limit = 50
    api_key.save()
    collection = SkillCollectionFactory(
        organization=api_key.organization, created_by=api_key.member, name="seeded"
    )
    version = create_version(collection)
    zip_path = f"/skill_collections/{collection.pk}?format=zip"

    result = _run_page(browser, allowed, live_server, api_key, zip_path)
    assert "blocked" not in result, result
    assert result["listed"] == ["seeded"]
    assert result["location"] == f"{live_server.url}/api/skill_collections/{result['created']}"
    assert result["requestId"]
    assert 0 < int(result["rateLimitRemaining"]) < 50
    assert result["etag"].endswith(f'"{version.digest}"')  # (a weak ETag: W/"...")
    assert result["zipBytes"] > 0
    created = collection.__class__.objects.get(pk=result["created"])
    assert (created.name, created.root_path) == ("from-a-page", ".page")

    blocked = _run_page(browser, other, live_server, api_key, zip_path)
    assert blocked.get("blocked") is True, blocked
    assert blocked["message"] == "Network Error"  # axios's word for a response CORS withholds
    assert collection.__class__.objects.count() == 2  # the preflight stopped the POST
