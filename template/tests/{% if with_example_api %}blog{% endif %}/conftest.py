import anyio
import pytest
from httpx import AsyncClient

from tests.blog.factories import create_author, post_data


@pytest.fixture
async def cancelled_requests(committing_client: AsyncClient) -> int:
    """Requests to create posts, cancelled at different points; how many were cancelled.

    They stop while waiting for a connection, mid-query or mid-commit, like clients that
    disconnect or time out. anyio's cancellation, as Starlette uses it, also cancels every
    await made while cleaning up.
    """
    author = await create_author(committing_client)
    post = post_data(author["id"])
    cancelled = 0

    async def post_until(deadline: float) -> None:
        nonlocal cancelled
        with anyio.move_on_after(deadline) as scope:
            await committing_client.post("/api/v1/posts", json=post)
        cancelled += scope.cancelled_caught

    for deadline in (0, 0.001, 0.002, 0.005, 0.01):
        async with anyio.create_task_group() as group:
            for _ in range(20):
                group.start_soon(post_until, deadline)
    return cancelled
