"""Posts: each embeds its author; create, read, list, update and delete them."""

from fastapi import APIRouter, Response, status
from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from ..core.errors import NotFoundError, problem_responses
from ..core.pagination import Page, PageParamsDep, paginate
from ..core.params import IdPath
from ..core.session import ReadSessionDep, SessionDep
from .models import Author, Post
from .schemas import PostCreate, PostRead, PostUpdate

router = APIRouter(prefix="/posts", tags=["posts"])

NOT_FOUND = problem_responses(status.HTTP_404_NOT_FOUND)

# Every response embeds the author: load it in the same statement (many-to-one join).
with_author = joinedload(Post.author)
# Built once: session.get() with options builds a new statement on every call, and
# SQLAlchemy computes its cache key again each time.
POST_BY_ID = select(Post).options(with_author).where(Post.id == bindparam("post_id"))


async def _get_post(session: AsyncSession, post_id: int) -> Post:
    post = await session.scalar(POST_BY_ID, {"post_id": post_id})
    if post is None:
        raise NotFoundError("Post", post_id)
    return post


# 404: the author named in the payload does not exist.
@router.post("", status_code=status.HTTP_201_CREATED, response_model=PostRead, responses=NOT_FOUND)
async def create_post(payload: PostCreate, session: SessionDep) -> Post:
    author = await session.get(Author, payload.author_id)
    if author is None:
        raise NotFoundError("Author", payload.author_id)
    post = Post(title=payload.title, body=payload.body, author=author)
    session.add(post)
    await session.flush()
    return post


@router.get("/{post_id}", response_model=PostRead, responses=NOT_FOUND)
async def get_post(post_id: IdPath, session: ReadSessionDep) -> Post:
    return await _get_post(session, post_id)


@router.get("", response_model=Page[PostRead])
async def list_posts(page: PageParamsDep, session: ReadSessionDep) -> Page[Post]:
    return await paginate(session, select(Post).options(with_author).order_by(Post.id), page)


# 409: a concurrent request deleted the post between its read and its update.
@router.patch(
    "/{post_id}",
    response_model=PostRead,
    responses=problem_responses(status.HTTP_404_NOT_FOUND, status.HTTP_409_CONFLICT),
)
async def update_post(post_id: IdPath, payload: PostUpdate, session: SessionDep) -> Post:
    post = await _get_post(session, post_id)
    for field, value in payload.model_dump(exclude_unset=True).items():
        setattr(post, field, value)
    await session.flush()
    return post


@router.delete("/{post_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_post(post_id: IdPath, session: SessionDep) -> Response:
    deleted = await session.scalar(delete(Post).where(Post.id == post_id).returning(Post.id))
    if deleted is None:
        raise NotFoundError("Post", post_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
