"""The GitHub Actions workflows: the generated one lints, migrates and tests; the template's
own tests each database on each Python. actionlint, zizmor and the workflow schema accept
both, and Dependabot keeps their dependencies and actions current."""

import re
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from support.render import TEMPLATE
from tests.shipping import (
    DEPENDABOT,
    WITH_CI,
    WORKFLOW,
    Answers,
    actionlint,
    check_jsonschema,
    run_steps,
    zizmor,
)

# `owner/action@<40 hex digits> # v1.2.3`: a tag can be moved, a commit cannot.
PINNED = re.compile(r"uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")


def assert_hardened(workflow: Path) -> None:
    text = workflow.read_text()
    uses = [line.strip().removeprefix("- ") for line in text.splitlines() if "uses:" in line]
    assert uses
    for line in uses:
        assert PINNED.fullmatch(line), line
    parsed = yaml.safe_load(text)
    assert parsed["permissions"] == {"contents": "read"}
    for job in parsed["jobs"].values():
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


def assert_dependabot_updates_uv_and_actions(config: Path) -> None:
    check_jsonschema("vendor.dependabot", config)
    updates = yaml.safe_load(config.read_text())["updates"]
    assert {update["package-ecosystem"] for update in updates} == {"uv", "github-actions"}


@pytest.mark.parametrize("answers", WITH_CI)
def test_workflow_passes_actionlint(rendered: Callable[..., Path], answers: Answers) -> None:
    actionlint(rendered(**answers) / WORKFLOW)


@pytest.mark.parametrize("answers", WITH_CI)
def test_workflow_passes_zizmor(rendered: Callable[..., Path], answers: Answers) -> None:
    zizmor(rendered(**answers))


@pytest.mark.parametrize("answers", WITH_CI)
def test_workflow_pins_actions_and_keeps_credentials(
    rendered: Callable[..., Path], answers: Answers
) -> None:
    assert_hardened(rendered(**answers) / WORKFLOW)


@pytest.mark.parametrize("answers", WITH_CI)
def test_dependabot_updates_uv_and_actions(rendered: Callable[..., Path], answers: Answers) -> None:
    assert_dependabot_updates_uv_and_actions(rendered(**answers) / DEPENDABOT)


@pytest.mark.parametrize("answers", WITH_CI)
def test_workflow_matches_the_github_workflow_schema(
    rendered: Callable[..., Path], answers: Answers
) -> None:
    check_jsonschema("vendor.github-workflows", rendered(**answers) / WORKFLOW)


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
    assert steps[-1] == "uv run pytest --cov"
    # ... which fails below the project's coverage gate.
    pyproject = tomllib.loads((rendered(**answers) / "pyproject.toml").read_text())
    assert pyproject["tool"]["coverage"]["report"]["fail_under"] >= 90
    assert any(dep.startswith("pytest-cov") for dep in pyproject["dependency-groups"]["dev"])

    if answers["database"] == "postgresql":
        postgres = job["services"]["postgres"]
        assert postgres["image"].startswith("postgres:")
        assert "--health-cmd" in postgres["options"]
        assert "pg_isready" in postgres["options"]
        assert job["env"]["TEST_DATABASE_URL"] != job["env"]["DATABASE_URL"]
        assert "@localhost:5432/" in job["env"]["TEST_DATABASE_URL"]
    else:
        assert "services" not in job


# The template repository's own workflow.


def test_template_workflow_passes_actionlint() -> None:
    actionlint(TEMPLATE / WORKFLOW)


def test_template_workflow_passes_zizmor() -> None:
    zizmor(TEMPLATE)


def test_template_workflow_pins_actions_and_keeps_credentials() -> None:
    assert_hardened(TEMPLATE / WORKFLOW)


def test_template_repo_dependabot_updates_uv_and_actions() -> None:
    assert_dependabot_updates_uv_and_actions(TEMPLATE / DEPENDABOT)


def test_template_workflow_matches_the_github_workflow_schema() -> None:
    check_jsonschema("vendor.github-workflows", TEMPLATE / WORKFLOW)


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
    assert "uv run zizmor --offline ." in run_steps({"jobs": {"test": workflow["jobs"]["lint"]}})
