"""Questions: defaults that work with no answers at all, and refusals that say what is allowed."""

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import copier
import pytest
import yaml

from support.environment import tool_environment
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
    assert "project_name_ascii" not in recorded
    assert (project / "src" / "my_service" / "main.py").is_file()


def test_package_name_is_derived_from_the_project_name(rendered: Callable[..., Path]) -> None:
    project = rendered(project_name="Acme Orders 2")
    recorded = answers(project)

    assert recorded["package_name"] == "acme_orders_2"
    assert (project / "src" / "acme_orders_2").is_dir()


@pytest.mark.parametrize(
    ("project_name", "package_name"),
    [("Café Orders", "cafe_orders"), ("Łódź Straße", "lodz_strasse"), ("Ærø Ñandú", "aero_nandu")],
)
def test_accented_letters_are_spelled_in_ascii_in_the_package_name(
    rendered: Callable[..., Path], project_name: str, package_name: str
) -> None:
    recorded = answers(rendered(project_name=project_name))

    assert recorded["project_name"] == project_name
    assert recorded["package_name"] == package_name


def copier_copy(destination: Path, *data: str) -> subprocess.CompletedProcess[str]:
    """`copier copy --defaults`, as a user runs it."""
    options = ["--quiet", "--defaults", "--vcs-ref=HEAD", *(f"--data={a}" for a in data)]
    return subprocess.run(
        ["copier", "copy", *options, str(TEMPLATE), str(destination)],
        env=tool_environment(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(
    ("project_name", "message"),
    [
        ("2048 Game", '"2048_game" is not allowed: a package name starts with a lowercase letter'),
        (
            "Orders 東京",
            '"orders", derived from the project name "Orders 東京", would leave out "東京"',
        ),
        ("Asyncio", '"asyncio" is not allowed: it is a Python keyword'),
    ],
)
def test_a_refused_derived_package_name_says_how_to_give_one(
    tmp_path: Path, project_name: str, message: str
) -> None:
    result = copier_copy(tmp_path / "service", f"project_name={project_name}")

    # Copier prints a traceback of its own first; the refusal is its last line.
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert message in last
    assert "--data package_name=NAME" in last
    assert (
        copier_copy(
            tmp_path / "named", f"project_name={project_name}", "package_name=orders_app"
        ).returncode
        == 0
    )


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
