"""The PostgreSQL service under faults, served by uvicorn against a real server.

Slowness is made the honest way: a test connection takes an exclusive lock on `posts`, so
every request that reads posts waits in the database until the lock is released.
"""

import asyncio
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from support.postgres import PostgresServer
from support.project import Project
from support.serve import Server

pytestmark = pytest.mark.postgres

POOL = {"DATABASE_POOL_SIZE": "3", "DATABASE_MAX_OVERFLOW": "2"}
POOL_LIMIT = 5


@pytest.fixture(scope="module")
def service(postgres: PostgresServer, rendered: Callable[..., Path]) -> tuple[Project, str]:
    """A rendered, installed and migrated PostgreSQL service, and the name of its database."""
    project = Project.at(rendered(database="postgresql"))
    database = postgres.create_database("faults")
    project.env["DATABASE_URL"] = postgres.service_url(database)
    project.sync()
    project.uv_run("alembic", "upgrade", "head")
    return project, database


@contextmanager
def posts_locked(postgres: PostgresServer, database: str) -> Iterator[None]:
    with postgres.connect(database) as connection, connection.transaction():
        connection.execute("LOCK TABLE posts IN ACCESS EXCLUSIVE MODE")
        yield


async def fire(
    server: Server, count: int, timeout: httpx.Timeout | float
) -> list[tuple[int | str, float]]:
    """`count` concurrent reads of posts: each gives its status code (or the name of the
    error) and how many seconds it took."""

    async def one(client: httpx.AsyncClient) -> tuple[int | str, float]:
        started = time.monotonic()
        try:
            outcome: int | str = (await client.get("/api/v1/posts")).status_code
        except httpx.HTTPError as error:
            outcome = type(error).__name__
        return outcome, time.monotonic() - started

    limits = httpx.Limits(max_connections=count)
    async with httpx.AsyncClient(base_url=server.url, timeout=timeout, limits=limits) as client:
        return list(await asyncio.gather(*(one(client) for _ in range(count))))


def outcomes(results: list[tuple[int | str, float]]) -> list[int | str]:
    return [outcome for outcome, _ in results]


def wait_for(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


def status_of(server: Server, path: str = "/api/v1/posts") -> int:
    with server.client() as client:
        return client.get(path).status_code


def test_recovers_after_its_connections_are_killed(
    service: tuple[Project, str], postgres: PostgresServer
) -> None:
    project, database = service
    with project.start(env=POOL) as server:
        assert outcomes(asyncio.run(fire(server, 10, timeout=10))) == [200] * 10

        assert postgres.terminate_sessions(database) > 0
        after = [status_of(server) for _ in range(5)]

    # Dead pooled connections are detected and replaced: never a 500, soon a 200.
    assert set(after) <= {200, 503}, after
    assert after[-1] == 200, after


def test_503_while_the_database_is_gone_then_recovers_without_restart(
    service: tuple[Project, str], postgres: PostgresServer
) -> None:
    project, database = service
    with project.start(env=POOL) as server:
        assert status_of(server) == 200
        postgres.drop_database(database)

        with server.client() as client:
            gone = client.get("/api/v1/posts")
            ready = client.get("/health/ready")
            live = client.get("/health/live")

        postgres.create_database_named(database)
        project.uv_run("alembic", "upgrade", "head")
        recovered = wait_for(lambda: status_of(server) == 200, timeout=15)

    assert gone.status_code == 503
    assert gone.headers["Retry-After"].isdigit()
    assert "Traceback" not in gone.text
    assert "postgresql" not in gone.text
    assert (ready.status_code, live.status_code) == (503, 200)
    assert recovered


def test_disconnected_clients_leave_no_session_open(
    service: tuple[Project, str], postgres: PostgresServer
) -> None:
    project, database = service
    with project.start(env=POOL) as server:
        with posts_locked(postgres, database):
            # Hundreds of clients give up after 0.3 s while their requests wait on the lock.
            # Connecting gets longer: on a busy machine, opening 300 connections at once can
            # take this client more than 0.3 s, and a client that never got its request in
            # tests nothing.
            timeout = httpx.Timeout(0.3, connect=10)
            results = outcomes(asyncio.run(fire(server, 300, timeout=timeout)))
            held = [state for _, state in postgres.sessions(database)]
        assert wait_for(lambda: status_of(server) == 200, timeout=30)
        settled = wait_for(
            lambda: "idle in transaction" not in dict(postgres.sessions(database)).values(),
            timeout=10,
        )

    assert results.count("ReadTimeout") > 250
    # The service never opened more connections than its pool allows...
    assert len(held) <= POOL_LIMIT + 1  # + the test's own locking connection
    # ...and none of them was left inside a transaction.
    assert settled


def test_saturated_pool_answers_503_within_the_pool_timeout(
    service: tuple[Project, str], postgres: PostgresServer
) -> None:
    project, database = service
    env = {**POOL, "DATABASE_POOL_TIMEOUT": "1", "DATABASE_STATEMENT_TIMEOUT": "10"}
    with project.start(env=env) as server:
        with posts_locked(postgres, database):
            # Twice the pool: the first POOL_LIMIT requests hold connections while they wait
            # on the lock; the rest wait for a connection and give up after one second.
            results = asyncio.run(fire(server, 2 * POOL_LIMIT, timeout=5))
        after = status_of(server)

    refused = [seconds for outcome, seconds in results if outcome == 503]
    assert len(refused) >= POOL_LIMIT, results
    # Within the pool timeout (plus slack for a loaded machine): not a hang.
    assert max(refused) < 1 + 2, results
    assert after == 200


def test_sigterm_drains_requests_in_flight_then_ends_by_the_signal(
    service: tuple[Project, str], postgres: PostgresServer
) -> None:
    project, database = service
    with project.start("--timeout-graceful-shutdown", "20", env=POOL) as server:

        async def load_then_sigterm() -> list[tuple[int | str, float]]:
            with posts_locked(postgres, database):
                requests = asyncio.create_task(fire(server, 20, timeout=30))
                await asyncio.sleep(1)
                server.process.send_signal(signal.SIGTERM)
                # The lock goes after SIGTERM: these requests are in flight during shutdown.
                await asyncio.sleep(1)
            return await requests

        results = asyncio.run(load_then_sigterm())
        exit_code = server.process.wait(timeout=30)

    assert outcomes(results) == [200] * 20
    assert "Application shutdown complete" in server.log.read_text()
    # After a graceful shutdown uvicorn re-raises the SIGTERM it caught, so that its parent
    # sees the conventional status of a process stopped by it: uvicorn dies of the signal
    # (-15 to Python), which `uv run`, its parent here, passes on as a shell does, 128 + 15.
    # (As PID 1 in a container, where the kernel ignores that signal, it exits 0.)
    assert exit_code == 128 + signal.SIGTERM
