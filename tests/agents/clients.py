"""Running a real agent CLI against the live demo: where `.ci/run` installed it (a cache outside
the repository, `$SKILLPORT_NODE_PREFIX/<client>`, default `~/.cache/skillport-node/<client>`;
its path in an environment variable), a throwaway HOME per run, no prompt, no vendor network
needed, and the ways of sending the key each client honours."""

import os
import subprocess
from pathlib import Path

import pytest

from tests.skills.gitclient import quiet_env, run_git

NODE_CACHE = Path(
    os.environ.get("SKILLPORT_NODE_PREFIX", Path.home() / ".cache" / "skillport-node")
)
ASKPASS = (
    '#!/bin/sh\ncase "$1" in Username*) echo skillport ;; *) echo "$SKILLPORT_API_KEY" ;; esac\n'
)


def require(variable: str, cached: str, package: str) -> str:
    """The CLI named by `variable`, else the one at `cached` under the node cache; skips the
    test, saying how to install it, when neither is there."""
    for candidate in (os.environ.get(variable), str(NODE_CACHE / cached)):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    client = cached.partition("/")[0]
    pytest.skip(
        f"{package} not installed: set {variable} or run `npm install --prefix "
        f"{NODE_CACHE / client} {package}` (.ci/run does)"
    )


def new_home(tmp_path: Path, name: str = "home") -> Path:
    home = tmp_path / name
    (home / "project").mkdir(parents=True)
    return home


def run(home: Path, *args: str, check: bool = True, stdin: str = "", **env: str):
    """`args` in `home/project`, HOME=`home`, git's global config from `home` only, no
    terminal prompt; `env` added (e.g. GIT_ASKPASS)."""
    done = subprocess.run(
        list(args),
        cwd=home / "project",
        env=quiet_env(home, LANG="C.UTF-8", NO_COLOR="1", **env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check:
        assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done


def send_key_header(home: Path, url: str, key: str) -> None:
    """The key as a header git sends to `url` only: `http.<url>.extraHeader` in HOME's
    global git config."""
    header = f"Authorization: Bearer {key}"
    run_git(home, "config", "--global", f"http.{url}.extraHeader", header)


def store_credentials(home: Path, url: str, key: str) -> None:
    """The key as the password git's `store` credential helper gives any URL of `url`'s host."""
    scheme, _, rest = url.partition("://")
    (home / ".git-credentials").write_text(f"{scheme}://skillport:{key}@{rest.split('/')[0]}\n")
    run_git(home, "config", "--global", "credential.helper", "store")


def askpass(home: Path) -> Path:
    """A GIT_ASKPASS program that answers git's password prompt with $SKILLPORT_API_KEY (for
    clients that hide the global git config from git)."""
    script = home / "skillport-askpass"
    script.write_text(ASKPASS)
    script.chmod(0o700)
    return script


def tree(root: Path, *skipped: str) -> dict[str, bytes]:
    """The files under `root` by relative path, symlinks followed; any path through a `.git`
    folder or one of the `skipped` names is left out."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not {".git", *skipped} & set(path.relative_to(root).parts)
    }
