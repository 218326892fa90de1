"""What every benchmark reports besides its timings: the machine it ran on and peak memory."""

from __future__ import annotations

import os
import platform
import resource


def machine() -> str:
    """E.g. ``machine: x86_64, 2 cores, Python 3.11.7``."""
    return f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time (user and system) of this process and of its children that have finished, so
    work handed to a forked process is counted too (`time.process_time` counts only this one)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def children_peak_rss_mb() -> float:
    """The largest peak resident memory of a finished child process, in MB (a forked child
    shares most of its pages with this process, so this overstates what it added)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
