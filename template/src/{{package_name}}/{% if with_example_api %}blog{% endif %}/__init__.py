"""The example API: authors and their posts. Delete this folder to start from scratch."""

from fastapi import APIRouter

from . import authors, posts

router = APIRouter()
router.include_router(authors.router)
router.include_router(posts.router)
