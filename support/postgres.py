"""A real PostgreSQL server for the template's tests; never a mock."""

import os
import re
from dataclasses import dataclass
from uuid import uuid4

import psycopg
from psycopg import sql

from support import urls

ADMIN_URL = os.environ.get("POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

UNREACHABLE = """\
PostgreSQL is not reachable at {url}: {error}
Start a server, or set POSTGRES_URL to an admin URL of one
(e.g. postgresql://postgres@127.0.0.1:5432/postgres).
To run without the PostgreSQL cases on purpose, deselect them: pytest -m "not postgres"."""

# The prefix of every run's databases (see PostgresServer.at): each run drops its own.
RUN_PREFIX = re.compile(r"tpl_[0-9a-f]{8}_")

LEFT_BEHIND = """\
The run left databases on the server outside its prefix ({prefix}_), so no run drops them:
{names}
Something the tests started created them under a fixed name (a generated test suite,
most likely, under a name of its own choosing): give it a name under the prefix, as the
other tests do. They are left in place, in case something else on this server made them
while the tests ran; if so, run again."""


@dataclass
class PostgresServer:
    """Creates uniquely named databases for one test run, and drops them all afterwards."""

    admin_url: str
    prefix: str

    @classmethod
    def at(cls, admin_url: str = ADMIN_URL) -> "PostgresServer":
        with psycopg.connect(admin_url, connect_timeout=5):
            pass
        return cls(admin_url, prefix=f"tpl_{uuid4().hex[:8]}")

    def connect(self, database: str | None = None) -> psycopg.Connection[tuple[object, ...]]:
        """An autocommit admin connection, to `database` or to the admin database."""
        url = urls.rewrite(self.admin_url, database=database)
        return psycopg.connect(url, autocommit=True)

    def _execute(self, statement: sql.Composable) -> list[tuple[object, ...]]:
        with self.connect() as connection:
            cursor = connection.execute(statement)
            return cursor.fetchall() if cursor.description else []

    def sessions(self, database: str) -> list[tuple[int, str]]:
        """(pid, state) of every client connected to `database`, other than this one."""
        rows = self._execute(
            sql.SQL(
                "SELECT pid, coalesce(state, '') FROM pg_stat_activity"
                " WHERE datname = {} AND pid <> pg_backend_pid()"
                " AND backend_type = 'client backend'"
            ).format(sql.Literal(database))
        )
        return [(int(str(pid)), str(state)) for pid, state in rows]

    def terminate_sessions(self, database: str) -> int:
        rows = self._execute(
            sql.SQL(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = {} AND pid <> pg_backend_pid()"
            ).format(sql.Literal(database))
        )
        return len(rows)

    def drop_database(self, name: str) -> None:
        self._execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) of the server, for something that must connect to it by TCP."""
        return urls.address(self.admin_url)

    def service_url(self, database: str) -> str:
        """The URL a generated service uses for `database` (asyncpg driver)."""
        return urls.rewrite(self.admin_url, scheme="postgresql+asyncpg", database=database)

    def create_database(self, suffix: str) -> str:
        """A new database named with this run's prefix; returns its name."""
        name = f"{self.prefix}_{suffix}"
        self.create_database_named(name)
        return name

    def create_database_named(self, name: str) -> None:
        self._execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def all_databases(self) -> set[str]:
        """Every database on the server, this run's or not."""
        return {str(row[0]) for row in self._execute(sql.SQL("SELECT datname FROM pg_database"))}

    def databases(self) -> list[str]:
        rows = self._execute(
            sql.SQL("SELECT datname FROM pg_database WHERE datname LIKE {}").format(
                sql.Literal(f"{self.prefix}\\_%")
            )
        )
        return [str(row[0]) for row in rows]

    def drop_all(self) -> None:
        for name in self.databases():
            self.drop_database(name)

    def left_behind(self, before: set[str]) -> set[str]:
        """Databases made since `before` (the names then) that no run will drop."""
        return {name for name in self.all_databases() - before if not RUN_PREFIX.match(name)}
