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

from sim.analysis.outcomes import outcomes
from sim.calibration.observations import Observation
from sim.experiments.runner import run_seed, simulate
from sim.scenario.loading import with_overrides
from sim.scenario.schema import Scenario


def signed_log(x: float) -> float:
    return math.copysign(math.log1p(abs(x)), x)


def simulated(obs: Observation, row: Mapping[str, Any], horizon: float) -> Any:
    """The simulated value of an observable in one run's outcomes (a sum over its columns).

    A missing number — no ceasefire by the horizon — counts as the horizon.
    """
    values = [row[c] for c in obs.columns]
    if len(values) == 1 and (
        isinstance(values[0], bool) or not isinstance(values[0], int | float | np.number)
    ):
        return values[0]
    total = sum(
        horizon if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in values
    )
    return total


def excess(obs: Observation, value: Any) -> float:
    """Signed distance of a simulated value outside the observation (0 inside, ± on the log scale)."""
    if isinstance(obs.value, tuple):
        low, high = (signed_log(v) for v in obs.value)
        x = signed_log(float(value))
        return x - high if x > high else (x - low if x < low else 0.0)
    if isinstance(obs.value, bool):
        seen = bool(value) if isinstance(value, bool | np.bool_) else float(value) > 0
        return float(seen != obs.value)
    return float(str(value) != obs.value)


def inside(obs: Observation, value: Any) -> bool:
    return excess(obs, value) == 0.0


class Simulator:
    """The model as pyabc sees it: parameters in, one summary statistic per observable out.

    Each call draws its base seed from numpy's global generator, which the sampler seeds from
    (calibration seed, generation, proposal index) before the proposal is drawn; each run's seed
    then derives from that base and (crisis, replicate) with SeedSequence.
    """

    def __init__(self, crises: Mapping[str, Scenario], observations: list[Observation], replicates: int):
        self.crises = dict(crises)
        self.observations = observations
        self.replicates = replicates

    def __call__(self, params: Mapping[str, float]) -> dict[str, float]:
        base = int(np.random.randint(0, 2**62, dtype=np.int64))
        return self.summaries(self.outcomes(params, base))

    def outcomes(self, params: Mapping[str, float], base: int) -> dict[str, list[dict]]:
        """Each crisis's replicate outcome rows at these parameter values."""
        rows: dict[str, list[dict]] = {}
        values = {k: float(v) for k, v in params.items()}
        for c, (name, scenario) in enumerate(self.crises.items()):
            variant = with_overrides(scenario, values, "calibration parameters")
            rows[name] = [outcomes(simulate(variant, run_seed(base, c, r))) for r in range(self.replicates)]
        return rows

    def summaries(self, rows: Mapping[str, list[dict]]) -> dict[str, float]:
        out = {}
        for obs in self.observations:
            horizon = self.crises[obs.crisis].horizon_hours
            out[obs.key] = float(
                np.mean([abs(excess(obs, simulated(obs, row, horizon))) for row in rows[obs.crisis]])
            )
        return out
