"""The same service written synchronously: `def` routes in Starlette's threadpool.

It reuses the rendered package's ORM models and pydantic schemas and runs the same queries
(the author joined in with `joinedload`, a commit after each request) on a synchronous
SQLAlchemy engine (psycopg 3) with the same connection budget as the async service. Only
the example posts endpoints, /health/live and the two IO-wait bench routes are here.
"""

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import anyio.to_thread
import httpx
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, status
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, joinedload, sessionmaker

from bench.apps.common import package_module, upstream_url
from bench.config import (
    POOL_TIMEOUT_S,
    SLOW_QUERY_S,
    THREADPOOL_SIZE,
    UPSTREAM_CLIENT_CONNECTIONS,
)

_models = package_module("blog.models")
_schemas = package_module("blog.schemas")
Page = package_module("core.pagination").Page
PageParamsDep = package_module("core.pagination").PageParamsDep
IdPath = package_module("core.params").IdPath
Author, Post = _models.Author, _models.Post
PostCreate, PostRead = _schemas.PostCreate, _schemas.PostRead

with_author = joinedload(Post.author)


def psycopg_url(async_url: str) -> str:
    """The service's asyncpg URL, for the psycopg 3 driver."""
    url = make_url(async_url).set(drivername="postgresql+psycopg")
    # asyncpg's `ssl=` has no meaning to libpq, whose own options pass through unchanged.
    return url.difference_update_query(["ssl"]).render_as_string(hide_password=False)


def get_session(request: Request) -> Iterator[Session]:
    # A sync generator dependency: FastAPI runs each step in the threadpool, like the routes.
    with request.state.sessionmaker() as session:
        yield session
        session.commit()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]

posts = APIRouter(prefix="/api/v1/posts")


def _get_post(session: Session, post_id: int) -> Any:
    post = session.get(Post, post_id, options=[with_author])
    if post is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Post {post_id} not found")
    return post


@posts.post("", status_code=status.HTTP_201_CREATED, response_model=PostRead)
def create_post(payload: PostCreate, session: SessionDep) -> Any:
    author = session.get(Author, payload.author_id)
    if author is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Author {payload.author_id} not found")
    post = Post(title=payload.title, body=payload.body, author=author)
    session.add(post)
    session.flush()
    return post


@posts.get("/{post_id}", response_model=PostRead)
def get_post(post_id: IdPath, session: SessionDep) -> Any:
    return _get_post(session, post_id)


@posts.get("", response_model=Page[PostRead])
def list_posts(page: PageParamsDep, session: SessionDep) -> Any:
    total = session.scalar(select(func.count()).select_from(Post))
    rows = session.scalars(
        select(Post).options(with_author).order_by(Post.id).offset(page.offset).limit(page.limit)
    )
    return Page(
        items=[PostRead.model_validate(post) for post in rows],
        total=total or 0,
        offset=page.offset,
        limit=page.limit,
    )


bench = APIRouter(prefix="/bench")


@bench.get("/upstream/posts/{post_id}", response_model=PostRead)
def upstream_then_post(post_id: IdPath, request: Request, session: SessionDep) -> Any:
    # As in the async service: the upstream first, while the session holds no connection.
    client: httpx.Client = request.state.http
    client.get(f"{upstream_url()}/posts/{post_id}").raise_for_status()
    return _get_post(session, post_id)


@bench.get("/slow")
def slow_query(session: SessionDep) -> dict[str, bool]:
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
        # The async service's pool settings (pre-ping included), its statement timeout too.
        pool_size=int(os.environ["DATABASE_POOL_SIZE"]),
        max_overflow=int(os.environ["DATABASE_MAX_OVERFLOW"]),
        pool_timeout=POOL_TIMEOUT_S,
        pool_pre_ping=True,
        connect_args={"options": "-c statement_timeout=30000"},
    )
    limits = httpx.Limits(
        max_connections=UPSTREAM_CLIENT_CONNECTIONS,
        max_keepalive_connections=UPSTREAM_CLIENT_CONNECTIONS,
    )
    with httpx.Client(limits=limits) as client:
        yield {"sessionmaker": sessionmaker(engine, expire_on_commit=False), "http": client}
    engine.dispose()


def create_app() -> FastAPI:
    app = FastAPI(title="Sync service (bench)", lifespan=lifespan, docs_url=None, redoc_url=None)
    for router in (health, posts, bench):
        app.include_router(router)
    return app
