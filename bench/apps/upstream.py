"""A stand-in for a slow upstream service: answers every request after a fixed delay.

Pure ASGI under uvicorn: a waiting request is one sleeping coroutine, so thousands of
concurrent waits cost next to nothing and the stub is never what the benchmark measures.
"""

import asyncio
from typing import Any

from bench.config import UPSTREAM_DELAY_S

BODY = b'{"ok":true}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    # Served with --lifespan off: only HTTP requests arrive here.
    if scope["path"] != "/health/live":
        await asyncio.sleep(UPSTREAM_DELAY_S)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
