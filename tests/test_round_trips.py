"""How many times each request of the PostgreSQL service waits on the database.

Counted, not timed: the service talks to PostgreSQL through a proxy that counts the
server's ReadyForQuery messages, one per round trip, whatever the driver does.
"""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from support.pg_proxy import RoundTripProxy
from support.postgres import PostgresServer
from support.project import Project
from support.serve import Server
from support.urls import ASYNCPG_NO_TLS

pytestmark = pytest.mark.postgres

# Each request is sent this many times before counting, so that the pooled connection
# exists and asyncpg has prepared its statements (a first statement costs a round trip more).
WARM_UP = 3
MEASURED = 5


@pytest.fixture(scope="module")
def proxy(postgres: PostgresServer) -> Iterator[RoundTripProxy]:
    with RoundTripProxy(postgres.address) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def service(
    postgres: PostgresServer, proxy: RoundTripProxy, rendered: Callable[..., Path]
) -> Iterator[Server]:
    project = Project.at(rendered(database="postgresql"))
    database = postgres.create_database("round_trips")
    project.env["DATABASE_URL"] = postgres.service_url(database)
    project.sync()
    project.uv_run("alembic", "upgrade", "head")
    with postgres.connect(database) as connection:
        connection.execute("INSERT INTO authors (name, email) VALUES ('Ada', 'ada@example.com')")
        connection.execute("INSERT INTO posts (title, body, author_id) VALUES ('Hi', 'Text', 1)")
    through_proxy = proxy.url(postgres.service_url(database), ASYNCPG_NO_TLS)
    with project.start(env={"DATABASE_URL": through_proxy}) as server:
        yield server


def round_trips(
    server: Server, proxy: RoundTripProxy, method: str, path: str, json: object = None
) -> float:
    """Round trips per request, on a warm pool; fails if a request opens a connection."""
    with server.client() as client:

        def send() -> None:
            response = client.request(method, path, json=json)
            assert response.status_code in (200, 201), response.text

        for _ in range(WARM_UP):
            send()
        before, connections = proxy.round_trips(), proxy.connections()
        for _ in range(MEASURED):
            send()
        assert proxy.connections() == connections, "a warm pool opened a connection"
        return (proxy.round_trips() - before) / MEASURED


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        # One SELECT with the author joined in, outside a transaction (ReadSessionDep).
        ("/api/v1/posts/1", 1),
        ("/api/v1/authors/1", 1),
        # A page and its total in one SELECT, whether the page is full or not.
        ("/api/v1/posts?limit=20", 1),
        ("/api/v1/posts?limit=1", 1),
        # Past the end no row carries the total: the page, then a count.
        ("/api/v1/posts?offset=5", 2),
        # Liveness never touches the database.
        ("/health/live", 0),
    ],
)
def test_reads(service: Server, proxy: RoundTripProxy, path: str, expected: int) -> None:
    assert round_trips(service, proxy, "GET", path) == expected


def test_a_write_is_one_transaction(service: Server, proxy: RoundTripProxy) -> None:
    post = {"title": "Counted", "body": "Text", "author_id": 1}
    # BEGIN, the INSERT and the author's SELECT in one statement, COMMIT.
    assert round_trips(service, proxy, "POST", "/api/v1/posts", post) == 3
