"""Questions: defaults that work with no answers at all, and refusals that say what is allowed."""

import re
from collections.abc import Callable
from pathlib import Path

import copier
import pytest
import yaml

from support.render import TEMPLATE, render


def answers(project: Path) -> dict[str, object]:
    recorded: dict[str, object] = yaml.safe_load((project / ".copier-answers.yml").read_text())
    return recorded


def test_defaults_need_no_answers(rendered: Callable[..., Path]) -> None:
    project = rendered()
    recorded = answers(project)

    assert recorded["project_name"] == "My Service"
    assert recorded["package_name"] == "my_service"
    assert recorded["database"] == "sqlite"
    assert recorded["python_version"] == "3.11"
    assert recorded["with_example_api"] is True
    assert recorded["with_docker"] is True
    assert recorded["ci"] == "github"
    assert "reserved_package_names" not in recorded
    assert "ci_python_versions" not in recorded
    assert (project / "src" / "my_service" / "main.py").is_file()


def test_package_name_is_derived_from_the_project_name(rendered: Callable[..., Path]) -> None:
    project = rendered(project_name="Acme Orders 2")
    recorded = answers(project)

    assert recorded["package_name"] == "acme_orders_2"
    assert (project / "src" / "acme_orders_2").is_dir()


def test_template_renders_without_trust(tmp_path: Path) -> None:
    # Tasks, Jinja extensions or migrations would make Copier demand --trust (unsafe=True).
    copier.run_copy(
        str(TEMPLATE), tmp_path, defaults=True, vcs_ref="HEAD", quiet=True, unsafe=False
    )

    assert (tmp_path / "pyproject.toml").is_file()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"project_name": "  "}, "must not be empty"),
        ({"project_name": 'Say "hi"'}, "double quotes"),
        ({"package_name": "My-Service"}, "lowercase letters, digits and underscores"),
        ({"package_name": "2fast"}, "starts with a lowercase letter"),
        ({"package_name": "class"}, "Python keyword, a standard-library module"),
        ({"package_name": "asyncio"}, "standard-library module"),
        ({"package_name": "test"}, "standard-library module"),
        ({"package_name": "fastapi"}, "a package the service imports"),
        ({"package_name": "sqlalchemy"}, "a package the service imports"),
        ({"description": "two\nlines"}, "single line"),
        ({"author_email": "jane.example.com"}, "name@example.com"),
        ({"python_version": "3.10"}, "['3.11', '3.12', '3.13']"),
        ({"database": "mysql"}, "['sqlite', 'postgresql']"),
        ({"ci": "gitlab"}, "['github', 'none']"),
    ],
    ids=lambda value: str(value) if isinstance(value, dict) else "",
)
def test_bad_answers_are_refused_with_what_is_allowed(
    tmp_path: Path, data: dict[str, str], message: str
) -> None:
    destination = tmp_path / "service"

    with pytest.raises(ValueError, match=re.escape(message)):
        render(destination, **data)

    assert not destination.exists() or not any(destination.iterdir())
