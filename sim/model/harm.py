"""Civilian harm and displacement where fire reaches populated sectors.

For a sector with ``remaining`` residents under fire of relative intensity ``f`` for one hour:

* expected deaths       = civilian_death_rate · remaining · f
* expected displacement = remaining · (1 - exp(-displacement_rate · f))

Deaths are Poisson and displacement binomial, so both are whole people, never negative, and never
more than are left. Displacement responds far more strongly than deaths to the same fire: people
leave long before most are hurt.
"""

from __future__ import annotations

import math

import numpy as np


def civilian_toll(
    rng: np.random.Generator,
    remaining: int,
    fire: float,
    death_rate: float,
    displacement_rate: float,
) -> tuple[int, int]:
    """(deaths, displaced) among ``remaining`` residents after one hour of fire ``fire``."""
    if remaining <= 0 or fire <= 0.0:
        return 0, 0
    deaths = min(remaining, int(rng.poisson(death_rate * remaining * fire)))
    leave_p = 1.0 - math.exp(-displacement_rate * fire)
    displaced = int(rng.binomial(remaining - deaths, leave_p))
    return deaths, displaced
