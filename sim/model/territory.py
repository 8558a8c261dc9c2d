"""Territory: who controls how many km² of each sector, and how a ground offensive changes it.

Control is kept as km² per state in every sector, so territory is conserved by construction: what
one side takes, the other loses. Ground changes hands only at the ground-offensive rung, by the
local force ratio (the attacker needs a surplus over a ratio scaled by terrain; cf. the 3:1 rule,
Mearsheimer 1989, and its critics, Epstein 1989).
"""

from __future__ import annotations

import numpy as np


def capture_km2(
    rng: np.random.Generator,
    force_ratio: float,
    required_ratio: float,
    defensibility: float,
    km2_per_hour: float,
    available_km2: float,
) -> float:
    """Ground taken in one hour: nothing below the required ratio, then an exponential draw whose
    mean rises with the surplus (capped at 3× so a rout does not swallow a sector in an hour)."""
    needed = required_ratio * (1.0 + defensibility)
    surplus = force_ratio / needed - 1.0
    if surplus <= 0.0 or available_km2 <= 0.0:
        return 0.0
    return float(min(available_km2, rng.exponential(km2_per_hour * min(surplus, 3.0))))


def transfer(control: dict[str, float], loser: str, winner: str, km2: float) -> float:
    """Move up to ``km2`` from ``loser`` to ``winner`` in one sector; returns what moved."""
    moved = min(km2, control.get(loser, 0.0))
    if moved > 0.0:
        control[loser] -= moved
        control[winner] = control.get(winner, 0.0) + moved
    return moved
