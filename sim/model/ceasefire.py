"""An agreed ceasefire and its breakdown hazard.

Agreements are stronger when the broker has leverage and both parties accept it, and weaken as the
broker's attention moves on (Fortna 2003; Beardsley 2008). With strength ``q`` in [0, 1] and the
broker's leverage decaying with half-life ``T``, the hourly hazard of breakdown ``t`` hours in is

    h(t) = h₀ · (1 − q) + h_f · (1 − 2^(−t/T))
"""

from __future__ import annotations

from dataclasses import dataclass


def agreement_strength(leverage: float, acceptances: list[float], manipulative: bool) -> float:
    """Strength q of an agreement brokered with this leverage and these acceptances."""
    q = leverage * min(acceptances, default=1.0) + (0.15 if manipulative else 0.0)
    return min(1.0, max(0.0, q))


def breakdown_hazard(strength: float, hours_in: float, base: float, fade: float, half_life: float) -> float:
    return base * (1.0 - strength) + fade * (1.0 - 2.0 ** (-hours_in / half_life))


@dataclass(slots=True)
class Agreement:
    broker: str
    start_hour: int
    strength: float
