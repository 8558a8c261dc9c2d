"""What-ifs under parameter uncertainty: each run's calibrated parameters drawn from a posterior.

The draw for a run is seeded by the ensemble seed and the run's identity (its own stream, apart
from the model's), so results are reproducible, and paired across what-ifs: run ``i`` of the
baseline and run ``i`` of a what-if use the same parameter values.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from sim.scenario.loading import ScenarioError

SALT = 0x5EED_CA11  # keeps the draw's stream apart from the run's own seed


class Posterior:
    def __init__(self, frame: pd.DataFrame, source: str = "", name: str = "") -> None:
        self.keys = [c for c in frame.columns if c not in ("weight", "generation")]
        self.values = frame[self.keys].to_numpy(dtype=float)
        self.weights = frame["weight"].to_numpy(dtype=float) / frame["weight"].sum()
        self.source = source
        self.name = name  # the calibration's, for the default results folder of runs drawn from it
        digest = hashlib.sha256(np.ascontiguousarray(self.values).tobytes())
        digest.update(np.ascontiguousarray(self.weights).tobytes())
        self.digest = digest.hexdigest()[:16]  # a resumed folder must draw from the same posterior

    def without(self, keys) -> Posterior:
        """The posterior of the other parameters (the marginal: same particles and weights)."""
        drop = set(keys) & set(self.keys)
        if not drop:
            return self
        frame = pd.DataFrame(self.values, columns=self.keys).drop(columns=sorted(drop))
        frame["weight"] = self.weights
        return Posterior(frame, self.source, self.name)

    @classmethod
    def load(cls, folder: str | Path) -> Posterior:
        """From a calibration folder (``escsim calibrate --out``) or its ``posterior/`` subfolder."""
        folder = Path(folder)
        for path in (folder / "posterior" / "posterior.parquet", folder / "posterior.parquet"):
            if path.is_file():
                name = path.parent.parent.resolve().name.removeprefix("calibration-")
                return cls(pd.read_parquet(path), str(folder), name)
        raise ScenarioError(
            f"--posterior {folder}: no posterior.parquet (expected a folder of escsim calibrate)"
        )

    def draw(self, seed: int, key: tuple[int, ...]) -> dict[str, float]:
        """The parameter values of run ``key`` of an ensemble seeded with ``seed``."""
        rng = np.random.default_rng(np.random.SeedSequence([seed, SALT], spawn_key=key))
        row = self.values[rng.choice(len(self.values), p=self.weights)]
        return dict(zip(self.keys, map(float, row), strict=True))


def draw(posterior: Posterior | None, seed: int, key: tuple[int, ...]) -> dict[str, float]:
    """Overrides for one run: nothing without a posterior."""
    return {} if posterior is None else posterior.draw(seed, key)
