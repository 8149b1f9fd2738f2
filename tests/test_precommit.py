"""pre-commit configs, the generated one and the template's own: valid, with the hooks promised."""

import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from support.project import Project
from support.render import TEMPLATE
from tests.shipping import EVERY, Answers, lint


@pytest.mark.parametrize("answers", EVERY)
def test_pre_commit_config_is_valid(rendered: Callable[..., Path], answers: Answers) -> None:
    config_path = rendered(**answers) / ".pre-commit-config.yaml"
    lint("pre-commit", "validate-config", str(config_path))

    config = yaml.safe_load(config_path.read_text())
    hooks = {hook["id"] for repo in config["repos"] for hook in repo["hooks"]}
    assert {"ruff-check", "ruff-format", "mypy"} <= hooks


def test_template_pre_commit_config_is_valid() -> None:
    lint("pre-commit", "validate-config", str(TEMPLATE / ".pre-commit-config.yaml"))


def ruff_hook_version(config_path: Path) -> str:
    config = yaml.safe_load(config_path.read_text())
    (rev,) = [repo["rev"] for repo in config["repos"] if repo["repo"].endswith("/ruff-pre-commit")]
    return str(rev).removeprefix("v")


def locked_version(lock_path: Path, package: str) -> str:
    lock = tomllib.loads(lock_path.read_text())
    (version,) = [entry["version"] for entry in lock["package"] if entry["name"] == package]
    return str(version)


def test_generated_ruff_hook_is_the_ruff_the_project_locks(
    rendered: Callable[..., Path],
) -> None:
    # pre-commit's ruff and `uv run ruff` must be one version, or they format differently.
    project = Project.at(rendered())
    project.run("uv", "lock")

    hook = ruff_hook_version(project.path / ".pre-commit-config.yaml")
    assert locked_version(project.path / "uv.lock", "ruff") == hook
    pyproject = tomllib.loads((project.path / "pyproject.toml").read_text())
    assert f"ruff=={hook}" in pyproject["dependency-groups"]["dev"]


def test_template_ruff_hook_is_the_ruff_the_template_locks() -> None:
    hook = ruff_hook_version(TEMPLATE / ".pre-commit-config.yaml")
    assert locked_version(TEMPLATE / "uv.lock", "ruff") == hook
