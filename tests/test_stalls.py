"""The PostgreSQL service when its database stops answering without closing anything.

The service reaches PostgreSQL through a proxy that can be paused (support/pg_proxy.py):
paused, it keeps every socket open and forwards nothing, as a network partition, a frozen
host or a stalled proxy does. The server's statement_timeout cannot help there, since no
answer of the server's arrives; only the service's own bounds can.
"""

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest

from support.pg_proxy import RoundTripProxy
from support.postgres import PostgresServer
from support.project import Project
from support.render import render
from support.serve import Server
from support.urls import ASYNCPG_NO_TLS

pytestmark = pytest.mark.postgres

STATEMENT_TIMEOUT = 1.0
CONNECT_TIMEOUT = 0.5
POOL_TIMEOUT = 0.5
HEALTH_CHECK_TIMEOUT = 1.0
POOL_LIMIT = 3
SETTINGS = {
    "DATABASE_STATEMENT_TIMEOUT": str(STATEMENT_TIMEOUT),
    "DATABASE_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT),
    "DATABASE_POOL_TIMEOUT": str(POOL_TIMEOUT),
    "HEALTH_CHECK_TIMEOUT": str(HEALTH_CHECK_TIMEOUT),
    "DATABASE_POOL_SIZE": str(POOL_LIMIT),
    "DATABASE_MAX_OVERFLOW": "0",
}
# What a request may wait for the database, as the generated README states it: the longest
# of its bounds (here the statement timeout).
BOUND = max(STATEMENT_TIMEOUT, CONNECT_TIMEOUT, POOL_TIMEOUT)
# Slack for a loaded machine: an answer later than this is a hang, not noise. Without a
# bound of the client's own, a request waits as long as the stall lasts.
MARGIN = 1.5
# The readiness probe's timeout is its own, and fires on time; what can come after it is
# closing the connection it gave up on, which must not wait for the server (politely, it
# took one and a half seconds more here).
PROBE_MARGIN = 1.0
# Far beyond any bound: a request still unanswered by then has hung.
CLIENT_TIMEOUT = 30.0

Outcome = tuple[int | str, float]


@pytest.fixture(scope="module")
def service(
    postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Project, str]:
    """A rendered, installed and migrated PostgreSQL service, and the name of its database."""
    project = Project.at(render(tmp_path_factory.mktemp("stalls"), database="postgresql"))
    database = postgres.create_database("stalls")
    project.env["DATABASE_URL"] = postgres.service_url(database)
    project.sync()
    project.uv_run("alembic", "upgrade", "head")
    return project, database


@pytest.fixture
def proxy(postgres: PostgresServer) -> Iterator[RoundTripProxy]:
    with RoundTripProxy(postgres.address) as proxy:
        yield proxy


async def requests(server: Server, calls: list[tuple[str, str]]) -> list[Outcome]:
    """The (method, path) calls, all at once: each one's status code (or the name of the
    error) and how many seconds it took."""

    async def one(client: httpx.AsyncClient, method: str, path: str) -> Outcome:
        started = time.monotonic()
        body = {"name": "Ada", "email": f"ada-{time.monotonic_ns()}@example.com"}
        try:
            response = await client.request(method, path, json=body if method == "POST" else None)
            outcome: int | str = response.status_code
            # The API's 503 says when to retry; the readiness probe's is for orchestrators.
            retry_after = response.headers.get("Retry-After", "")
            if outcome == 503 and path.startswith("/api/") and not retry_after.isdigit():
                outcome = "503 without Retry-After"
        except httpx.HTTPError as error:
            outcome = type(error).__name__
        return outcome, time.monotonic() - started

    limits = httpx.Limits(max_connections=len(calls))
    async with httpx.AsyncClient(
        base_url=server.url, timeout=CLIENT_TIMEOUT, limits=limits
    ) as client:
        return list(await asyncio.gather(*(one(client, *call) for call in calls)))


def run(server: Server, *calls: tuple[str, str]) -> list[Outcome]:
    return asyncio.run(requests(server, list(calls)))


READ = ("GET", "/api/v1/posts")
WRITE = ("POST", "/api/v1/authors")
READY = ("GET", "/health/ready")


def statuses(outcomes: list[Outcome]) -> list[int | str]:
    return [status for status, _ in outcomes]


def slowest(outcomes: list[Outcome]) -> float:
    return max(seconds for _, seconds in outcomes)


def wait_for_status(server: Server, status: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if statuses(run(server, READ)) == [status]:
            return True
        time.sleep(0.2)
    return False


# With pre-ping, a pooled connection is first pinged, and that is the wait that times out.
@pytest.mark.parametrize("pre_ping", ["false", "true"], ids=["no-pre-ping", "pre-ping"])
def test_a_stalled_database_is_a_503_within_the_bound_then_recovers(
    service: tuple[Project, str], postgres: PostgresServer, proxy: RoundTripProxy, pre_ping: str
) -> None:
    project, database = service
    url = proxy.url(postgres.service_url(database), ASYNCPG_NO_TLS)
    env = {**SETTINGS, "DATABASE_URL": url, "DATABASE_POOL_PRE_PING": pre_ping}
    with project.start(env=env) as server:
        # Every pooled connection open and idle: the stall catches them in use.
        assert statuses(run(server, *[READ] * POOL_LIMIT)) == [200] * POOL_LIMIT

        proxy.pause()
        # A probe on a pooled connection: it gives up on it and must not wait to close it.
        first_probe = run(server, READY)
        # Twice the pool at once, reads and writes: some meet a pooled connection that
        # never answers, some wait for a free connection, the rest open one that never
        # finishes its startup.
        crowd = run(server, *[READ, WRITE] * POOL_LIMIT)
        # Then one at a time, probes in between: each opens a connection of its own.
        one_by_one = [run(server, call)[0] for call in [READ, READY, WRITE, READY]]
        probes = run(server, READY, READY)
        proxy.resume()

        recovered = wait_for_status(server, 200, timeout=10)
        # Twice the pool at once again: a connection left checked out or half dead by the
        # stall would make some of them wait out the pool timeout, or fail.
        after = run(server, *[READ, WRITE] * POOL_LIMIT)
        ready_after = run(server, READY)

    stalled = crowd + one_by_one
    assert statuses(stalled) == [503] * len(stalled), stalled
    assert slowest(stalled) < BOUND + MARGIN, stalled
    probed = [*first_probe, one_by_one[1], one_by_one[3], *probes]
    assert [status for status, _ in probed] == [503] * len(probed), probed
    assert slowest(probed) < HEALTH_CHECK_TIMEOUT + PROBE_MARGIN, probed
    assert recovered
    assert statuses(after) == [200, 201] * POOL_LIMIT, after
    assert statuses(ready_after) == [200]


def test_connections_given_up_on_leave_no_session_behind(
    service: tuple[Project, str], postgres: PostgresServer, proxy: RoundTripProxy
) -> None:
    project, database = service
    url = proxy.url(postgres.service_url(database), ASYNCPG_NO_TLS)
    with project.start(env={**SETTINGS, "DATABASE_URL": url}) as server:
        assert statuses(run(server, *[READ] * POOL_LIMIT)) == [200] * POOL_LIMIT
        for _ in range(3):
            proxy.pause()
            stalled = run(server, *[READ, WRITE, READY] * POOL_LIMIT)
            assert statuses(stalled) == [503] * len(stalled), stalled
            proxy.resume()
            assert wait_for_status(server, 200, timeout=10)

        # The connections cut during the stalls reach the server as closed once it hears
        # from them again; what is left is at most the pool.
        deadline = time.monotonic() + 10
        while len(postgres.sessions(database)) > POOL_LIMIT and time.monotonic() < deadline:
            time.sleep(0.2)
        sessions = postgres.sessions(database)

    assert len(sessions) <= POOL_LIMIT, sessions
    assert "idle in transaction" not in dict(sessions).values(), sessions


def test_a_wait_for_a_connection_and_opening_it_share_one_bound(
    service: tuple[Project, str], postgres: PostgresServer, proxy: RoundTripProxy
) -> None:
    # One connection. The first request's statement stalls until the client gives up on it
    # (the statement timeout plus half a second) and discards the connection; the second,
    # waiting meanwhile, is handed the discarded connection and must open it again. Apart,
    # the two waits would add up to 2.5 + 3 seconds; together they get the larger timeout.
    statement_timeout, connect_and_pool_timeout = 2.0, 3.0
    settings = {
        **SETTINGS,
        "DATABASE_STATEMENT_TIMEOUT": str(statement_timeout),
        "DATABASE_CONNECT_TIMEOUT": str(connect_and_pool_timeout),
        "DATABASE_POOL_TIMEOUT": str(connect_and_pool_timeout),
        "DATABASE_POOL_SIZE": "1",
    }
    project, database = service
    url = proxy.url(postgres.service_url(database), ASYNCPG_NO_TLS)
    with project.start(env={**settings, "DATABASE_URL": url}) as server:
        assert statuses(run(server, READ)) == [200]
        proxy.pause()
        stalled = run(server, READ, READ)
        proxy.resume()
        recovered = wait_for_status(server, 200, timeout=10)

    assert statuses(stalled) == [503, 503], stalled
    assert slowest(stalled) < connect_and_pool_timeout + MARGIN, stalled
    assert recovered
