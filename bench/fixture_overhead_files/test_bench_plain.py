import os

import pytest


@pytest.mark.parametrize("number", range(int(os.environ["BENCH_TESTS"])))
async def test_plain(number: int) -> None:
    assert number >= 0
