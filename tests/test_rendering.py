"""Every combination of answers renders clean code, holding nothing of the options not chosen."""

import itertools
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.project_files import files, jinja_residue

COMBINATIONS = [
    pytest.param(
        {
            "database": database,
            "with_example_api": example,
            "python_version": python,
            "with_http_client": http_client,
            "with_opentelemetry": opentelemetry,
        },
        id=f"{database}-{'example' if example else 'bare'}-py{python}"
        + ("-http-client" if http_client else "")
        + ("-opentelemetry" if opentelemetry else ""),
    )
    for database, example, python, http_client, opentelemetry in itertools.product(
        ["sqlite", "postgresql"],
        [True, False],
        ["3.11", "3.12", "3.13"],
        [False, True],
        [False, True],
    )
    # Tracing's files hold nothing per Python version: one version covers it.
    if python == "3.13" or not opentelemetry
]

# Words that belong to one option only, and must not appear where it was not chosen.
FOREIGN_WORDS = {
    "sqlite": re.compile(r"asyncpg|postgres", re.IGNORECASE),
    "postgresql": re.compile(r"sqlite", re.IGNORECASE),
}
EXAMPLE_WORDS = re.compile(r"\bblog\b|\bposts?\b|\bAuthor\b|/authors")
HTTP_CLIENT_WORDS = re.compile(r"http_client|HttpClient|aiohttp|trustme|HTTP_CLIENT", re.IGNORECASE)
OPENTELEMETRY_WORDS = re.compile(r"opentelemetry|otel|tracing|trace_id", re.IGNORECASE)


@pytest.fixture(scope="module", params=COMBINATIONS)
def combination(
    request: pytest.FixtureRequest, rendered: Callable[..., Path]
) -> tuple[dict[str, object], Path]:
    """The answers of one combination, and the project rendered with them."""
    data: dict[str, object] = request.param
    return data, rendered(**data)


def test_no_jinja_residue(combination: tuple[dict[str, object], Path]) -> None:
    _, project = combination

    assert jinja_residue(project) == {}
    assert not list(project.rglob("*.jinja"))


def test_nothing_of_the_other_database(combination: tuple[dict[str, object], Path]) -> None:
    data, project = combination
    foreign = FOREIGN_WORDS[str(data["database"])]

    texts = files(project)
    # The one place that should name the other database: how to switch to it.
    readme = Path("README.md")
    texts[readme] = re.sub(
        r"\n## Update from the template\n.*?\n## ", "\n## ", texts[readme], flags=re.S
    )
    mentions = {
        str(path): sorted(set(foreign.findall(text)))
        for path, text in texts.items()
        if foreign.search(text)
    }

    assert mentions == {}


def test_example_api_only_when_chosen(combination: tuple[dict[str, object], Path]) -> None:
    data, project = combination
    package = project / "src" / "my_service"
    versions = list((project / "migrations" / "versions").glob("*.py"))

    if data["with_example_api"]:
        assert (package / "blog" / "models.py").is_file()
        assert len(versions) == 1
    else:
        mentions = {
            str(path): sorted(set(EXAMPLE_WORDS.findall(text)))
            for path, text in files(project).items()
            if EXAMPLE_WORDS.search(text)
        }
        assert mentions == {}
        assert not (package / "blog").exists()
        assert not (project / "tests" / "blog").exists()
        assert versions == []


def mentions_of(words: re.Pattern[str], project: Path) -> dict[str, list[str]]:
    """Each file that holds any of `words`, with those it holds.

    Not the answers file: it records every answer, the options not chosen included.
    """
    return {
        str(path): sorted(set(words.findall(text)))
        for path, text in files(project).items()
        if words.search(text) and path != Path(".copier-answers.yml")
    }


def test_http_client_only_when_chosen(combination: tuple[dict[str, object], Path]) -> None:
    data, project = combination
    client = project / "src" / "my_service" / "core" / "http.py"

    if data["with_http_client"]:
        assert "create_http_client" in client.read_text()
        assert '"httpx-aiohttp>=' in (project / "pyproject.toml").read_text()
    else:
        assert mentions_of(HTTP_CLIENT_WORDS, project) == {}
        assert not client.exists()


def test_opentelemetry_only_when_chosen(combination: tuple[dict[str, object], Path]) -> None:
    data, project = combination
    tracing = project / "src" / "my_service" / "core" / "tracing.py"

    if data["with_opentelemetry"]:
        assert "def configure_tracing" in tracing.read_text()
        assert '"opentelemetry-sdk>=' in (project / "pyproject.toml").read_text()
        assert (project / "tests" / "test_tracing.py").is_file()
        assert ("def instrument_http_client" in tracing.read_text()) == data["with_http_client"]
    else:
        assert mentions_of(OPENTELEMETRY_WORDS, project) == {}
        assert not tracing.exists()


def test_python_version_drives_the_tools(combination: tuple[dict[str, object], Path]) -> None:
    data, project = combination
    pyproject = (project / "pyproject.toml").read_text()
    version = str(data["python_version"])

    assert f'requires-python = ">={version}"' in pyproject
    assert f'target-version = "py{version.replace(".", "")}"' in pyproject
    assert f'python_version = "{version}"' in pyproject
    # CI tests from it up, and the image runs the newest of those.
    workflow = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())
    tested = workflow["jobs"]["test"]["strategy"]["matrix"]["python-version"]
    assert tested[0] == version
    assert f"ARG PYTHON_VERSION={tested[-1]}\n" in (project / "Dockerfile").read_text()


def test_formatted_and_lint_clean(combination: tuple[dict[str, object], Path]) -> None:
    # The rendered project's own ruff settings judge it; no blank-line scars from Jinja.
    _, project = combination
    ruff = shutil.which("ruff")
    assert ruff is not None, "ruff is part of the template's dev dependencies"

    for command in ([ruff, "format", "--check", "."], [ruff, "check", "."]):
        result = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
