"""A worker's memory: kept flat over a long run, and written down as it works.

The worker bootstrap (shared/mesh/worker.py `setup_worker`) calls `limit_arenas()` and adds
`ReleaseFreeMemory`: glibc gives each new thread's allocations an arena of their own (up to 8
per core) and keeps what is freed in each; a worker's threads (Dramatiq's, the outbox relay,
the periodic jobs, Redis heartbeats) then hold tens of MiB of free memory that only grows over
hours (the long soak measured it: docs/GUARANTEES.md "Memory"). Two arenas and a
`malloc_trim` every `TRIM_EVERY` messages keep the RSS at what is in use.

The diagnostic (off unless asked for):

`HUIFANG_MEMORY_LOG=<file>` in a worker's environment appends one JSON line to `<file>.<pid>`
every `HUIFANG_MEMORY_EVERY` messages (default 2000): the process's RSS, what SQLite's own
allocator holds (its page caches: C memory Python does not see), what glibc's malloc holds in
use and free (free but kept is fragmentation), and with `HUIFANG_TRACEMALLOC=1` what Python
objects hold (tracemalloc), plus a snapshot file per line to compare by source line
(`python -m shared.mesh.memory compare A.snap B.snap`). Used to find why a worker's RSS grew
over the long soak (docs/GUARANTEES.md "Memory"); read only from the environment, so it is
not a setting of an installation.
"""
from __future__ import annotations

import ctypes
import functools
import json
import os
import sys
import threading
import time

from dramatiq.middleware import Middleware


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


@functools.cache
def _libc():
    """glibc, or None (another C library: nothing to tune)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        return libc
    except (OSError, AttributeError):
        return None


@functools.cache
def _sqlite():
    try:
        import _sqlite3

        lib = ctypes.CDLL(_sqlite3.__file__)
        lib.sqlite3_memory_used.restype = ctypes.c_int64
        lib.sqlite3_memory_highwater.restype = ctypes.c_int64
        lib.sqlite3_memory_highwater.argtypes = [ctypes.c_int]
        return lib
    except (OSError, AttributeError, ImportError):
        return None


def status_kb(field: str, pid: str = "self") -> int:
    with open(f"/proc/{pid}/status") as file:
        for line in file:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def sample() -> dict:
    """Gives the process's memory now, by holder (KiB)."""
    out = {"rss_kb": status_kb("VmRSS"), "hwm_kb": status_kb("VmHWM"), "threads": threading.active_count()}
    lib = _sqlite()
    if lib is not None:
        out["sqlite_kb"] = lib.sqlite3_memory_used() // 1024
        out["sqlite_peak_kb"] = lib.sqlite3_memory_highwater(0) // 1024
    libc = _libc()
    if libc is not None:
        info = libc.mallinfo2()
        out["malloc_in_use_kb"] = (info.uordblks + info.hblkhd) // 1024
        out["malloc_free_kb"] = info.fordblks // 1024
        out["malloc_mmap_kb"] = info.hblkhd // 1024
    import tracemalloc

    if tracemalloc.is_tracing():
        out["python_kb"] = tracemalloc.get_traced_memory()[0] // 1024
    return out


#: glibc's `mallopt` parameter of the number of arenas (malloc.h M_ARENA_MAX).
M_ARENA_MAX = -8
#: The arenas a worker process allocates from (an operator's MALLOC_ARENA_MAX wins).
WORKER_MALLOC_ARENAS = 2
#: Messages between two `malloc_trim(0)` of a worker process (a few ms each on a worker's heap).
TRIM_EVERY = 1000


def limit_arenas(arenas: int = WORKER_MALLOC_ARENAS) -> bool:
    """Limits glibc's malloc to `arenas` arenas for this process (before its threads start);
    gives whether it did (not on another C library, nor when MALLOC_ARENA_MAX is set)."""
    libc = _libc()
    if libc is None or os.environ.get("MALLOC_ARENA_MAX"):
        return False
    return bool(libc.mallopt(M_ARENA_MAX, arenas))


def release_free_memory() -> bool:
    """Gives the free memory glibc's malloc holds back to the system (`malloc_trim(0)`)."""
    libc = _libc()
    return bool(libc is not None and libc.malloc_trim(0))


class ReleaseFreeMemory(Middleware):
    """Calls `release_free_memory()` after every `every` messages the worker process finished."""

    def __init__(self, every: int = TRIM_EVERY):
        self.every = every
        self.count = 0
        self.lock = threading.Lock()

    def after_process_message(self, broker, message, *, result=None, exception=None):
        with self.lock:
            self.count += 1
            due = self.count % self.every == 0
        if due:
            release_free_memory()

    def after_skip_message(self, broker, message):
        self.after_process_message(broker, message)


class MemoryWatch(Middleware):
    """Writes `sample()` every `every` messages the worker process finishes."""

    def __init__(self, path: str, every: int = 2000, trace: bool = False):
        self.path, self.every, self.trace = path, every, trace
        self.count = 0
        self.lock = threading.Lock()

    def after_process_boot(self, broker):
        if self.trace:
            import tracemalloc

            tracemalloc.start(int(os.environ.get("HUIFANG_TRACEMALLOC_FRAMES", "1")))
        self.write()

    def after_process_message(self, broker, message, *, result=None, exception=None):
        with self.lock:
            self.count += 1
            count = self.count
        if count % self.every == 0:
            self.write(count)

    def after_skip_message(self, broker, message):
        self.after_process_message(broker, message)

    def write(self, count: int = 0):
        line = {"messages": count, "at": round(time.time(), 1), **sample()}
        base = f"{self.path}.{os.getpid()}"
        if self.trace:
            import tracemalloc

            snapshot = tracemalloc.take_snapshot().filter_traces(
                [tracemalloc.Filter(False, tracemalloc.__file__)])
            snapshot.dump(f"{base}.{count}.snap")
        with open(base, "a") as file:
            file.write(json.dumps(line) + "\n")


def from_environment() -> MemoryWatch | None:
    path = os.environ.get("HUIFANG_MEMORY_LOG")
    if not path:
        return None
    return MemoryWatch(path, every=int(os.environ.get("HUIFANG_MEMORY_EVERY", "2000")),
                       trace=os.environ.get("HUIFANG_TRACEMALLOC") == "1")


def compare(first: str, second: str, top: int = 25) -> None:
    """Prints the source lines whose Python memory grew most from one snapshot to the other."""
    import tracemalloc

    old, new = tracemalloc.Snapshot.load(first), tracemalloc.Snapshot.load(second)
    for stat in new.compare_to(old, "lineno")[:top]:
        print(stat)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit("usage: python -m shared.mesh.memory compare OLD.snap NEW.snap")
