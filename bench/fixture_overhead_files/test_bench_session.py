import os

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


@pytest.mark.parametrize("number", range(int(os.environ["BENCH_TESTS"])))
async def test_session(number: int, session: AsyncSession) -> None:
    assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
