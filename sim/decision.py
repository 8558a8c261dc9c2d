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

from dataclasses import dataclass

import numpy as np

from sim.ladder import LADDER, N_RUNGS

LEVERAGE = np.array([r.leverage for r in LADDER])
CONDEMNATION = np.array([r.condemnation for r in LADDER])
FIRE_RATE = np.array([r.fire_rate for r in LADDER])
EXPOSURE = np.array([r.intervention_exposure for r in LADDER])
RUNGS = np.arange(N_RUNGS)
SELF_DEFENCE = 0.5  # share of condemnation waived for answering fire in kind


@dataclass(slots=True, frozen=True)
class Situation:
    """What a state weighs in one hour, already in utility units."""

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


def utilities(s: Situation) -> np.ndarray:
    """EU(r) for every rung r."""
    if s.aim == "defensive":
        gain = s.stake * (s.share * LEVERAGE[np.minimum(RUNGS, s.opponent_rung)] - LEVERAGE[s.opponent_rung])
    else:
        gain = s.stake * s.unmet * s.share * LEVERAGE
    if s.aim == "territorial" or s.territory_gain > 0.0:
        gain = gain + s.territory_gain * (RUNGS >= 5)
    answered = np.minimum(RUNGS, s.opponent_rung)
    losses = s.loss_weight * s.deaths_per_fire * FIRE_RATE[np.maximum(RUNGS, s.opponent_rung)]
    condemned = CONDEMNATION - SELF_DEFENCE * CONDEMNATION[answered]
    return (
        gain
        - losses
        - s.pressure * condemned
        - s.intervention * EXPOSURE
        + s.domestic * RUNGS
        - s.audience * np.maximum(0.0, s.commitment - RUNGS)
        - s.switching * np.abs(RUNGS - s.current)
    )


def logit_choice(rng: np.random.Generator, utility: np.ndarray, precision: float, allowed: np.ndarray) -> int:
    """Draw a rung with probability ∝ exp(λ·EU) among the allowed ones."""
    u = np.where(allowed, precision * utility, -np.inf)
    weights = np.cumsum(np.exp(u - u.max()))
    return int(np.searchsorted(weights, rng.random() * weights[-1], side="right"))


def reachable(current: int, max_change: int, ceiling: int = N_RUNGS - 1) -> np.ndarray:
    """Rungs a state can move to within one hour, capped at ``ceiling`` (e.g. 1 under a ceasefire);
    a state above a ceiling that cannot be reached in one move drops straight to it."""
    allowed = (np.abs(RUNGS - current) <= max_change) & (ceiling >= RUNGS)
    if not allowed.any():
        allowed[ceiling] = True
    return allowed
