"""Ground: how a ground offensive takes km² and when the line crosses a sector.

Manoeuvre follows Lanchester attrition with a **breakthrough threshold** and **Dupuy-style advance
rates** (Dupuy 1987, *Understanding War*; Dupuy 1990, *Attrition*), not Epstein's (1985) adaptive
model. Why: Dupuy's rates are estimated from historical engagements as a function of the force
ratio and terrain, which is what a scenario can state (forces, firepower, defensibility); Epstein's
model adds a defender's withdrawal rule and an attacker's prosecution rate — choices that belong to
the agents' decisions here, not to the ground mechanics.

In each front an attacker at the ground-offensive rung faces the local *effective force ratio*

    R = a·e_a / (d·e_d·(1 + w·δ))

(a, d soldiers in the two sectors; e firepower × drones × aid; δ the defended sector's
defensibility; w its weight). Below the threshold R* nothing moves. Above it, the expected advance
in km² per hour is

    v = v₀ · (n/n₀) · min(R/R* − 1, c) · (1 − s·δ)

— growing with the ratio up to a cap c, slowed by terrain (s); drawn exponentially. Dupuy's rates
are depths an hour per unit of frontage, and the frontage an attacker covers grows with the
soldiers it has in contact, so the km² an hour grow in proportion to them: n attacking in contact
(``combat.engaged``) against the n₀ (``advance_soldiers``) for whom the rate is v₀. Control is kept
as km² per state in every sector, so territory is conserved by construction: what one side takes,
the other loses. Once the attacker holds ``capture_share`` of the sector the line has crossed it:
the rest changes hands too (``sim.model.escalation`` then moves forces and recomputes fronts).

**Rout** (breakpoints: Helmbold 1971; Dupuy 1987 on units that break, not fight to the last;
Epstein 1985's adaptive defender that withdraws once its attrition passes a threshold). A
garrison under a ground offensive it cannot stop (the attacker at or above the breakthrough
threshold) breaks once it has lost ``rout_breakpoint`` of its strength when the assault began
(its largest garrison in the sector while assaulted): it abandons the sector at once, the line
crosses it and the rest of the sector changes hands, as when the attacker has taken
``capture_share`` of it. So a lopsided, sustained assault moves the front by whole sectors while a
balanced one, where garrisons hold their losses below the breakpoint, advances only by the rate
above. The ``rout`` switch turns it off.

**Withdrawal** (a decision, not a breakdown: Clausewitz, *On War* VI.25 and IV.13, a retreat to
preserve the army when the balance is hopeless; Epstein 1985, where the defender's withdrawal rate
is a decision variable; Biddle 2004 on a defence that trades depth for survival; Reiter 2009 on
belligerents updating on the battlefield and on intervention). A state that holds its theatre
hopeless — its side's share of strength (itself, its patron, its co-belligerents) against the
believed strength of all the adversaries fighting it below ``withdrawal_share``, or a state that
entered the war against it after it began (a patron or ally intervening) among them — does not
defend a border sector against an assault it cannot stop (the attacker at or above the
breakthrough threshold): it pulls the whole garrison back to the sectors it holds behind the line,
and the attacker walks in (the line crosses the sector as on capture; residents flee the occupier
with ``capture_flight_share``). With nothing behind the line it stands. The ``withdrawal`` switch
turns it off.
"""

from __future__ import annotations

import numpy as np


def effective_ratio(
    attackers: float,
    attacker_effectiveness: float,
    defenders: float,
    defender_effectiveness: float,
    defensibility: float,
    defensibility_weight: float,
) -> float:
    """R = a·e_a / (d·e_d·(1 + w·δ)); an empty sector faces any attacker with an infinite ratio."""
    defence = defenders * defender_effectiveness * (1.0 + defensibility_weight * defensibility)
    if defence <= 0.0:
        return float("inf") if attackers > 0.0 else 0.0
    return attackers * attacker_effectiveness / defence


def advance_rate(
    ratio: float,
    threshold: float,
    km2_per_hour: float,
    cap: float,
    terrain_slowdown: float,
    defensibility: float,
) -> float:
    """Expected km² per hour: zero up to the breakthrough threshold, then rising with the surplus
    (capped), slowed by terrain."""
    surplus = ratio / threshold - 1.0
    if surplus <= 0.0:
        return 0.0
    return km2_per_hour * min(surplus, cap) * (1.0 - terrain_slowdown * defensibility)


def capture_km2(rng: np.random.Generator, mean_km2: float, available_km2: float) -> float:
    """Ground taken in one hour: an exponential draw with the given mean, never more than there is."""
    if mean_km2 <= 0.0 or available_km2 <= 0.0:
        return 0.0
    return float(min(available_km2, rng.exponential(mean_km2)))


def transfer(control: dict[str, float], loser: str, winner: str, km2: float) -> float:
    """Move up to ``km2`` from ``loser`` to ``winner`` in one sector; returns what moved."""
    moved = min(km2, control.get(loser, 0.0))
    if moved > 0.0:
        control[loser] -= moved
        control[winner] = control.get(winner, 0.0) + moved
    return moved


def line_crossed(control: dict[str, float], attacker: str, area_km2: float, capture_share: float) -> bool:
    """Has the attacker taken enough of the sector for the line to cross it?"""
    return control.get(attacker, 0.0) >= capture_share * area_km2 * (1.0 - 1e-12)


def broken(garrison: float, at_assault: float, breakpoint: float) -> bool:
    """Has a garrison of ``at_assault`` soldiers when the assault began, ``garrison`` now, lost
    at least ``breakpoint`` of its strength (and so abandons the sector)?"""
    if at_assault <= 0.0:
        return False
    return garrison <= (1.0 - breakpoint) * at_assault


def hopeless(own: float, believed_enemies: float, threshold: float, intervened: bool) -> bool:
    """Does a state hold its theatre hopeless: its side's share of the strength (``own``) against
    what it believes of all the adversaries fighting it below ``threshold``, or an intervener among
    them?"""
    if intervened:
        return True
    total = own + believed_enemies
    return total > 0.0 and own / total < threshold
