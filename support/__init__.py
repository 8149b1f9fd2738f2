"""What the template's tests and its benchmark kit both need, and nothing of either.

`tests/` and `bench/` import from here and never from each other: rendering the template
(`render`), the environment its tools run in (`environment`), a rendered project as a user
works in it (`project`), serving an app until it answers (`serve`), a real PostgreSQL
server (`postgres`), a PgBouncer in front of it (`pgbouncer`), database URLs (`urls`), the
round-trip counting proxy (`pg_proxy`) and reading a rendered project's pytest output
(`pytest_output`).

This file imports nothing: the kit's apps import `support.urls` inside a rendered
project's virtual environment, which has none of the template's dev dependencies.
"""
