"""The environment that uv and a rendered project's tools run in on this machine."""

import os
import re
from pathlib import Path


def tool_environment() -> dict[str, str]:
    """The environment for uv and the rendered project's tools."""
    # What the tools do not inherit from the shell the tests run in:
    # - its databases: a rendered project's are the ones a test gives it (in its `.env` or
    #   in Project.env); a TEST_DATABASE_URL there would send every generated test suite to
    #   one database, which each one recreates;
    # - pytest-xdist's PYTEST_XDIST_WORKER and the like: a rendered project's own pytest is
    #   not a worker of this suite's, and would name its databases after one of ours;
    # - PYTHONDONTWRITEBYTECODE: each `uv run` of alembic, pytest or uvicorn imports the
    #   same modules again, and without bytecode on disk every one compiles them all anew
    #   (seconds each).
    left_out = {"VIRTUAL_ENV", "DATABASE_URL", "TEST_DATABASE_URL", "PYTHONDONTWRITEBYTECODE"}
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in left_out and not key.startswith("PYTEST_")
    }
    # uv may not download interpreters here: fail fast instead of hanging on the network.
    env.setdefault("UV_PYTHON_DOWNLOADS", "never")
    # pyenv's shims only answer for the versions it has selected (and a pyenv-installed uv
    # runs with PYENV_VERSION set to one), so add every installed CPython 3.11+ for uv to
    # find: a rendered project may require 3.12 or 3.13. The first entry stays the default.
    versions_dir = Path(env.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if versions_dir.is_dir():
        selected = [name for name in env.get("PYENV_VERSION", "").split(":") if name]
        installed = sorted(
            (
                path.name
                for path in versions_dir.iterdir()
                if re.fullmatch(r"3\.1[1-9]\.\d+", path.name)
            ),
            key=lambda name: tuple(int(part) for part in name.split(".")),
        )
        env["PYENV_VERSION"] = ":".join(selected + [v for v in installed if v not in selected])
    return env
