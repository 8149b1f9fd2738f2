"""The database password never reaches any output of a rendered service: not a settings
error, a traceback, an Alembic failure or a log line, at start-up or while it runs.

Each test runs the project's real commands (uvicorn, alembic) with a distinctive password
in DATABASE_URL, and searches everything they printed, and every response, for it and for
its first characters (pydantic cuts a long value short, and would still show those).
"""

import subprocess
from collections.abc import Iterator, Mapping
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from support.pg_proxy import RoundTripProxy
from support.postgres import PostgresServer
from support.project import Project
from support.render import render
from support.serve import free_port
from support.urls import ASYNCPG_NO_TLS

PASSWORD = "s3cret-pw-0123456789abcdef"
# What would give it away: the whole, or its start.
GIVEAWAYS = [PASSWORD, PASSWORD[:6]]

# Wrong for either service: the SQLite one refuses a PostgreSQL URL too.
OTHER_DRIVER = f"postgresql://app:{PASSWORD}@db.internal:5432/orders"
NOT_A_URL = f"app:{PASSWORD}@db.internal:5432/orders"
BAD_PORT = f"postgresql+asyncpg://app:{PASSWORD}@db.internal:54x32/orders"
BAD_URLS = {"other-driver": OTHER_DRIVER, "not-a-url": NOT_A_URL, "bad-port": BAD_PORT}

DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
POSTGRESQL_ONLY = pytest.mark.parametrize(
    "project", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


@pytest.fixture(scope="module", params=DATABASES)
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Project:
    database = request.param
    path = tmp_path_factory.mktemp(f"secrets-{database}")
    project = Project.at(render(path, database=database))
    project.sync()
    return project


def failing(project: Project, *args: str, env: Mapping[str, str]) -> str:
    """Run a command of the project that must fail; all it printed."""
    result = subprocess.run(
        ["uv", "run", "--no-sync", *args],
        cwd=project.path,
        env={**project.env, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, f"`{' '.join(args)}` succeeded:\n{output}"
    return output


def giveaways_in(output: str) -> list[str]:
    return [giveaway for giveaway in GIVEAWAYS if giveaway in output]


@pytest.mark.parametrize("url", BAD_URLS.values(), ids=BAD_URLS.keys())
def test_uvicorn_refuses_a_bad_url_without_showing_it(project: Project, url: str) -> None:
    command = ["uvicorn", f"{project.package}.main:app", "--port", str(free_port())]

    output = failing(project, *command, env={"DATABASE_URL": url})

    assert "database_url" in output, output
    assert giveaways_in(output) == [], output


@pytest.mark.parametrize("url", BAD_URLS.values(), ids=BAD_URLS.keys())
def test_alembic_refuses_a_bad_url_without_showing_it(project: Project, url: str) -> None:
    output = failing(project, "alembic", "upgrade", "head", env={"DATABASE_URL": url})

    assert "database_url" in output, output
    assert giveaways_in(output) == [], output


@pytest.fixture
def stalled_proxy(postgres: PostgresServer) -> Iterator[RoundTripProxy]:
    """A proxy to the server that forwards nothing: connections to it never get an answer."""
    with RoundTripProxy(postgres.address) as proxy:
        proxy.pause()
        yield proxy


def with_password(url: str, user: str, database: str, port: int | None = None) -> str:
    parts = urlsplit(url)
    netloc = f"{user}:{PASSWORD}@{parts.hostname}:{port or parts.port}"
    return urlunsplit(parts._replace(netloc=netloc, path=f"/{database}"))


@pytest.fixture
def unreachable(postgres: PostgresServer, stalled_proxy: RoundTripProxy) -> dict[str, str]:
    """URLs, password included, of databases that cannot be used, each failing its own way.

    A server that checks passwords refuses the wrong password (and the unknown role); one
    that trusts its clients, as a local test server may, refuses the unknown role and the
    database, which does not exist. Either way nothing is served, and an error is printed.
    """
    url = postgres.service_url("postgres")
    missing = f"{postgres.prefix}_missing"
    return {
        # Nothing listens on port 1: the connection is refused.
        "refused": with_password(url, "app", missing, port=1),
        "wrong-password": with_password(url, "postgres", missing),
        "unknown-role": with_password(url, f"{postgres.prefix}_nobody", missing),
        "stalled": stalled_proxy.url(with_password(url, "postgres", missing), ASYNCPG_NO_TLS),
    }


def accepted(url: str) -> bool:
    """Whether the server lets these credentials in (to its `postgres` database)."""
    libpq = urlsplit(url)._replace(scheme="postgresql", path="/postgres", query="")
    try:
        with psycopg.connect(urlunsplit(libpq), connect_timeout=2):
            return True
    except psycopg.OperationalError:
        return False


# Short bounds, so that the stalled database fails fast.
QUICK = {"DATABASE_CONNECT_TIMEOUT": "1", "HEALTH_CHECK_TIMEOUT": "1"}


@POSTGRESQL_ONLY
def test_alembic_fails_to_connect_without_showing_the_password(
    project: Project, unreachable: dict[str, str]
) -> None:
    # A first migration creates a missing database: where the server trusts its clients,
    # the wrong password is no failure at all, and alembic would rightly succeed.
    cases = {name: url for name, url in unreachable.items() if not accepted(url)}
    assert {"refused", "unknown-role", "stalled"} <= set(cases)
    outputs = {
        name: failing(project, "alembic", "upgrade", "head", env={**QUICK, "DATABASE_URL": url})
        for name, url in cases.items()
    }

    for name, output in outputs.items():
        # It failed (with a traceback, which was searched too) and showed nothing.
        assert "Traceback" in output, (name, output)
        assert giveaways_in(output) == [], (name, output)


@POSTGRESQL_ONLY
def test_requests_to_an_unusable_database_log_no_password(
    project: Project, unreachable: dict[str, str]
) -> None:
    for name, url in unreachable.items():
        # Echo on: every statement is logged as well.
        env = {**QUICK, "DATABASE_URL": url, "DATABASE_ECHO": "true"}
        with project.start(env=env) as server, server.client() as client:
            responses = [client.get(path) for path in ("/api/v1/posts", "/health/ready")]
        log = server.log.read_text()

        assert [response.status_code for response in responses] == [503, 503], (name, log)
        assert "Database unavailable" in log, (name, log)
        assert giveaways_in(log) == [], (name, log)
        assert giveaways_in("".join(r.text + str(r.headers) for r in responses)) == [], name
