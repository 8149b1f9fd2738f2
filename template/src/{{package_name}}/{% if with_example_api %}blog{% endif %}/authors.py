"""Authors: create one, read one, list them a page at a time."""

from fastapi import APIRouter, status
from sqlalchemy import select

from ..core.errors import NotFoundError, problem_responses
from ..core.pagination import Page, PageParamsDep, paginate
from ..core.params import IdPath
from ..core.session import ReadSessionDep, SessionDep
from .models import Author
from .schemas import AuthorCreate, AuthorRead

router = APIRouter(prefix="/authors", tags=["authors"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AuthorRead,
    responses=problem_responses(status.HTTP_409_CONFLICT),
)
async def create_author(payload: AuthorCreate, session: SessionDep) -> Author:
    author = Author(**payload.model_dump())
    session.add(author)
    # Flush now: a duplicate email fails here (409) and the id is known for the response.
    await session.flush()
    return author


@router.get(
    "/{author_id}",
    response_model=AuthorRead,
    responses=problem_responses(status.HTTP_404_NOT_FOUND),
)
async def get_author(author_id: IdPath, session: ReadSessionDep) -> Author:
    author = await session.get(Author, author_id)
    if author is None:
        raise NotFoundError("Author", author_id)
    return author


@router.get("", response_model=Page[AuthorRead])
async def list_authors(page: PageParamsDep, session: ReadSessionDep) -> Page[Author]:
    return await paginate(session, select(Author).order_by(Author.id), page)
