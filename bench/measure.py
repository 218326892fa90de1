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
