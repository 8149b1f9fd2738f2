"""A served service refuses an oversize body before it reads it: its memory does not grow."""

import select
import socket
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from support.project import Project

# What the client offers to send: 200 MiB, against the service's default limit of 1 MiB.
OFFERED = 200 * 2**20
CHUNK = 2**20


def descendants(pid: int) -> list[int]:
    children = [
        int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    ]
    return children + [grandchild for child in children for grandchild in descendants(child)]


def uvicorn_pid(launcher: int) -> int:
    """The uvicorn process: `uv run` itself where it execs uvicorn, else its child."""
    processes = [launcher, *descendants(launcher)]
    return [pid for pid in processes if b"uvicorn" in Path(f"/proc/{pid}/cmdline").read_bytes()][-1]


def peak_memory_kib(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmHWM for process {pid}")


def offer_body(url: str, headers: bytes, frame: Callable[[bytes], bytes]) -> tuple[bytes, int]:
    """POST an author whose body would be OFFERED bytes; stop sending once the server has
    answered or stopped reading. Returns the response's first bytes and how much was sent."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        sock.settimeout(10)
        sock.sendall(b"POST /api/v1/authors HTTP/1.1\r\nHost: test\r\n" + headers + b"\r\n")
        sent = 0
        try:
            while sent < OFFERED and not select.select([sock], [], [], 0)[0]:
                sock.sendall(frame(b"x" * CHUNK))
                sent += CHUNK
        except OSError:
            pass  # the server answered and closed, or stopped reading: both are the point
        return sock.recv(65536), sent


@pytest.mark.parametrize(
    ("headers", "frame"),
    [
        (b"Content-Length: %d\r\n" % OFFERED, lambda chunk: chunk),
        (b"Transfer-Encoding: chunked\r\n", lambda chunk: b"%x\r\n%s\r\n" % (len(chunk), chunk)),
    ],
    ids=["content-length", "chunked"],
)
def test_an_oversize_body_is_refused_without_memory_growth(
    rendered: Callable[..., Path],
    headers: bytes,
    frame: Callable[[bytes], bytes],
) -> None:
    project = Project.at(rendered())
    project.sync()
    project.uv_run("alembic", "upgrade", "head")

    with project.start() as server:
        pid = uvicorn_pid(server.process.pid)
        with server.client() as client:
            assert client.get("/api/v1/authors").status_code == 200
        before = peak_memory_kib(pid)
        response, sent = offer_body(
            server.url, b"Content-Type: application/json\r\n" + headers, frame
        )
        after = peak_memory_kib(pid)

    assert response.startswith(b"HTTP/1.1 413 ")
    assert sent < OFFERED
    # Nothing like the body was held: the peak grew by less than the limit's few MiB.
    assert after - before < 16 * 1024
