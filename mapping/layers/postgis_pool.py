"""Connections to a PostGIS store's server, shared by every store object of the process: one
psycopg_pool ``ConnectionPool`` per URL, made at the first use of the URL and closed at exit.

An app server with many sessions thus holds a few connections (``MIN_SIZE`` to ``MAX_SIZE``)
instead of opening one per read. A connection goes back to the pool clean: its transaction
committed, or rolled back on error (the pool rolls back whatever is left open, ending any
transaction-level advisory lock with it), and a connection the server has closed (a restart)
is found at the next use and replaced.

Waiting for a connection is bounded by the URL's ``connect_timeout`` (seconds; ``DEFAULT_TIMEOUT``
when it has none). When the server cannot be reached, the error is the server's or the
network's own reason (``psycopg.OperationalError``), found by connecting once outside the pool:
at the first use of the URL (so a wrong password or a stopped server is told at once), and when
the pool gave no connection in time (the pool is then dropped, and made anew at the next use).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

MIN_SIZE = 1  # connections kept open per URL, even when idle
MAX_SIZE = 10  # connections at most per URL; more callers at once wait for one
DEFAULT_TIMEOUT = 20.0  # seconds to wait for a connection when the URL sets no connect_timeout

_pools: dict[str, ConnectionPool] = {}
_lock = threading.Lock()

# The pool's workers log each failed attempt to reconnect; the store's error tells the user
# (in their language), so these go only where the application sends its logs, never straight
# to the terminal through logging's last-resort handler.
logging.getLogger("psycopg.pool").addHandler(logging.NullHandler())


def _timeout_of(url: str) -> float:
    """The URL's ``connect_timeout`` in seconds (``DEFAULT_TIMEOUT`` when absent or 0)."""
    return float(conninfo_to_dict(url).get("connect_timeout") or 0) or DEFAULT_TIMEOUT


@contextmanager
def connection(url: str) -> Iterator[psycopg.Connection]:
    """A connection to the database at ``url`` from the process's pool, in a transaction
    committed at the end (rolled back on error), then given back to the pool."""
    pool = _pool(url)
    try:
        conn = pool.getconn()
    except PoolTimeout:
        try:
            _reach(url)  # the server's reason, when it cannot be reached
        except psycopg.OperationalError:
            _drop(url, pool)
            raise
        raise  # it answers: every connection of the pool stayed busy
    try:
        with conn:
            yield conn
    finally:
        pool.putconn(conn)


def _pool(url: str) -> ConnectionPool:
    """The open pool of ``url``, made when there is none (after connecting once, which tells
    at once why the server cannot be reached, if it cannot). No lock is held while connecting:
    callers waiting on a slow server wait together, not one after another."""
    with _lock:
        pool = _pools.get(url)
    if pool is not None:
        return pool
    _reach(url)
    timeout = _timeout_of(url)
    made = ConnectionPool(url, min_size=MIN_SIZE, max_size=MAX_SIZE, open=False, timeout=timeout,
                          kwargs={"connect_timeout": _whole_seconds(timeout)},
                          check=ConnectionPool.check_connection)
    made.open(wait=True, timeout=timeout)  # its first connection, before a second is asked for
    with _lock:
        pool = _pools.setdefault(url, made)
    if pool is not made:  # another caller made one meanwhile: theirs is kept
        made.close()
    return pool


def _reach(url: str) -> None:
    """Connect to ``url`` once, outside any pool: ``psycopg.OperationalError`` saying why the
    server cannot be reached, if it cannot."""
    psycopg.connect(url, connect_timeout=_whole_seconds(_timeout_of(url))).close()


def _whole_seconds(timeout: float) -> int:
    """``timeout`` as libpq's ``connect_timeout``: whole seconds, at least 1 (0 waits forever)."""
    return max(1, round(timeout))


def _drop(url: str, pool: ConnectionPool) -> None:
    """Close ``pool`` and forget it as the pool of ``url`` (the next use makes a new one)."""
    with _lock:
        if _pools.get(url) is pool:
            del _pools[url]
    pool.close(timeout=0)


def close_all() -> None:
    """Close every pool of the process (its connections end; the next use makes a new pool)."""
    with _lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.close()


def _forget_parents_pools() -> None:
    """In a child process made by fork: its parent's connections are not its own to use nor to
    close (it makes its own), and the lock may have been held by a thread the child has not."""
    global _lock
    _pools.clear()
    _lock = threading.Lock()


atexit.register(close_all)
os.register_at_fork(after_in_child=_forget_parents_pools)
