"""The limit app: what the same endpoints cost with no framework and no ORM.

A bare ASGI app on an asyncpg pool of the same size as the service's, running the SQL the
service runs (a post and its author in one join; a page whose rows carry the total, and a
count alone past the end; an insert read back with its author in one statement) and
answering with the same JSON shapes. Whatever the service does on top of this is the price
of FastAPI, pydantic and SQLAlchemy.
"""

import os
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import asyncpg
import orjson

from bench.config import POOL_TIMEOUT_S
from support.urls import asyncpg_dsn

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

# The columns of a post and its author, in the order post_json() reads them.
POST_COLUMNS = """
    p.id, p.title, p.body, p.created_at, p.updated_at,
    a.id, a.name, a.email, a.created_at
"""
WITH_AUTHOR = "FROM posts AS p LEFT OUTER JOIN authors AS a ON a.id = p.author_id"
GET_POST = f"SELECT {POST_COLUMNS} {WITH_AUTHOR} WHERE p.id = $1"
COUNT_POSTS = "SELECT count(*) FROM posts"
# As the service's paginate(): each row of the page carries the total.
LIST_POSTS = f"""
    SELECT {POST_COLUMNS}, ({COUNT_POSTS}) AS total {WITH_AUTHOR}
    ORDER BY p.id LIMIT $1 OFFSET $2
"""
# One statement: an unknown author fails the foreign key, which is the 404.
CREATE_POST = f"""
    WITH p AS (
        INSERT INTO posts (title, body, author_id) VALUES ($1, $2, $3)
        RETURNING id, title, body, author_id, created_at, updated_at
    )
    SELECT {POST_COLUMNS} FROM p JOIN authors AS a ON a.id = p.author_id
"""

PREFIX = "/api/v1/posts"


async def keep(_connection: asyncpg.Connection) -> None:
    """Instead of asyncpg's reset query on release, a round trip per request: these queries
    leave no session state behind (no SET, LISTEN, cursor or advisory lock), and SQLAlchemy's
    pool in the service does not reset either."""


class HTTPError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def post_json(row: asyncpg.Record) -> dict[str, Any]:
    # The field order of the service's PostRead, author nested.
    return {
        "id": row[0],
        "title": row[1],
        "body": row[2],
        "author": {"id": row[5], "name": row[6], "email": row[7], "created_at": row[8]},
        "created_at": row[3],
        "updated_at": row[4],
    }


def query_int(query: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(query.get(name, default))
    except ValueError:
        raise HTTPError(422, f"{name} must be an integer") from None
    if not low <= value <= high:
        raise HTTPError(422, f"{name} must be between {low} and {high}")
    return value


def path_id(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 2_147_483_647:
        raise HTTPError(422, "id must be a positive 32-bit integer")
    return int(text)


async def read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


class LimitApp:
    def __init__(self) -> None:
        self.pool: asyncpg.Pool | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return
        try:
            status, payload = await self.route(scope, receive)
        except HTTPError as error:
            status, payload = error.status, {"detail": error.detail}
        except TimeoutError:
            # No free connection within the pool timeout: what the service answers too.
            status, payload = 503, {"detail": "The database is unavailable; try again shortly."}
        body = orjson.dumps(payload, option=orjson.OPT_UTC_Z)
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def lifespan(self, receive: Receive, send: Send) -> None:
        await receive()  # lifespan.startup
        size = int(os.environ["DATABASE_POOL_SIZE"]) + int(os.environ["DATABASE_MAX_OVERFLOW"])
        self.pool = await asyncpg.create_pool(
            asyncpg_dsn(os.environ["DATABASE_URL"]), min_size=size, max_size=size, reset=keep
        )
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        await self.pool.close()
        await send({"type": "lifespan.shutdown.complete"})

    async def route(self, scope: Scope, receive: Receive) -> tuple[int, Any]:
        method, path = scope["method"], scope["path"]
        if path == "/health/live":
            return 200, {"status": "ok"}
        if path == PREFIX and method == "GET":
            query = dict(parse_qsl(scope["query_string"].decode()))
            offset = query_int(query, "offset", 0, 0, 2_147_483_647)
            limit = query_int(query, "limit", 20, 1, 100)
            return 200, await self.list_posts(offset, limit)
        if path == PREFIX and method == "POST":
            return 201, await self.create_post(await read_body(receive))
        if path.startswith(PREFIX + "/") and method == "GET":
            return 200, await self.get_post(path_id(path.removeprefix(PREFIX + "/")))
        raise HTTPError(404, "Not Found")

    async def get_post(self, post_id: int) -> dict[str, Any]:
        assert self.pool is not None
        async with self.pool.acquire(timeout=POOL_TIMEOUT_S) as connection:
            row = await connection.fetchrow(GET_POST, post_id)
        if row is None:
            raise HTTPError(404, f"Post {post_id} not found")
        return post_json(row)

    async def list_posts(self, offset: int, limit: int) -> dict[str, Any]:
        assert self.pool is not None
        async with self.pool.acquire(timeout=POOL_TIMEOUT_S) as connection:
            rows = await connection.fetch(LIST_POSTS, limit, offset)
            if rows:
                total = rows[0]["total"]
            else:
                total = await connection.fetchval(COUNT_POSTS) if offset else 0
        items = [post_json(row) for row in rows]
        return {"items": items, "total": total, "offset": offset, "limit": limit}

    async def create_post(self, body: bytes) -> dict[str, Any]:
        assert self.pool is not None
        try:
            data = orjson.loads(body)
            title, text, author_id = data["title"], data["body"], data["author_id"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            raise HTTPError(422, "expected {title, body, author_id}") from None
        if not (isinstance(title, str) and isinstance(text, str) and isinstance(author_id, int)):
            raise HTTPError(422, "expected {title, body, author_id}")
        async with self.pool.acquire(timeout=POOL_TIMEOUT_S) as connection:
            try:
                row = await connection.fetchrow(CREATE_POST, title, text, author_id)
            except asyncpg.ForeignKeyViolationError:
                raise HTTPError(404, f"Author {author_id} not found") from None
        return post_json(row)


app = LimitApp()
