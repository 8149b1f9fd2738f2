"""Database round trips per request, counted through bench.pg_proxy.

A warmed-up count: asyncpg prepares each statement once per connection (a Parse/Flush
exchange that ReadyForQuery does not mark), so the first requests are sent uncounted.
"""

import random
from collections.abc import Callable
from contextlib import AbstractContextManager
from urllib.parse import urlsplit, urlunsplit

import httpx

from bench.pg_proxy import RoundTripProxy
from bench.scenarios import Scenario
from bench.servers import Server

WARM_UP = 5
COUNTED = 20

# Starts an app with the given database URL; yields it while it serves.
StartApp = Callable[[str], AbstractContextManager[Server]]


def through_proxy(service_url: str, port: int) -> str:
    """The service's asyncpg URL with its host and port replaced by the proxy's.

    TLS off: the proxy counts PostgreSQL messages, which it cannot read inside TLS. The sync
    app turns `ssl=disable` into libpq's sslmode/gssencmode itself.
    """
    parts = urlsplit(service_url)
    netloc = parts.netloc.rpartition("@")
    user = f"{netloc[0]}@" if netloc[0] else ""
    query = "&".join(filter(None, [parts.query, "ssl=disable"]))
    return urlunsplit(parts._replace(netloc=f"{user}127.0.0.1:{port}", query=query))


def count_round_trips(
    service_url: str, upstream: tuple[str, int], start_app: StartApp, scenarios: list[Scenario]
) -> dict[str, float | None]:
    """Round trips per request of each scenario, for the app that `start_app` serves."""
    counts: dict[str, float | None] = {}
    with (
        RoundTripProxy(upstream) as proxy,
        start_app(through_proxy(service_url, proxy.port)) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        for scenario in scenarios:
            _send(client, scenario, WARM_UP)
            before = proxy.round_trips()
            _send(client, scenario, COUNTED)
            counts[scenario.name] = (proxy.round_trips() - before) / COUNTED
    return counts


def _send(client: httpx.Client, scenario: Scenario, count: int) -> None:
    """`count` requests of the scenario, one after the other."""
    rng = random.Random(count)
    for _ in range(count):
        method, path, body = scenario.request(rng)
        client.request(method, path, json=body).raise_for_status()
