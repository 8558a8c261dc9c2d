"""Bounded-rational rung choice: logit quantal response over expected utility.

For a state ``i`` facing adversary ``j`` at rung ``r_j``, the expected hourly utility of rung ``r`` is

    EU(r) = G(r) − L(r) − P·c'(r) − Σ_A κ_A·X_A·e(r) + D·r − a·max(0, ρ − r) − k·|r − r_now|

* G(r)  gains: coercive  V·θ·u·s·ℓ(r)  (stake V, private resolve θ, unmet share of demands u,
  believed share s, ladder leverage ℓ); defensive  V·θ·(s·ℓ(min(r, r_j)) − ℓ(r_j))  (being
  coerced costs ℓ(r_j), meeting the attack wins back a share of it, out-climbing it wins nothing);
  territorial adds τ·(km² per hour) at r ≥ 5.
* L(r)  expected own losses: σ_c · (1 + deaths/w) · E[deaths per hour at max(r, r_j)] / 10 —
  climbing invites the adversary to the same level; aversion grows with losses (war weariness).
* P·(c(r) − δ·c(min(r, r_j))) international and mediator pressure P times the ladder's
  condemnation weight c; answering fire in kind is condemned less than starting it
  (self-defence, δ = 0.5).
* κ_A·X_A·e(r) expected third-party intervention: credibility κ of each alliance protecting the
  adversary, its intervention cost X, the rung's exposure e.
* D·r domestic pressure; a·max(0, ρ − r) audience cost of backing down from a public commitment ρ
  (Fearon 1994); k·|r − r_now| switching cost.

The choice is P(r) ∝ exp(λ·EU(r)) over the rungs within reach (McKelvey & Palfrey 1995).
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass

import numpy as np

from sim.model.ladder import LADDER, N_RUNGS, Rung

# A ladder of seven rungs: plain tuples and floats beat numpy's per-call overhead on arrays this small,
# and give the same IEEE results term by term.
LEVERAGE = tuple(r.leverage for r in LADDER)
CONDEMNATION = tuple(r.condemnation for r in LADDER)
FIRE_RATE = tuple(r.fire_rate for r in LADDER)
EXPOSURE = tuple(r.intervention_exposure for r in LADDER)
RUNGS = range(N_RUNGS)
SELF_DEFENCE = 0.5  # share of condemnation waived for answering fire in kind


@dataclass(slots=True)
class Situation:
    """What a state weighs in one hour, already in utility units (not frozen: built every hour by
    every belligerent, and freezing triples the cost)."""

    aim: str  # coercive | territorial | defensive
    stake: float  # V·θ
    unmet: float  # share of demands not yet conceded
    share: float  # believed share s
    opponent_rung: int
    loss_weight: float  # σ_c·(1 + deaths/w)/10
    deaths_per_fire: float  # expected own deaths per hour per unit fire rate
    pressure: float  # P
    intervention: float  # Σ κ·X
    domestic: float  # D
    audience: float  # a
    commitment: float  # ρ
    territory_gain: float  # τ·km²/h at the offensive rung
    current: int
    switching: float  # k


def utilities(s: Situation) -> list[float]:
    """EU(r) for every rung r."""
    j = s.opponent_rung
    if s.aim == "defensive":
        gain = [s.stake * (s.share * LEVERAGE[min(r, j)] - LEVERAGE[j]) for r in RUNGS]
    else:
        gain = [s.stake * s.unmet * s.share * lev for lev in LEVERAGE]
    if s.aim == "territorial" or s.territory_gain > 0.0:
        gain = [g + s.territory_gain * (r >= Rung.GROUND_OFFENSIVE) for r, g in enumerate(gain)]
    loss_per_fire = s.loss_weight * s.deaths_per_fire
    return [
        gain[r]
        - loss_per_fire * FIRE_RATE[max(r, j)]
        - s.pressure * (CONDEMNATION[r] - SELF_DEFENCE * CONDEMNATION[min(r, j)])
        - s.intervention * EXPOSURE[r]
        + s.domestic * r
        - s.audience * max(0.0, s.commitment - r)
        - s.switching * abs(r - s.current)
        for r in RUNGS
    ]


def logit_choice(rng: np.random.Generator, utility: list[float], precision: float, allowed: range) -> int:
    """Draw a rung with probability ∝ exp(λ·EU) among the allowed ones."""
    u = [precision * utility[r] for r in allowed]
    top = max(u)
    weights = list(itertools.accumulate(np.exp([x - top for x in u]).tolist()))
    return allowed[bisect.bisect_right(weights, rng.random() * weights[-1])]


def reachable(current: int, max_change: int, ceiling: int = N_RUNGS - 1) -> range:
    """Rungs a state can move to within one hour, capped at ``ceiling`` (e.g. 1 under a ceasefire);
    a state above a ceiling that cannot be reached in one move drops straight to it."""
    low, high = max(0, current - max_change), min(ceiling, current + max_change, N_RUNGS - 1)
    return range(low, high + 1) if low <= high else range(ceiling, ceiling + 1)
