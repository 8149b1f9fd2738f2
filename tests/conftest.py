from collections.abc import Iterator

import psycopg
import pytest

from tests.postgres import ADMIN_URL, LEFT_BEHIND, UNREACHABLE, PostgresServer


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """The PostgreSQL server; its absence fails the test, it never skips it.

    Every database of the run is dropped at its end, and any other that appeared meanwhile
    fails the run: tests must name what they create (or have created) with the run's prefix.
    """
    try:
        server = PostgresServer.at()
    except psycopg.OperationalError as error:
        pytest.fail(UNREACHABLE.format(url=ADMIN_URL, error=error), pytrace=False)
    before = server.all_databases()
    yield server
    server.drop_all()
    if left := server.left_behind(before):
        names = "\n".join(f"  {name}" for name in sorted(left))
        pytest.fail(LEFT_BEHIND.format(prefix=server.prefix, names=names), pytrace=False)
