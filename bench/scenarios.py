"""What the apps are asked to do: one wrk script each, and the same request for counting."""

import random
from dataclasses import dataclass
from typing import Any

from bench.config import AUTHORS, POSTS


@dataclass(frozen=True)
class Scenario:
    name: str  # also its wrk script: bench/wrk/<name>.lua
    method: str
    path: str  # "{id}" stands for a random post id

    def request(self, rng: random.Random) -> tuple[str, str, Any]:
        """(method, path, JSON body) of one request like those the wrk script sends."""
        path = self.path.format(id=rng.randint(1, POSTS))
        body = None
        if self.method == "POST":
            body = {
                "title": "Counted post",
                "body": "Sent once.",
                "author_id": rng.randint(1, AUTHORS),
            }
        return self.method, path, body


LIVE = Scenario("live", "GET", "/health/live")
GET_POST = Scenario("get_post", "GET", "/api/v1/posts/{id}")
LIST_POSTS = Scenario("list_posts", "GET", "/api/v1/posts?limit=20")
# Writes come last: the rows they add would make later counts (list_posts) slower.
CREATE_POST = Scenario("create_post", "POST", "/api/v1/posts")
UPSTREAM = Scenario("upstream", "GET", "/bench/upstream/posts/{id}")
# The same wait with aiohttp as the async service's client: httpx.AsyncClient's connection
# pool costs milliseconds of CPU per request when hundreds are in flight (encode/httpx#3215),
# which would hide what the service itself does. The sync service keeps httpx.Client.
UPSTREAM_AIOHTTP = Scenario("upstream_aiohttp", "GET", "/bench/upstream-aiohttp/posts/{id}")
# The same wait through the client the template ships (with_http_client): httpx's API on
# aiohttp's connection pool.
UPSTREAM_SHIPPED = Scenario("upstream_shipped", "GET", "/bench/upstream-shipped/posts/{id}")
SLOW = Scenario("slow", "GET", "/bench/slow")

NORMAL = (LIVE, GET_POST, LIST_POSTS, CREATE_POST)
PGBOUNCER = (GET_POST, CREATE_POST)
IO_WAIT = (UPSTREAM, UPSTREAM_AIOHTTP, UPSTREAM_SHIPPED, SLOW)
