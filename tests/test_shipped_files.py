"""Which shipping files a project gets: those of the options chosen, rendered whole."""

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.project_files import jinja_residue
from tests.shipping import CI_FILES, DOCKER_FILES, EVERY, Answers


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
    assert jinja_residue(rendered(**answers)) == {}
