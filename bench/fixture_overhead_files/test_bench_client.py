import os

import pytest
from httpx import AsyncClient


@pytest.mark.parametrize("number", range(int(os.environ["BENCH_TESTS"])))
async def test_client(number: int, client: AsyncClient) -> None:
    assert (await client.get("/health/live")).status_code == 200
