"""A connection pool that serves the requests waiting for a connection in the order they came.

SQLAlchemy's async pool keeps free connections in an asyncio.Queue. When a connection comes
back, the queue wakes the longest waiter, but the connection stays in the queue until that
waiter runs again, and a request that arrives in between takes it. The waiter then queues
again at the back. Under load some requests lose that race over and over, and the slowest
requests wait far longer than the rest. Here a returned connection is handed to the oldest
waiter directly, so no newcomer can take it first.
"""

import asyncio
import time
from collections import deque
from contextvars import ContextVar
from typing import TypeVar

from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry, PoolProxiedConnection
from sqlalchemy.util import await_
from sqlalchemy.util.queue import Empty, Full, QueueCommon

T = TypeVar("T")

# When the checkout under way in this task began. SQLAlchemy runs the pool in a greenlet
# that shares the task's context, so code that opens a connection for it can read this.
_checkout_began: ContextVar[float | None] = ContextVar("checkout_began", default=None)


def seconds_into_checkout() -> float:
    """How long the checkout under way has taken so far: its wait for a free connection,
    say, before the pool opens a new one. 0 outside a checkout."""
    began = _checkout_began.get()
    return 0.0 if began is None else time.monotonic() - began


class HandOffQueue(QueueCommon[T]):
    """A queue of free connections that hands each one to the oldest waiter, if any."""

    def __init__(self, maxsize: int = 0, use_lifo: bool = False) -> None:
        self.maxsize = maxsize
        self.use_lifo = use_lifo
        self._items: deque[T] = deque()
        self._waiters: deque[asyncio.Future[T]] = deque()

    def empty(self) -> bool:
        return not self._items

    def full(self) -> bool:
        return 0 < self.maxsize <= len(self._items)

    def qsize(self) -> int:
        return len(self._items)

    def waiting(self) -> int:
        return len(self._waiters)

    def put_nowait(self, item: T) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(item)
                return
        if self.full():
            raise Full()
        self._items.append(item)

    def put(self, item: T, block: bool = True, timeout: float | None = None) -> None:
        # Never blocks: a pool never holds more connections than the queue's size.
        self.put_nowait(item)

    def get_nowait(self) -> T:
        if not self._items:
            raise Empty()
        return self._items.pop() if self.use_lifo else self._items.popleft()

    def get(self, block: bool = True, timeout: float | None = None) -> T:
        # Free connections are only ever kept while nobody waits, so taking one here
        # never jumps the queue.
        if self._items or not block:
            return self.get_nowait()
        # The pool calls this from synchronous code that SQLAlchemy runs in a greenlet:
        # await_ suspends it on the event loop until a connection is handed over.
        return await_(self._handed_over(within=timeout))

    async def _handed_over(self, within: float | None) -> T:
        waiter: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(within):
                return await waiter
        except BaseException as exc:
            if waiter.done() and not waiter.cancelled():
                # Timed out or cancelled just as a connection was handed over: pass it on.
                self.put_nowait(waiter.result())
            else:
                waiter.cancel()
                # A connection handed over since the wait ended has already taken this
                # waiter off the queue, and gone to the next one or back to the free ones.
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
            if isinstance(exc, TimeoutError):
                raise Empty() from None
            raise


class FairPool(AsyncAdaptedQueuePool):
    """SQLAlchemy's async pool (same arguments), with waits served first come, first served."""

    # Where the pool logs (invalidated and recycled connections, its disposal, checkouts at
    # DEBUG). SQLAlchemy names a pool's logger after its class's module, which here would
    # put these lines under the service's own loggers, at LOG_LEVEL. Under "sqlalchemy.pool"
    # they stay quiet below WARNING, as every SQLAlchemy pool's do, until that logger is
    # set lower: SQLAlchemy's documented switch for pool logging.
    _sqla_logger_namespace = "sqlalchemy.pool.FairPool"

    _queue_class = HandOffQueue[ConnectionPoolEntry]
    _pool: HandOffQueue[ConnectionPoolEntry]

    def waiting(self) -> int:
        """How many checkouts are waiting for a connection."""
        return self._pool.waiting()

    def connect(self) -> PoolProxiedConnection:
        # Handing out a connection may wait for the server (a pre-ping, a new connection's
        # set-up); the driver's timeout then raises a bare TimeoutError, which SQLAlchemy
        # does not wrap. Wrap it like any other failure to reach the database, so that it is
        # never mistaken for a timeout of the service's own code.
        began = _checkout_began.set(time.monotonic())
        try:
            return super().connect()
        except TimeoutError as exc:
            raise OperationalError("connect", None, exc) from exc
        finally:
            _checkout_began.reset(began)
