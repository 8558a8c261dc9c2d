"""Where batches of runs execute: this process, local worker processes, or a Dask cluster.

All three expose ``submit`` and ``wait_first``; ``stream`` keeps a bounded number of batches in
flight and yields each result as it completes, so the driver's memory does not grow with the
number of runs.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any, Protocol


class Engine(Protocol):
    workers: int

    def submit(self, fn: Callable, *args: Any) -> Any: ...
    def wait_first(self, pending: set) -> tuple[set, set]: ...
    def close(self) -> None: ...


class InProcess:
    """Runs each batch at once in this process (one worker)."""

    workers = 1

    def submit(self, fn: Callable, *args: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:  # surfaced by .result(), as for the pools
            future.set_exception(exc)
        return future

    def wait_first(self, pending: set) -> tuple[set, set]:
        return set(pending), set()

    def close(self) -> None:
        pass


WATCH_SECONDS = 0.5


def _die_with(driver: int) -> None:
    """Worker initializer: exit as soon as the driver is gone, even after ``kill -9`` (which runs no
    clean-up in the driver). A worker's parent is the forkserver, not the driver, so it watches the
    driver's pid; on Linux it also asks the kernel for SIGKILL when its parent dies."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG

    def watch() -> None:
        while alive(driver):
            time.sleep(WATCH_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="escsim-driver-watch", daemon=True).start()


def alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True


class LocalProcesses:
    """A pool of local worker processes (forkserver: safe with threads, cheap to start); workers
    exit when the driver dies."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["sim.experiments.runner"])  # imported once, not once per worker
        self.pool = ProcessPoolExecutor(
            workers, mp_context=context, initializer=_die_with, initargs=(os.getpid(),)
        )

    def submit(self, fn: Callable, *args: Any) -> Future:
        return self.pool.submit(fn, *args)

    def wait_first(self, pending: set) -> tuple[set, set]:
        done, rest = wait(pending, return_when=FIRST_COMPLETED)
        return set(done), set(rest)

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)


class DaskCluster:
    """An existing Dask scheduler (``tcp://host:8786``) or a LocalCluster of ``local`` workers."""

    def __init__(self, address: str | None = None, local: int | None = None) -> None:
        from distributed import Client, LocalCluster

        self.cluster = None
        if address is None:
            self.cluster = LocalCluster(
                n_workers=local or 1, threads_per_worker=1, processes=True, dashboard_address=None
            )
            address = self.cluster
        self.client = Client(address, timeout="15s")

    @property
    def workers(self) -> int:
        """Threads on the cluster now: workers that join later get work too."""
        return max(1, sum(self.client.nthreads().values()))

    def submit(self, fn: Callable, *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False)

    def wait_first(self, pending: set) -> tuple[set, set]:
        from distributed import wait as dask_wait

        done, rest = dask_wait(list(pending), return_when="FIRST_COMPLETED")
        return set(done), set(rest)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def engine(workers: int = 1, scheduler: str | None = None, dask_local: int | None = None) -> Engine:
    if scheduler is not None or dask_local is not None:
        return DaskCluster(scheduler, dask_local)
    return InProcess() if workers <= 1 else LocalProcesses(workers)


def stream(
    eng: Engine, fn: Callable, batches: Iterable[Any], *shared: Any, in_flight: int | None = None
) -> Iterator[Any]:
    """Yield ``fn(*shared, batch)`` for every batch as it completes, at most ``in_flight`` at once."""
    pending: set = set()
    batches = iter(batches)
    while True:
        limit = in_flight or 2 * eng.workers
        for batch in batches:
            pending.add(eng.submit(fn, *shared, batch))
            if len(pending) >= limit:
                break
        if not pending:
            return
        done, pending = eng.wait_first(pending)
        for future in done:
            yield future.result()
