"""Bounded-rational rung choice: logit quantal response over expected utility.

For a state ``i`` facing adversary ``j`` at rung ``r_j``, the expected hourly utility of rung ``r`` is

    EU(r) = G(r) − L(r) − P·c'(r) − Σ_A κ_A·X_A·e'(r) + D·r − a·max(0, ρ − r) − k·|r − r_now|
             − M·1[max(r, r_j) ≥ r_m]

* G(r)  gains: coercive  V·θ·u·π·s·ℓ(r)  (stake V, private resolve θ, unmet share of demands u,
  believed probability π that the adversary yields to force — for a conqueror at r ≥ 5,
  max(π, b) with b the share of its fronts where it believes its offensive would break through,
  ``StateAgent.breakthrough`` — believed share s, ladder leverage ℓ); defensive
  V·θ·(s·ℓ(min(r, r_j)) − ℓ(r_j))  (being coerced costs ℓ(r_j), meeting the attack wins back a
  share of it, out-climbing it wins nothing); punitive V·θ·u·ℓ(4) at r ≥ 4, u the share of its
  ``targets`` not yet struck, plus the defensive gain against fire the adversary opened or an
  escalation beyond a strike exchange (r_j ≥ 5);
  territorial adds τ·(km² per hour it expects an offensive to take on a front) at r ≥ 5.
* L(r)  expected own losses: σ_c · (1 + losses/(w·k)) · E[losses per hour at max(r, r_j)] / (n₀·k)
  (k the size of its commitment, ``StateAgent.size``) —
  climbing invites the adversary to the same level; aversion grows with losses (war weariness);
  losses are soldiers and, on a static front, materiel in casualties' equivalent (§7.3).
* P·c'(r), c'(r) = c(r) − δ_i·c(min(r, r_j)): international and mediator pressure P times the
  ladder's condemnation weight c. Answering fire in kind is condemned less than opening it: δ_i is
  the self-defence discount δ (a scenario parameter) for a state whose fire answers fire j opened
  (``EscalationModel.opener``), 0 for the state that opened it or where both opened at once.
* κ_A·X_A·e'(r), e'(r) = e(r) − δ_i·e(min(r, r_j)): expected third-party intervention, with the
  credibility κ of each alliance protecting the adversary, its intervention cost X and the rung's
  exposure e. An answer in kind is as much less likely to bring the adversary's allies in: a
  defence pact obliges its members against an attack on one of them and deters the challenger,
  not the target's answer (Leeds 2003; ATOP's conditions of activation, Leeds et al. 2002).
* D·r domestic pressure; a·max(0, ρ − r) audience cost of backing down from a public commitment ρ
  (Fearon 1994); k·|r − r_now| switching cost.
* M·1[max(r, r_j) ≥ r_m] mobilisation: a state that has not yet mobilised pays its hourly
  mobilisation cost M on every rung at which the fighting (climbing invites the adversary to the
  same level) reaches its mobilisation trigger r_m (``mobilise_at_rung``); once ordered, the cost
  is sunk and the same on every rung.

The ladder's columns (ℓ, c, fire rate, e) come from the scenario's ``[ladder]`` table. A state
facing several adversaries chooses one rung against all of them: its EU is the sum of one EU per
adversary, with the shared terms (P, D, a, k) split evenly between them.

The choice is P(r) ∝ exp(λ·EU(r)) over the rungs within reach (McKelvey & Palfrey 1995).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.model.ladder import FULL_LADDER, N_RUNGS, Rung
from sim.scenario.schema import Scenario

RUNGS = range(N_RUNGS)


@dataclass(frozen=True, slots=True)
class Columns:
    """The ladder's numeric columns and the decision constants of one scenario (plain tuples and
    floats: on a ladder of seven rungs they beat numpy's per-call overhead)."""

    leverage: tuple[float, ...]
    condemnation: tuple[float, ...]
    fire_rate: tuple[float, ...]
    exposure: tuple[float, ...]
    strike_rate: tuple[float, ...]  # the strike campaign's intensity, apart from line fire
    self_defence: float  # δ: share of condemnation and of allies' exposure waived for answering fire

    @classmethod
    def of(cls, scenario: Scenario) -> Columns:
        lad = scenario.ladder
        return cls(
            tuple(lad.leverage),
            tuple(lad.condemnation),
            tuple(lad.fire_rate),
            tuple(lad.exposure),
            tuple(lad.strike_rate),
            scenario.model.self_defence_discount,
        )


@dataclass(slots=True)
class Situation:
    """What a state weighs in one hour against one adversary, already in utility units (not
    frozen: built every hour by every belligerent, and freezing triples the cost)."""

    aim: str  # coercive | punitive | territorial | defensive
    stake: float  # V·θ
    unmet: float  # share of demands not yet conceded
    yields: float  # π: believed probability that the adversary yields to force
    share: float  # believed share s
    opponent_rung: int
    loss_weight: float  # σ_c·(1 + deaths/(w·k))/(loss_scale·k)
    deaths_per_fire: float  # expected own deaths per hour per unit fire rate
    pressure: float  # P
    intervention: float  # Σ κ·X
    domestic: float  # D
    audience: float  # a
    commitment: float  # ρ
    territory_gain: float  # τ·km²/h at the offensive rung
    current: int
    switching: float  # k
    mobilisation: float = 0.0  # M: hourly cost of mobilising, 0 once ordered or with no reserves
    mobilise_rung: int = N_RUNGS  # r_m: the fighting's rung at which it would mobilise
    deaths_per_strike: float = 0.0  # expected own deaths per hour per unit strike rate
    breakthrough: float = 0.0  # b: a conqueror's hope of taking the ground by force (r ≥ 5)
    answering: bool = False  # its fire answers fire the adversary opened


def gains(s: Situation, c: Columns) -> list[float]:
    """G(r) for every rung r."""
    j, lev = s.opponent_rung, c.leverage
    if s.aim == "defensive" or s.aim == "punitive":
        defends = s.aim == "defensive" or s.answering or j > Rung.DEEP_STRIKES
        gain = [s.stake * (s.share * lev[min(r, j)] - lev[j]) if defends else 0.0 for r in RUNGS]
        if s.aim == "punitive":  # the strikes achieve it, whether or not the adversary yields
            strike = s.stake * s.unmet * lev[Rung.DEEP_STRIKES]
            gain = [g + strike * (r >= Rung.DEEP_STRIKES) for r, g in enumerate(gain)]
    else:  # a conqueror's offensive may take what the adversary will not yield (b)
        by_force = max(s.yields, s.breakthrough)
        gain = [
            s.stake * s.unmet * (by_force if r >= Rung.GROUND_OFFENSIVE else s.yields) * s.share * x
            for r, x in enumerate(lev)
        ]
    if s.aim == "territorial" or s.territory_gain > 0.0:
        gain = [g + s.territory_gain * (r >= Rung.GROUND_OFFENSIVE) for r, g in enumerate(gain)]
    return gain


def utilities(s: Situation, c: Columns) -> list[float]:
    """EU(r) for every rung r."""
    j, cond, gain = s.opponent_rung, c.condemnation, gains(s, c)
    loss_per_fire = s.loss_weight * s.deaths_per_fire
    waived = c.self_defence if s.answering else 0.0
    return [
        gain[r]
        - loss_per_fire * c.fire_rate[max(r, j)]
        - s.loss_weight * s.deaths_per_strike * c.strike_rate[max(r, j)]
        - s.pressure * (cond[r] - waived * cond[min(r, j)])
        - s.intervention * (c.exposure[r] - waived * c.exposure[min(r, j)])
        + s.domestic * r
        - s.audience * max(0.0, s.commitment - r)
        - s.switching * abs(r - s.current)
        - s.mobilisation * (max(r, j) >= s.mobilise_rung)
        for r in RUNGS
    ]


def summed(per_adversary: list[list[float]]) -> list[float]:
    """EU of a state facing several adversaries: its one rung answers them all (the shared terms
    were split between the situations, so each counts once)."""
    if len(per_adversary) == 1:
        return per_adversary[0]
    return [sum(u) for u in zip(*per_adversary, strict=True)]


def logit_choice(
    rng: np.random.Generator, utility: list[float], precision: float, allowed: Sequence[int]
) -> int:
    """Draw a rung with probability ∝ exp(λ·EU) among the allowed ones."""
    return logit_pick(rng.random(), utility, precision, allowed)


def logit_pick(uniform: float, utility: list[float], precision: float, allowed: Sequence[int]) -> int:
    """The logit choice for a given uniform draw in [0, 1) (inverse of the cumulative weights)."""
    u = [precision * utility[r] for r in allowed]
    top = max(u)
    weights = list(itertools.accumulate(np.exp([x - top for x in u]).tolist()))
    return allowed[bisect.bisect_right(weights, uniform * weights[-1])]


def reachable(
    current: int, max_change: int, ceiling: int = N_RUNGS - 1, ladder: Sequence[int] = FULL_LADDER
) -> Sequence[int]:
    """Rungs of ``ladder`` a state can move to within one hour (``max_change`` steps along it,
    from the highest of its rungs at or below ``current``), capped at ``ceiling`` (e.g. 1 under a
    ceasefire); a state above a ceiling that cannot be reached in one move drops straight to the
    highest rung under it."""
    at = bisect.bisect_right(ladder, current) - 1
    near = ladder[max(0, at - max_change) : at + max_change + 1]
    within = [r for r in near if r <= ceiling]
    return within or [max(r for r in ladder if r <= ceiling)]
