"""The numbers every app in a run shares, in one place so that the output can print them."""

# Database connections per app: the same budget for the async service, the limit app and the
# synchronous service. max_overflow=0 keeps it a hard cap.
POOL_SIZE = 10
MAX_OVERFLOW = 0
# The service's default (DATABASE_POOL_TIMEOUT): a request waits this long for a connection.
POOL_TIMEOUT_S = 30.0
# wrk gives up on a request after this long. Larger than the pool timeout, so a request that
# queues for a connection shows up as latency (or as a 503 from the pool) rather than as a
# client timeout.
WRK_TIMEOUT_S = 40
# One wrk thread: the apps, PostgreSQL and wrk share the machine's 2 cores, and a second wrk
# thread makes three busy threads for two cores, which the scheduler then keeps waiting in
# turn. At 64 connections, /health/live (no database) had a p99 of 21-23 ms with one thread
# and 181-219 ms with two by hand, 23 and 143 ms in a short run of the kit, where one thread
# also drove the limit app as fast (14,627 requests/s against 12,673). It does not remove
# the machine's own noise: the full run with one thread still saw that p99 between 24 and
# 173 ms from round to round.
WRK_THREADS = 1

# Threads that run the synchronous service's `def` routes: anyio's default limiter, which
# Starlette uses; the sync app sets it explicitly so the number is a fact of the run.
THREADPOOL_SIZE = 40

# How long the upstream stub takes to answer, and how long the slow query sleeps.
UPSTREAM_DELAY_S = 0.1
SLOW_QUERY_S = 0.01
# Connections the apps' HTTP clients may hold to the upstream: above any wrk connection
# count, so the client pool is never the bottleneck.
UPSTREAM_CLIENT_CONNECTIONS = 1024

# The PgBouncer rows: the service through PgBouncer (transaction mode, as many server
# connections as POOL_SIZE) with one worker and with this many, at one connection count.
PGBOUNCER_WORKERS = 2
PGBOUNCER_CONNECTIONS = 64

AUTHORS = 1_000
POSTS = 10_000


def budget() -> str:
    return (
        f"pool_size={POOL_SIZE}, max_overflow={MAX_OVERFLOW}, pool_timeout={POOL_TIMEOUT_S:g} s;"
        f" sync threadpool={THREADPOOL_SIZE}; wrk -t{WRK_THREADS} --timeout {WRK_TIMEOUT_S}s"
    )
