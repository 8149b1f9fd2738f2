"""Start an app under uvicorn, wait until it answers `/health/live`, and always stop it."""

import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerFailed(RuntimeError):
    """The server exited, or never answered, before it was live; the message holds its log."""


@dataclass
class Server:
    name: str
    url: str
    process: "subprocess.Popen[bytes]"
    log: Path

    def client(self, timeout: float = 10) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout)

    def wait_until_live(self, timeout: float = 60) -> None:
        """Poll `/health/live` until it answers 200; fail with the log if it never does."""
        deadline = time.monotonic() + timeout
        with self.client(timeout=5) as client:
            while True:
                if self.process.poll() is not None:
                    raise ServerFailed(f"{self.name} exited:\n{self.log.read_text()}")
                try:
                    if client.get("/health/live").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise ServerFailed(f"{self.name} never answered:\n{self.log.read_text()}")
                time.sleep(0.2)

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM (uvicorn drains and closes its pool), then SIGKILL if it hangs."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def uvicorn(
    name: str,
    command: Sequence[str],
    target: str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    options: Sequence[str] = (),
    timeout: float = 60,
    stop_timeout: float = 30,
    own_session: bool = False,
) -> Iterator[Server]:
    """Serve `target` on a free port of 127.0.0.1 until the block is left.

    `command` is what runs uvicorn (`uv run --no-sync uvicorn`, or an environment's
    `python -m uvicorn`); its output goes to `<cwd>/<name>-<port>.log`. `own_session` puts
    the server in a session of its own, so that a Ctrl-C in the terminal reaches the caller
    only, which then stops the server itself.
    """
    port = free_port()
    log = cwd / f"{name}-{port}.log"
    arguments = [*command, target, "--host", "127.0.0.1", "--port", str(port), *options]
    with log.open("wb") as output:
        process = subprocess.Popen(
            arguments,
            cwd=cwd,
            env=dict(env),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=own_session,
        )
    server = Server(name, f"http://127.0.0.1:{port}", process, log)
    try:
        server.wait_until_live(timeout)
        yield server
    finally:
        server.stop(stop_timeout)
