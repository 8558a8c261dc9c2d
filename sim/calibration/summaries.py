"""Summary statistics: how far a simulated crisis lies from what was reported, observable by observable.

Numbers are compared on a signed log scale (``sign(x)·log(1 + |x|)``): reported casualty and
displacement figures are rough to a factor, not to a unit, and the scale works at zero. An interval
observation costs nothing inside the interval and the log-distance to its nearer end outside; a
point is an interval of zero width. A category or a yes/no costs 0 when it matches and 1 when not
(about the cost of a factor e on a number). Each statistic is the mean over a particle's
replicates, so the observed summary is 0 for every observable.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.observed import values_of
from sim.analysis.outcomes import outcomes
from sim.calibration.config import Bounded
from sim.calibration.observations import Observation
from sim.experiments.runner import run_seed, simulate
from sim.scenario.loading import with_overrides
from sim.scenario.schema import Scenario


def signed_log(x: float) -> float:
    return math.copysign(math.log1p(abs(x)), x)


def excess(obs: Observation, value: Any) -> float:
    """Signed distance of a simulated value outside the observation (0 inside, ± on the log scale)."""
    if isinstance(obs.value, tuple):
        if value is None or pd.isna(value):  # a failed run
            return math.inf
        low, high = (signed_log(v) for v in obs.value)
        x = signed_log(float(value))
        return x - high if x > high else (x - low if x < low else 0.0)
    if isinstance(obs.value, bool):
        seen = bool(value) if isinstance(value, bool | np.bool_) else float(value) > 0
        return float(seen != obs.value)
    wanted = obs.value if isinstance(obs.value, frozenset) else {obs.value}
    return float(str(value) not in wanted)


def inside(obs: Observation, value: Any) -> bool:
    return excess(obs, value) == 0.0


class Simulator:
    """The model as pyabc sees it: parameters in, one summary statistic per observable out.

    Each call draws its base seed from numpy's global generator, which the sampler seeds from
    (calibration seed, generation, proposal index) before the proposal is drawn; each run's seed
    then derives from that base and (crisis, replicate) with SeedSequence.
    """

    def __init__(
        self,
        crises: Mapping[str, Scenario],
        observations: list[Observation],
        replicates: int,
        priors: tuple[Bounded, ...] = (),
    ):
        self.crises = dict(crises)
        self.observations = observations
        self.replicates = replicates
        self.priors = priors

    def __call__(self, params: Mapping[str, float]) -> dict[str, float]:
        """pyabc's entry: its parameter values (log10 for log-uniform ones) to summaries."""
        base = int(np.random.randint(0, 2**62, dtype=np.int64))
        values = {p.key: float(p.natural(params[p.name])) for p in self.priors}
        return self.summaries(self.outcomes(values, base))

    def outcomes(self, params: Mapping[str, float], base: int) -> dict[str, list[dict]]:
        """Each crisis's replicate outcome rows at these parameter values."""
        rows: dict[str, list[dict]] = {}
        values = {k: float(v) for k, v in params.items()}
        for c, (name, scenario) in enumerate(self.crises.items()):
            variant = with_overrides(scenario, values, "calibration parameters")
            rows[name] = [outcomes(simulate(variant, run_seed(base, c, r))) for r in range(self.replicates)]
        return rows

    def summaries(self, rows: Mapping[str, list[dict]]) -> dict[str, float]:
        frames = {name: pd.DataFrame(runs) for name, runs in rows.items()}
        return {
            obs.key: float(np.mean([abs(excess(obs, v)) for v in simulated(obs, frames, self.crises)]))
            for obs in self.observations
        }


def simulated(obs: Observation, frames: Mapping[str, pd.DataFrame], crises: Mapping[str, Scenario]) -> list:
    """The observable's value in each run of its crisis (see ``sim.analysis.observed.values_of``)."""
    return list(values_of(frames[obs.crisis], obs.column, crises[obs.crisis]))
