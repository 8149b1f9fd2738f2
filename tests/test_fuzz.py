"""Fuzz each database's service through its own OpenAPI schema: no 5xx, responses as declared."""

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from support.postgres import PostgresServer
from support.project import Project
from support.serve import Server


@pytest.fixture(
    scope="module",
    params=[pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def service(request: pytest.FixtureRequest, rendered: Callable[..., Path]) -> Iterator[Server]:
    database = request.param
    project = Project.at(rendered(database=database))
    if database == "postgresql":
        postgres: PostgresServer = request.getfixturevalue("postgres")
        project.env["DATABASE_URL"] = postgres.service_url(postgres.create_database("fuzz"))
    project.sync()
    project.uv_run("alembic", "upgrade", "head")
    with project.start() as server:
        yield server


def test_no_server_errors_and_responses_match_the_schema(service: Server, tmp_path: Path) -> None:
    # Schemathesis's CLI, as a user would run it: positive and negative cases for every
    # operation, generated from the service's own schema. It keeps a crash cache in its
    # working directory, which must not land in the template's checkout.
    result = subprocess.run(
        [
            "schemathesis",
            "run",
            f"{service.url}/openapi.json",
            "--checks",
            "not_a_server_error,response_schema_conformance",
            "--max-examples",
            "40",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stdout + result.stderr
