"""What every benchmark reports besides its timings: the machine it ran on and peak memory."""

from __future__ import annotations

import contextlib
import itertools
import os
import platform
import resource
import sys
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit


def machine() -> str:
    """E.g. ``machine: x86_64, 2 cores, Python 3.11.7``."""
    return f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextlib.contextmanager
def fresh_stores(db: str) -> Iterator[Callable[[Path], Path | str]]:
    """`--db` of a benchmark: yields `fresh(folder)`, a new empty store for each round.

    `sqlite` (the default): a file in the round's folder. `postgresql`: a throwaway server
    started here (tests/helpers_pg.py, with PostgreSQL's default durability: every commit
    flushed to disk), a new database each round. A `postgresql://` URL: that server, on
    which the login may create databases; one is created per round (`pmo_bench_<n>`).
    """
    if db == "sqlite":
        yield lambda folder: Path(folder) / "pmo.db"
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from helpers_pg import PgCluster

    if db == "postgresql":
        cluster = PgCluster(fast=False).start()
        try:
            yield lambda folder: cluster.new_database()
        finally:
            cluster.stop()
        return
    import psycopg

    parts, names = urlsplit(db), itertools.count(1)

    def fresh(folder: Path) -> str:
        name = f"pmo_bench_{os.getpid()}_{next(names)}"
        with psycopg.connect(db, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        return urlunsplit(parts._replace(path=f"/{name}"))

    yield fresh


def cpu_seconds() -> float:
    """CPU time (user and system) of this process and of its children that have finished, so
    work handed to a forked process is counted too (`time.process_time` counts only this one)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def children_peak_rss_mb() -> float:
    """The largest peak resident memory of a finished child process, in MB (a forked child
    shares most of its pages with this process, so this overstates what it added)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
