"""pre-commit configs, the generated one and the template's own: valid, with the hooks promised."""

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

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
