"""A pyabc sampler whose populations do not depend on workers, timing or interruptions.

pyabc's multicore samplers accept whichever particles finish first, so two runs with the same seed
differ. Here proposal ``i`` of generation ``t`` is evaluated with numpy's global generator seeded
from SeedSequence(seed, (t + 1, i)) — pyabc draws the proposal from it, and the model its run seeds
— in batches of consecutive indices on any of our engines (local processes or Dask); the
population is the first ``n`` accepted proposals in index order. The result is a pure function of
(seed, generation, the previous population), so a calibration resumed from its history continues
exactly as an uninterrupted one would. Numpy's global generator is per process: Dask workers must
run one thread each (``--nthreads 1``, as for sweeps).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable

import cloudpickle
import numpy as np
import threadpoolctl  # a dependency of pyabc (through scikit-learn)
from pyabc.sampler import Sampler

from sim.experiments.engines import Engine

_loaded: tuple[str, Callable] | None = None  # per worker: the generation's simulate function


def proposal_seed(seed: int, t: int, i: int) -> np.ndarray:
    return np.random.SeedSequence(seed, spawn_key=(t + 1, i)).generate_state(4)


def evaluate(payload: bytes, seed: int, t: int, start: int, stop: int) -> list:
    """Evaluate proposals ``start..stop-1`` of generation ``t`` (in a worker)."""
    global _loaded
    digest = hashlib.sha256(payload).hexdigest()
    if _loaded is None or _loaded[0] != digest:
        if _loaded is None:
            # one BLAS thread per worker: pyabc's kernel densities would otherwise start one thread
            # per core in every worker, and on a busy machine those spin against the other workers
            threadpoolctl.threadpool_limits(1)
        _loaded = (digest, cloudpickle.loads(payload))
    simulate_one = _loaded[1]
    particles = []
    for i in range(start, stop):
        np.random.seed(proposal_seed(seed, t, i))
        particles.append(simulate_one())
    return particles


class OrderedSampler(Sampler):
    """Evaluates proposals in parallel on an engine and accepts them in index order.

    A budget stops it inside a generation too: past ``deadline`` (``time.monotonic()``) or
    ``max_proposals`` evaluations, it returns an incomplete sample (``ok`` False), which pyabc
    does not store: the generations already in the history are kept, and the one in progress is
    redone from its start (same seeds, same result) when the calibration is resumed.
    """

    def __init__(self, eng: Engine, seed: int, chunk: int | None = None) -> None:
        super().__init__()
        self.eng, self.seed, self.chunk = eng, seed, chunk
        self.deadline = math.inf
        self.max_proposals = math.inf
        self.stopped_by: str | None = None  # why the last generation stopped incomplete

    def _over_budget(self) -> bool:
        if time.monotonic() >= self.deadline:
            self.stopped_by = "wall-clock budget"
            return True
        return False

    def sample_until_n_accepted(
        self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None
    ):
        self.stopped_by = None
        capped = self.max_proposals < max_eval
        if capped:
            max_eval = self.max_proposals
        payload = cloudpickle.dumps(simulate_one)
        base = self.chunk or max(1, math.ceil(n / (4 * self.eng.workers)))
        sample = self._create_empty_sample()
        pending: dict = {}  # future -> (first index, last index + 1)
        finished: dict[int, tuple[int, list]] = {}  # first index -> (last index + 1, particles)
        submitted = cursor = accepted = evaluated = 0
        seen = seen_accepted = 0  # every finished proposal, in order or not: the acceptance rate so far
        while accepted < n and evaluated < max_eval:
            if self._over_budget():
                break
            while len(pending) < 2 * self.eng.workers and submitted < max_eval:
                # Chunks shrink towards the end of a generation, so that few proposals past the
                # n-th acceptance are evaluated for nothing (the population does not depend on it).
                rate = (seen_accepted + 1) / (seen + 2)
                needed = (n - seen_accepted) / rate - (submitted - seen)
                chunk = int(min(base, max(1, math.ceil(needed / (2 * self.eng.workers)))))
                chunk = int(min(chunk, max_eval - submitted)) if math.isfinite(max_eval) else chunk
                future = self.eng.submit(evaluate, payload, self.seed, t, submitted, submitted + chunk)
                pending[future] = (submitted, submitted + chunk)
                submitted += chunk
            done, _ = self.eng.wait_first(set(pending))
            for future in done:
                first, last = pending.pop(future)
                particles = future.result()
                finished[first] = (last, particles)
                seen += len(particles)
                seen_accepted += sum(bool(p.accepted) for p in particles)
            while cursor in finished and accepted < n and evaluated < max_eval:
                last, particles = finished.pop(cursor)
                for particle in particles:
                    if accepted == n or evaluated >= max_eval:
                        break
                    sample.append(particle)
                    evaluated += 1
                    accepted += bool(particle.accepted)
                cursor = last
        for future in pending:  # proposals past the n-th acceptance are not part of the population
            future.cancel()
        self.nr_evaluations_ = evaluated
        sample.ok = accepted == n
        if not sample.ok and self.stopped_by is None:
            self.stopped_by = (
                "simulation budget"
                if capped
                else f"{evaluated:,} proposals without {n} acceptances (max_eval)"
            )
        return sample
