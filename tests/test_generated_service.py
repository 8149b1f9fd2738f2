"""Each variant, rendered and then used as its README says: install, test, lint, migrate, serve."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.postgres import PostgresServer
from support.project import Project
from support.pytest_output import NOT_PASSED, pytest_summary
from support.render import TEMPLATE

VARIANTS = [
    pytest.param({}, id="sqlite-defaults"),
    pytest.param(
        {
            "with_example_api": False,
            "python_version": "3.13",
            "with_http_client": True,
            "with_opentelemetry": True,
        },
        id="sqlite-bare-py3.13-http-client-opentelemetry",
    ),
    pytest.param(
        {"database": "postgresql", "project_name": "Acme Orders 2", "python_version": "3.11"},
        id="postgresql-acme-py3.11",
        marks=pytest.mark.postgres,
    ),
    pytest.param(
        {
            "database": "postgresql",
            "with_example_api": False,
            "with_http_client": True,
            "with_opentelemetry": True,
        },
        id="postgresql-bare-http-client-opentelemetry",
        marks=pytest.mark.postgres,
    ),
]


@pytest.fixture(scope="module", params=VARIANTS)
def project(request: pytest.FixtureRequest, rendered: Callable[..., Path]) -> Project:
    project = Project.at(rendered(**request.param))
    answers = project.answers
    if answers["database"] == "postgresql":
        postgres: PostgresServer = request.getfixturevalue("postgres")
        development = postgres.create_database(f"{project.package}_dev")
        # The test database is left for the generated suite to create, as it must.
        (project.path / ".env").write_text(
            f"DATABASE_URL={postgres.service_url(development)}\n"
            f"TEST_DATABASE_URL={postgres.service_url(f'{development}_test')}\n"
        )
    # Install on the lowest Python the service claims to support.
    project.sync()
    return project


def test_its_test_suite_passes_in_parallel_without_skips(project: Project) -> None:
    # On two xdist workers, one database each. A run on one process is what the READMEs'
    # own commands do, for the default answers and for PostgreSQL (test_docs.py).
    summary = pytest_summary(project.uv_run("pytest", "-q", "-p", "no:cacheprovider", "-n", "2"))

    assert summary["passed"] >= 3
    assert not set(summary) & NOT_PASSED, summary


@pytest.mark.parametrize(
    "command",
    [["ruff", "check"], ["ruff", "format", "--check"], ["mypy"]],
    ids=["ruff-check", "ruff-format", "mypy-strict"],
)
def test_linters_pass(project: Project, command: list[str]) -> None:
    project.uv_run(*command)


# The benchmark kit copies these into a project like this one and runs them with its pytest
# (bench/fixture_overhead.py): they must hold under the project's own mypy --strict.
BENCH_FIXTURE_FILES = sorted((TEMPLATE / "bench" / "fixture_overhead_files").glob("*.py"))


def test_bench_fixture_files_type_check(project: Project) -> None:
    assert BENCH_FIXTURE_FILES, "bench/fixture_overhead_files holds no Python file"
    project.uv_run("mypy", *map(str, BENCH_FIXTURE_FILES))


def test_migrations_round_trip(project: Project) -> None:
    project.uv_run("alembic", "upgrade", "head")
    assert "No new upgrade operations detected" in project.uv_run("alembic", "check")
    project.uv_run("alembic", "downgrade", "base")
    project.uv_run("alembic", "upgrade", "head")


def use_example_api(client: httpx.Client) -> dict[str, Any]:
    """Create, read, update and delete through the example API; return the post that stays."""
    author = client.post("/api/v1/authors", json={"name": "Ada", "email": "ada@example.com"})
    assert author.status_code == 201, author.text
    author_id = author.json()["id"]
    assert (
        client.post(
            "/api/v1/authors", json={"name": "Twin", "email": "ada@example.com"}
        ).status_code
        == 409
    )

    kept, dropped = (
        client.post("/api/v1/posts", json={"title": title, "body": "Text", "author_id": author_id})
        for title in ("Kept", "Dropped")
    )
    assert kept.status_code == dropped.status_code == 201
    edited = client.patch(f"/api/v1/posts/{kept.json()['id']}", json={"body": "Edited"})
    assert edited.status_code == 200
    assert client.delete(f"/api/v1/posts/{dropped.json()['id']}").status_code == 204

    listed = client.get("/api/v1/posts").json()
    assert [post["title"] for post in listed["items"]] == ["Kept"]
    post: dict[str, Any] = edited.json()
    assert post["author"]["email"] == "ada@example.com"
    assert post["body"] == "Edited"
    return post


def test_serves_over_http(project: Project) -> None:
    project.uv_run("alembic", "upgrade", "head")

    with project.serve() as client:
        assert client.get("/health/live").status_code == 200
        ready = client.get("/health/ready")
        assert (ready.status_code, ready.json()) == (200, {"status": "ok"})
        post = use_example_api(client) if project.answers["with_example_api"] else None

    if post is not None:
        # A restarted service finds what the first one stored.
        with project.serve() as client:
            assert client.get(f"/api/v1/posts/{post['id']}").json() == post
