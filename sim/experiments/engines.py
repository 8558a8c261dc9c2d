"""Where batches of runs execute: this process, local worker processes, or a Dask cluster.

All three expose ``submit`` and ``wait_first``; ``stream`` keeps a bounded number of batches in
flight and yields each result as it completes, so the driver's memory does not grow with the
number of runs.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
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


class LocalProcesses:
    """A pool of local worker processes (forkserver: safe with threads, cheap to start)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["sim.experiments.runner"])  # imported once, not once per worker
        self.pool = ProcessPoolExecutor(workers, mp_context=context)

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
