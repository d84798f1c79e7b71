import os
import shutil
from collections.abc import Iterator

import pytest

from tests import served
from tests.agents.live import LiveDemo


@pytest.fixture(scope="session")
def demo_install(tmp_path_factory) -> tuple:
    """A migrated SQLite install with the demo registry, made once per session (its directory
    and what `manage.py demo` printed: the key and the ids)."""
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        # The served copies are SQLite whatever the suite runs on: one pass is enough.
        pytest.skip(
            "the agent CLI tests serve their own SQLite install; make test's SQLite pass runs them"
        )
    root = tmp_path_factory.mktemp("demo-install")
    output = served.manage(served.sqlite_install(root), "demo")
    return root, output


@pytest.fixture(scope="module")
def live_demo(demo_install, tmp_path_factory) -> Iterator[LiveDemo]:
    """A copy of the demo install served by gunicorn, one per test module (each module makes
    its own new versions)."""
    template, output = demo_install
    root = tmp_path_factory.mktemp("demo")
    shutil.copytree(template, root, dirs_exist_ok=True)
    port = served.free_port()
    env = served.install_env(root, SKILLPORT_PUBLIC_URL=f"http://127.0.0.1:{port}")
    with served.gunicorn(env, port=port, workers=2) as url:
        yield LiveDemo.parse(url, output)
