"""The same service written synchronously: `def` routes in Starlette's threadpool.

It reuses the rendered package's ORM models, pydantic schemas and statements and runs the
same queries (the author joined in with `joinedload`, a new post inserted and read back with
its author in one statement, a commit at the end of each request) on a synchronous
SQLAlchemy engine (psycopg 3) with the same connection budget as the async service. Only
the example posts endpoints, /health/live and the two IO-wait bench routes are here.
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import anyio.to_thread
import httpx
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, status
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bench.apps.common import package_module, upstream_url
from bench.config import (
    POOL_TIMEOUT_S,
    SLOW_QUERY_S,
    THREADPOOL_SIZE,
    UPSTREAM_CLIENT_CONNECTIONS,
)
from support.urls import psycopg_url

_models = package_module("blog.models")
_schemas = package_module("blog.schemas")
_posts = package_module("blog.posts")
Page = package_module("core.pagination").Page
PageParamsDep = package_module("core.pagination").PageParamsDep
IdPath = package_module("core.params").IdPath
tune_garbage_collection = package_module("core.runtime").tune_garbage_collection
Post = _models.Post
PostCreate, PostRead = _schemas.PostCreate, _schemas.PostRead
FOREIGN_KEY_VIOLATION = package_module("core.database_errors").FOREIGN_KEY_VIOLATION
# The service's own statements, built once in its posts module.
with_author, POST_BY_ID, INSERT_POST = _posts.with_author, _posts.POST_BY_ID, _posts.INSERT_POST


async def get_sessionmaker(request: Request) -> sessionmaker[Session]:
    # async: a plain lookup, no reason to spend a threadpool hop on it.
    factory: sessionmaker[Session] = request.state.sessionmaker
    return factory


async def get_read_sessionmaker(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.state.read_sessionmaker
    return factory


SessionmakerDep = Annotated[sessionmaker[Session], Depends(get_sessionmaker)]
ReadSessionmakerDep = Annotated[sessionmaker[Session], Depends(get_read_sessionmaker)]

# Why no `yield session` dependency, as the async service has: FastAPI validates a sync
# route's response in the threadpool *before* a function-scoped dependency exits, so the
# session would hold its connection while waiting for a thread. With more threads (40) than
# connections (10), every thread then blocks in the pool's checkout, and nothing moves until
# the pool times out. So each route opens its own transaction, builds the response model
# inside it, and has released the connection by the time it returns.

posts = APIRouter(prefix="/api/v1/posts")


def _read_post(session: Session, post_id: int) -> Any:
    post = session.scalar(POST_BY_ID, {"post_id": post_id})
    if post is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Post {post_id} not found")
    return PostRead.model_validate(post)


@posts.post("", status_code=status.HTTP_201_CREATED, response_model=PostRead)
def create_post(payload: PostCreate, transaction: SessionmakerDep) -> Any:
    try:
        with transaction.begin() as session:  # commits on leaving the block
            post = session.scalars(INSERT_POST, payload.model_dump()).one()
            return PostRead.model_validate(post)
    except IntegrityError as exc:
        # The only foreign key of posts (psycopg's errors carry the SQLSTATE themselves).
        if getattr(exc.orig, "sqlstate", None) == FOREIGN_KEY_VIOLATION:
            detail = f"Author {payload.author_id} not found"
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail) from exc
        raise


@posts.get("/{post_id}", response_model=PostRead)
def get_post(post_id: IdPath, transaction: ReadSessionmakerDep) -> Any:
    with transaction.begin() as session:
        return _read_post(session, post_id)


@posts.get("", response_model=Page[PostRead])
def list_posts(page: PageParamsDep, transaction: ReadSessionmakerDep) -> Any:
    with transaction.begin() as session:
        # As the service's paginate(): each row of the page carries the total.
        counted = select(func.count()).select_from(select(Post).subquery())
        rows = session.execute(
            select(Post)
            .options(with_author)
            .add_columns(counted.scalar_subquery().label("total"))
            .order_by(Post.id)
            .offset(page.offset)
            .limit(page.limit)
        ).all()
        # No row to carry the total: past the end, the count alone; at the start, 0.
        past_the_end = session.scalar(counted) if not rows and page.offset else 0
        return Page(
            items=[PostRead.model_validate(row[0]) for row in rows],
            total=rows[0].total if rows else past_the_end,
            offset=page.offset,
            limit=page.limit,
        )


bench = APIRouter(prefix="/bench")


@bench.get("/upstream/posts/{post_id}", response_model=PostRead)
# The async service's aiohttp and shipped-client variants of the same wait; a sync service
# has httpx.Client.
@bench.get("/upstream-aiohttp/posts/{post_id}", response_model=PostRead)
@bench.get("/upstream-shipped/posts/{post_id}", response_model=PostRead)
def upstream_then_post(post_id: IdPath, request: Request, transaction: ReadSessionmakerDep) -> Any:
    # As in the async service: the upstream first, holding no database connection.
    client: httpx.Client = request.state.http
    client.get(f"{upstream_url()}/posts/{post_id}").raise_for_status()
    with transaction.begin() as session:
        return _read_post(session, post_id)


@bench.get("/slow")
def slow_query(transaction: ReadSessionmakerDep) -> dict[str, bool]:
    with transaction.begin() as session:
        session.execute(text("SELECT pg_sleep(:seconds)"), {"seconds": SLOW_QUERY_S})
    return {"ok": True}


health = APIRouter(prefix="/health")


@health.get("/live")
def live() -> dict[str, str]:
    return {"status": "ok"}


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    anyio.to_thread.current_default_thread_limiter().total_tokens = THREADPOOL_SIZE
    engine = create_engine(
        psycopg_url(os.environ["DATABASE_URL"]),
        # The async service's pool settings (no pre-ping), its statement timeout too.
        pool_size=int(os.environ["DATABASE_POOL_SIZE"]),
        max_overflow=int(os.environ["DATABASE_MAX_OVERFLOW"]),
        pool_timeout=POOL_TIMEOUT_S,
        connect_args={"options": "-c statement_timeout=30000"},
    )
    limits = httpx.Limits(
        max_connections=UPSTREAM_CLIENT_CONNECTIONS,
        max_keepalive_connections=UPSTREAM_CLIENT_CONNECTIONS,
    )
    # Reads in autocommit, like the async service's ReadSessionDep: one round trip a SELECT.
    reads = engine.execution_options(isolation_level="AUTOCOMMIT")
    with httpx.Client(limits=limits) as client:
        yield {
            "sessionmaker": sessionmaker(engine, expire_on_commit=False),
            "read_sessionmaker": sessionmaker(reads, expire_on_commit=False),
            "http": client,
        }
    engine.dispose()


def create_app() -> FastAPI:
    app = FastAPI(title="Sync service (bench)", lifespan=lifespan, docs_url=None, redoc_url=None)
    for router in (health, posts, bench):
        app.include_router(router)
    # As the service's main.py does: the comparison is between async and sync, not between
    # a tuned garbage collector and Python's default.
    tune_garbage_collection()
    return app
