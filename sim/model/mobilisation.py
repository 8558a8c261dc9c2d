"""Mobilisation: reserves that reach the fronts over days, once a state decides to mobilise.

A state orders mobilisation (once) when its adversary stands at or above the scenario's
``mobilise_at_rung``, or when its forces on the ground fall below ``mobilise_below_share`` of
what it deployed — or when the decision module calls ``EscalationModel.mobilise``. From the order
on, reserves ``R`` arrive at an even expected rate over ``mobilisation_days`` D: each hour a
Poisson draw with mean R / (24·D), never more than are left, so all of them have arrived after about
D days and never more than it has. Each hour's arrivals join the most threatened sector it holds on
a front (highest ratio of the adversary's effective force across that front to its own there).
Mobilising costs ``mobilisation_cost`` utility per hour from the order on (exposed for the rung
choice through ``Mobilisation.cost_per_hour``).

**Escalation potential.** Beyond its theatre (``forces`` and ``reserves``) a state has the rest of
its ``active_forces``. A war of fire stays local, but once it is fought with ground offensives its
outcome turns on what each side can still send (Kahn 1965's escalation dominance; Bennett & Stam
1996: a side's whole capability shapes how long a war lasts and how it ends), so the states count
``potential_share`` of those forces, at their effectiveness, in the balance they weigh.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario.schema import State


def should_mobilise(
    adversary_rung: int, trigger_rung: int | None, forces: float, deployed: float, below_share: float
) -> bool:
    """The rung-linked rule: the adversary at or above the trigger, or own forces worn down."""
    if trigger_rung is not None and adversary_rung >= trigger_rung:
        return True
    return deployed > 0.0 and forces < below_share * deployed


def potential(active: float | None, theatre: float, effectiveness: float, share: float) -> float:
    """Strength a state could still bring from outside the theatre: ``share`` of the active forces
    beyond ``theatre`` (forces and reserves), at ``effectiveness`` per soldier."""
    if active is None:
        return 0.0
    return share * max(0.0, active - theatre) * effectiveness


def hourly_arrivals(rng: np.random.Generator, reserves: float, days: float, remaining: float) -> int:
    """Reserves reaching the fronts in one hour: Poisson with mean reserves/(24·days), capped."""
    if remaining < 1.0:
        return 0
    return int(min(int(remaining), rng.poisson(reserves / (24.0 * days))))


@dataclass(slots=True)
class Mobilisation:
    """One state's mobilisation: whether and when it was ordered, and what is still to come."""

    spec: State
    ordered_hour: int | None = None
    remaining: float = 0.0
    arrived: int = 0

    @property
    def ordered(self) -> bool:
        return self.ordered_hour is not None

    @property
    def moving(self) -> bool:
        """Reserves still on their way (the hour cannot be skipped)."""
        return self.ordered and self.remaining >= 1.0

    @property
    def cost_per_hour(self) -> float:
        """What mobilising costs the state per hour (for the rung choice)."""
        return self.spec.mobilisation_cost if self.spec.reserves >= 1.0 else 0.0

    def order(self, hour: int) -> bool:
        """Order mobilisation; False if already ordered or there is nothing to mobilise."""
        if self.ordered or self.spec.reserves < 1.0:
            return False
        self.ordered_hour, self.remaining = hour, float(self.spec.reserves)
        return True

    def draw(self, rng: np.random.Generator) -> int:
        """This hour's arrivals."""
        n = hourly_arrivals(rng, self.spec.reserves, self.spec.mobilisation_days, self.remaining)
        self.remaining -= n
        self.arrived += n
        return n
