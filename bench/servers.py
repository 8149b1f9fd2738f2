"""Start the apps under uvicorn, wait until they answer, and always stop them."""

import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.project import free_port

REPO = Path(__file__).resolve().parents[1]


class ServerFailed(RuntimeError):
    pass


@dataclass
class Server:
    name: str
    url: str
    process: "subprocess.Popen[bytes]"
    log: Path

    def wait_until_live(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.url, timeout=5) as client:
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

    def stop(self) -> None:
        """SIGTERM (uvicorn drains and closes its pool), then SIGKILL if it hangs."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def uvicorn(
    name: str,
    python: Path,
    target: str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    options: tuple[str, ...] = (),
) -> Iterator[Server]:
    """Serve `target` with the rendered project's uvicorn, one worker, on a free port.

    The repository root is put on PYTHONPATH so that uvicorn can import the kit's apps; the
    rendered package is installed in that environment already.
    """
    port = free_port()
    log = cwd / f"{name}-{port}.log"
    command = [str(python), "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port)]
    environment = {**env, "PYTHONPATH": str(REPO)}
    with log.open("wb") as output:
        # A session of its own: a Ctrl-C in the terminal reaches the kit only, which then
        # stops each server in order instead of having them all die mid-request.
        process = subprocess.Popen(
            [*command, *options],
            cwd=cwd,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(name, f"http://127.0.0.1:{port}", process, log)
    try:
        server.wait_until_live()
        yield server
    finally:
        server.stop()
