"""The Dockerfile and its build context: hadolint finds nothing, the image runs the service
unprivileged with a health check, and the context holds what the Dockerfile copies only."""

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from docker.utils.build import exclude_paths

from tests.shipping import WITH_DOCKER, Answers, lint


@pytest.mark.parametrize("answers", WITH_DOCKER)
def test_dockerfile_passes_hadolint(rendered: Callable[..., Path], answers: Answers) -> None:
    lint("hadolint", "--no-color", str(rendered(**answers) / "Dockerfile"))


@pytest.mark.parametrize("answers", WITH_DOCKER)
def test_dockerfile_runs_the_service_unprivileged_with_a_health_check(
    rendered: Callable[..., Path], answers: Answers
) -> None:
    dockerfile = (rendered(**answers) / "Dockerfile").read_text()
    final_stage = dockerfile.split("\nFROM ")[-1]

    assert dockerfile.count("\nFROM ") == 2, "a build stage and a final stage"
    assert "uv sync --locked --no-dev --no-install-project" in dockerfile
    assert "UV_COMPILE_BYTECODE=1" in dockerfile
    # The final stage has no uv and no build cache: only the virtual environment is copied.
    assert "/uv" not in final_stage
    assert "--mount=type=cache" not in final_stage
    assert re.search(r"^USER (?!0\b|root\b)\S+", final_stage, re.MULTILINE)
    assert re.search(r"^HEALTHCHECK .*/health/live", final_stage, re.MULTILINE | re.DOTALL)
    command = re.findall(r"^CMD (.+)$", final_stage, re.MULTILINE)[-1]
    assert "uvicorn" in command
    assert "$PORT" in command


def dockerfile_sources(dockerfile: str) -> set[str]:
    """What the Dockerfile takes from the build context: COPY sources and bind mounts."""
    sources = set(re.findall(r"--mount=type=bind,source=([^,\s]+)", dockerfile))
    for arguments in re.findall(r"^COPY (?!--from)(.+)$", dockerfile, re.MULTILINE):
        sources |= set(arguments.split()[:-1])
    return sources


@pytest.mark.parametrize("answers", WITH_DOCKER)
def test_build_context_is_what_the_dockerfile_copies_and_nothing_else(
    rendered: Callable[..., Path], answers: Answers
) -> None:
    project = rendered(**answers)
    # A developer's checkout: the lock file, and local state none of which may reach a build.
    local_state = [
        ".env",
        ".git/HEAD",
        ".venv/bin/python",
        ".pytest_cache/README.md",
        ".mypy_cache/3.12/cache.db",
        ".ruff_cache/CACHEDIR.TAG",
        "my_service.db",
        "my_service.db-wal",
        "src/my_service/__pycache__/main.cpython-312.pyc",
        "migrations/__pycache__/env.cpython-312.pyc",
    ]
    for name in [*local_state, "uv.lock"]:
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text("")
    patterns = [
        line.strip()
        for line in (project / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    context = exclude_paths(str(project), patterns)

    sources = dockerfile_sources((project / "Dockerfile").read_text())
    expected_files = {
        str(path.relative_to(project))
        for source in sources
        for path in [project / source, *(project / source).rglob("*")]
        if path.is_file() and "__pycache__" not in path.parts
    }
    # A COPY of something the allowlist leaves out would fail only at build time.
    assert sources <= context
    # The builder always receives the Dockerfile and .dockerignore themselves.
    context_files = {path for path in context if (project / path).is_file()}
    assert context_files == expected_files | {"Dockerfile", ".dockerignore"}
    assert not context & set(local_state)
