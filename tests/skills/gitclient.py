"""The real `git` client for the git tests: a throwaway HOME, no prompts, the API key sent as a
per-URL header (`git -c http.<url>.extraHeader=...`), as the README tells users to. The `home`
fixture is in tests/skills/conftest.py."""

import os
import subprocess
from pathlib import Path

from skills.git.objects import git_path


def quiet_env(home: Path, **env: str) -> dict[str, str]:
    """The environment of a client run (git, or an agent CLI that runs git): HOME=`home`, git's
    global config from `home` only, no prompt for credentials; `env` added."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "",
        "SSH_ASKPASS": "",
        "LANG": "C",
        **env,
    }


def run_git(home: Path, *args: str, cwd: Path | None = None, check: bool = True):
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=quiet_env(home), capture_output=True, text=True, timeout=120
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done


def git_with_key(home: Path, url: str, raw_key: str, *args: str, cwd=None, check: bool = True):
    """`git <args>` sending `raw_key` as a Bearer header to `url`."""
    header = f"http.{url}.extraHeader=Authorization: Bearer {raw_key}"
    return run_git(home, "-c", header, *args, cwd=cwd, check=check)


def url_of(live_server, target) -> str:
    """The clone URL of a collection, plugin or marketplace on the live server."""
    return live_server.url + git_path(target)


def tree_of(root: Path) -> dict[str, bytes]:
    """The files of a work tree (`.git` aside), by path."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }
