from collections.abc import Iterator

import psycopg
import pytest

from support.postgres import ADMIN_URL, UNREACHABLE, PostgresServer


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """The PostgreSQL server; its absence fails the test, it never skips it."""
    try:
        server = PostgresServer.at()
    except psycopg.OperationalError as error:
        pytest.fail(UNREACHABLE.format(url=ADMIN_URL, error=error), pytrace=False)
    yield server
    server.drop_all()
