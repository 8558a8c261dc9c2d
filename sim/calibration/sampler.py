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
from collections.abc import Callable

import cloudpickle
import numpy as np
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
        _loaded = (digest, cloudpickle.loads(payload))
    simulate_one = _loaded[1]
    particles = []
    for i in range(start, stop):
        np.random.seed(proposal_seed(seed, t, i))
        particles.append(simulate_one())
    return particles


class OrderedSampler(Sampler):
    """Evaluates proposals in parallel on an engine and accepts them in index order."""

    def __init__(self, eng: Engine, seed: int, chunk: int | None = None) -> None:
        super().__init__()
        self.eng, self.seed, self.chunk = eng, seed, chunk

    def sample_until_n_accepted(
        self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None
    ):
        payload = cloudpickle.dumps(simulate_one)
        chunk = self.chunk or max(1, math.ceil(n / (4 * self.eng.workers)))
        sample = self._create_empty_sample()
        pending: dict = {}  # future -> first index
        finished: dict[int, list] = {}  # first index -> particles
        submitted = cursor = accepted = evaluated = 0
        while accepted < n and evaluated < max_eval:
            while len(pending) < 2 * self.eng.workers and submitted < max_eval:
                future = self.eng.submit(evaluate, payload, self.seed, t, submitted, submitted + chunk)
                pending[future] = submitted
                submitted += chunk
            done, _ = self.eng.wait_first(set(pending))
            for future in done:
                finished[pending.pop(future)] = future.result()
            while cursor in finished and accepted < n and evaluated < max_eval:
                for particle in finished.pop(cursor):
                    if accepted == n or evaluated >= max_eval:
                        break
                    sample.append(particle)
                    evaluated += 1
                    accepted += bool(particle.accepted)
                cursor += chunk
        for future in pending:  # proposals past the n-th acceptance are not part of the population
            future.cancel()
        self.nr_evaluations_ = evaluated
        sample.ok = accepted == n
        return sample
