"""The generated test suite's PostgreSQL database: the one configured, wherever it is
configured, and never a database the suite did not create."""

import subprocess
from collections.abc import Iterator

import pytest
from psycopg import sql

from support.postgres import PostgresServer
from support.project import Project
from support.pytest_output import NOT_PASSED, pytest_summary
from support.render import render

pytestmark = pytest.mark.postgres

# Added to the generated suite: which database its tests ran on, and that it was new.
WHICH_DATABASE_PATH = "tests/test_which_database.py"
WHICH_DATABASE = """\
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


async def test_which_database(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT current_database()")) == {name!r}
        assert await connection.scalar(text("SELECT to_regclass('stale')")) is None
"""


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, postgres: PostgresServer) -> Project:
    """A rendered, installed PostgreSQL service, with a development database in `.env`."""
    path = tmp_path_factory.mktemp("suite-database")
    # Named after the run, so that the default test database (`<package>_test`) is too.
    answers = {"project_name": f"Suite {postgres.prefix}", "with_example_api": False}
    project = Project.at(render(path, database="postgresql", **answers))
    project.sync()
    development = postgres.create_database("suite_dev")
    (path / ".env").write_text(f"DATABASE_URL={postgres.service_url(development)}\n")
    return project


@pytest.fixture
def project(service: Project) -> Iterator[Project]:
    """The service, its `.env` and tests as they were once the test is over."""
    env = service.path / ".env"
    development = env.read_text()
    yield service
    env.write_text(development)
    (service.path / WHICH_DATABASE_PATH).unlink(missing_ok=True)


def configure(project: Project, postgres: PostgresServer, test_database: str) -> None:
    """TEST_DATABASE_URL in `.env` only, as the README and `.env.example` say."""
    with (project.path / ".env").open("a") as env:
        env.write(f"TEST_DATABASE_URL={postgres.service_url(test_database)}\n")
    (project.path / WHICH_DATABASE_PATH).write_text(WHICH_DATABASE.format(name=test_database))


def run_suite(project: Project) -> tuple[int, str]:
    """Run the generated suite, which may fail: its exit status and all it printed."""
    result = subprocess.run(
        ["uv", "run", "--no-sync", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project.path,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def comment_of(postgres: PostgresServer, database: str) -> str | None:
    with postgres.connect() as connection:
        row = connection.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            (database,),
        ).fetchone()
    assert row is not None, f"{database} does not exist"
    return None if row[0] is None else str(row[0])


def test_the_suite_runs_on_the_database_that_dotenv_names_and_drops_it_after(
    project: Project, postgres: PostgresServer
) -> None:
    test_database = f"{postgres.prefix}_from_dotenv"
    configure(project, postgres, test_database)

    returncode, output = run_suite(project)

    assert returncode == 0, output
    assert not set(pytest_summary(output)) & NOT_PASSED, output
    # Not the default `<package>_test` beside DATABASE_URL, and nothing left behind.
    assert f"{project.package}_test" not in postgres.all_databases()
    assert test_database not in postgres.all_databases()


def test_a_database_of_that_name_the_suite_did_not_create_is_left_alone(
    project: Project, postgres: PostgresServer
) -> None:
    test_database = postgres.create_database("not_the_suites")
    with postgres.connect(test_database) as connection:
        connection.execute("CREATE TABLE precious (id int)")
        connection.execute("INSERT INTO precious VALUES (42)")
    configure(project, postgres, test_database)

    returncode, output = run_suite(project)

    assert returncode != 0, output
    assert f'The test database "{test_database}" already exists' in output, output
    assert "point TEST_DATABASE_URL" in output, output
    with postgres.connect(test_database) as connection:
        assert connection.execute("SELECT id FROM precious").fetchall() == [(42,)]
    assert comment_of(postgres, test_database) is None


def test_a_database_the_suite_marked_is_recreated(
    project: Project, postgres: PostgresServer
) -> None:
    # What a run that was killed leaves behind: its database, marked, with a table in it.
    test_database = postgres.create_database("killed_run")
    mark = project.uv_run("python", "-c", "from tests.database import MARK; print(MARK)")
    with postgres.connect() as connection:
        connection.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(test_database), sql.Literal(mark.strip())
            )
        )
    with postgres.connect(test_database) as connection:
        connection.execute("CREATE TABLE stale (id int)")
    configure(project, postgres, test_database)

    returncode, output = run_suite(project)

    assert returncode == 0, output
    assert test_database not in postgres.all_databases()
