"""A PgBouncer of the tests' own, in transaction mode in front of the test PostgreSQL.

Never the system's service: each instance writes its configuration into a directory of its
own, listens on a free port of 127.0.0.1 and is stopped when the block that started it ends.
`ignore_startup_parameters` stays empty, as PgBouncer ships it, so a client that sends a
startup parameter PgBouncer does not know (`statement_timeout`) is refused, as it would be
in production.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from support import debian, urls
from support.serve import free_port

CONFIG = """\
[databases]
* = host={host} port={port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen_port}
unix_socket_dir =
auth_type = trust
auth_file = {directory}/userlist.txt
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 1000
ignore_startup_parameters =
{user}"""

# Debian installs pgbouncer outside a normal user's PATH.
EXECUTABLE_DIRS = ("/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin")


def executable() -> str:
    """The pgbouncer program (.ci/run installs it for the tests)."""
    found = debian.program("pgbouncer", EXECUTABLE_DIRS)
    if found is None:
        raise RuntimeError("pgbouncer is not installed (Debian: apt-get install pgbouncer)")
    return found


def ensure_installed() -> str:
    """The pgbouncer program, installing Debian's package first if it is missing."""
    return debian.ensure_installed("pgbouncer", "pgbouncer", EXECUTABLE_DIRS)


@dataclass
class PgBouncer:
    """A running PgBouncer: where it listens, its log, and a way to restart it."""

    directory: Path
    port: int
    pool_size: int
    process: "subprocess.Popen[bytes] | None" = None

    @property
    def log(self) -> Path:
        return self.directory / "pgbouncer.log"

    def url(self, server_url: str, database: str | None = None) -> str:
        """`server_url` (of PostgreSQL), or that URL for `database`, through this PgBouncer."""
        return urls.rewrite(server_url, address=("127.0.0.1", self.port), database=database)

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [executable(), str(self.directory / "pgbouncer.ini")],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 10
        while not self._listening():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"PgBouncer did not start:\n{self.log.read_text()}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Shut down at once (SIGTERM): every client and server connection is dropped."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def _listening(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
        except OSError:
            return False
        return True


@contextmanager
def pgbouncer(server_url: str, *, pool_size: int) -> Iterator[PgBouncer]:
    """PgBouncer in front of the PostgreSQL of `server_url` (an admin URL, whose user and
    password it logs in with), at most `pool_size` server connections per database and
    user, until the block is left."""
    # Not under pytest's temporary directory: PgBouncer refuses to run as root, so as root
    # it is told to become `nobody`, who must be able to read its files.
    directory = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    directory.chmod(0o755)
    host, port = urls.address(server_url)
    parts = urlsplit(server_url)
    as_root = os.geteuid() == 0
    bouncer = PgBouncer(directory, free_port(), pool_size)
    # Clients are let in without a password (auth_type trust); the server may ask for one.
    user, password = unquote(parts.username or "postgres"), unquote(parts.password or "")
    (directory / "userlist.txt").write_text(f'"{user}" "{password}"\n')
    (directory / "userlist.txt").chmod(0o644)
    (directory / "pgbouncer.ini").write_text(
        CONFIG.format(
            host=host,
            port=port,
            listen_port=bouncer.port,
            directory=directory,
            pool_size=pool_size,
            user="user = nobody\n" if as_root else "",
        )
    )
    try:
        bouncer.start()
        yield bouncer
    finally:
        bouncer.stop()
        shutil.rmtree(directory, ignore_errors=True)
