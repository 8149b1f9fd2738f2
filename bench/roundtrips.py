"""Database round trips per request, counted through support.pg_proxy.

A warmed-up count: asyncpg prepares each statement once per connection (a Parse/Flush
exchange that ReadyForQuery does not mark), so the first requests are sent uncounted.
"""

import random
from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx

from bench.scenarios import Scenario
from support.pg_proxy import RoundTripProxy
from support.serve import Server
from support.urls import ASYNCPG_NO_TLS

WARM_UP = 5
COUNTED = 20

# Starts an app with the given database URL; yields it while it serves.
StartApp = Callable[[str], AbstractContextManager[Server]]


def count_round_trips(
    service_url: str, upstream: tuple[str, int], start_app: StartApp, scenarios: list[Scenario]
) -> dict[str, float]:
    """Round trips per request of each scenario, for the app that `start_app` serves.

    The app gets the service's asyncpg URL through the proxy, without TLS (which the proxy
    could not read); the sync app turns `ssl=disable` into libpq's words itself.
    """
    counts: dict[str, float] = {}
    with (
        RoundTripProxy(upstream) as proxy,
        start_app(proxy.url(service_url, ASYNCPG_NO_TLS)) as server,
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
