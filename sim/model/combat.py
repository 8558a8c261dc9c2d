"""Attrition: stochastic Lanchester laws on each contested pair of border sectors.

Lanchester (1916) gives two laws. With forces ``a`` and ``d`` and effectiveness ``alpha`` (of a's
fire on d) and ``beta`` (of d's fire on a):

* aimed fire, **square law**:  da/dt = -beta d,    dd/dt = -alpha a.
  Invariant: alpha a² - beta d² is constant.
* area fire, **linear law**:   da/dt = -beta a d,  dd/dt = -alpha a d.
  Invariant: alpha a - beta d is constant.

Each side's fire is aimed or area by the rung it fights at (``sim.model.ladder``), so mixed pairs follow
Deitchman's (1962) mixed law. One hour of fire is the mean-field loss, drawn binomially so that
casualties are whole soldiers and can never exceed the force (Helmbold 1964 on stochastic
Lanchester models).

Only the soldiers in contact fight (``engaged``): a sector's frontage holds at most
``engaged_per_km2`` × its area; the rest wait behind and replace losses. Casualties come out of the
whole force in the sector.

**Posture** (``posture_exposure``): how exposed the soldiers in contact are depends on whether
anyone is assaulting. Dupuy (1979, 1990) finds casualty rates set by posture more than by the
weapons fired: troops holding prepared positions who are not attacked lose a small fraction of the
daily rate of an engagement in which one side attacks, and rates for defenders fall with the
strength of their fortifications; fire across a static line mostly hits positions and equipment,
while assaults (attackers moving in the open, defenders' positions overrun) are where soldiers die.
So on a front where neither side is at or above the ground-offensive rung only ``static_exposure``
(< 1) of the line's harm falls on soldiers; the rest falls on positions and equipment (Dupuy's
"equipment losses"), counted as materiel losses in deaths' equivalent (``split_harm``). Once either
side assaults, all of it falls on soldiers. A state weighs its losses of both kinds (war
weariness, the evidence of resolve an adversary reads from them, the expected losses of fighting
on), so a static line is less deadly than an assault but not cheaper to fight: what ends a war of
fire and strikes is what it costs, not only who dies.

**Adaptation** (``adapted_exposure``): soldiers learn to live under a given adversary's fire. In
the first hours they are caught in the open, massed and in known positions; over hours under that
fire they disperse, dig in, camouflage and move at night, so a growing part of the same fire hits
positions and equipment rather than people (Dupuy 1987 on dispersion as the answer armies have
found to more lethal fire; Biddle 2004 on cover and concealment). Their exposure falls from 1
towards a floor with a time constant of hours under that adversary's fire, and multiplies the
static line's exposure and that of strikes at military positions. On the line an assault exposes
them all the same (attackers cross open ground, defenders' positions are overrun); against strikes
they stay dispersed whatever the line does. The harm they escape is
counted, as on a static line, as losses of positions and equipment, so adapting makes a war less
deadly, not cheaper.
"""

from __future__ import annotations

import math

import numpy as np

from sim.model.ladder import Rung


def lanchester_rates(
    a: float, d: float, alpha: float, beta: float, a_area: bool, d_area: bool
) -> tuple[float, float]:
    """Casualty rates (to a, to d) per unit time under each side's law of fire."""
    to_d = alpha * a * (d if a_area else 1.0)
    to_a = beta * d * (a if d_area else 1.0)
    return to_a, to_d


def square_law_invariant(a: float, d: float, alpha: float, beta: float) -> float:
    return alpha * a * a - beta * d * d


def linear_law_invariant(a: float, d: float, alpha: float, beta: float) -> float:
    return alpha * a - beta * d


def draw_casualties(rng: np.random.Generator, force: float, expected: float) -> int:
    """Whole casualties with the given mean, never more than the force nor fewer than zero."""
    n = int(force)
    if n <= 0 or expected <= 0.0:
        return 0
    return int(rng.binomial(n, min(1.0, expected / n)))


def effectiveness(
    rate: float, fire_rate: float, shooter: float, target_defensibility: float, terrain_factor: float
) -> float:
    """Per-soldier coefficient of one side's fire: the law's base rate × the rung's fire rate × the
    shooter's effectiveness (firepower × drones × aid), reduced by the target's terrain
    (× (1 − terrain_factor · defensibility))."""
    return rate * fire_rate * shooter * (1.0 - terrain_factor * target_defensibility)


def engaged(force: float, area_km2: float, per_km2: float) -> float:
    """Soldiers in contact: the force, up to the sector's frontage limit. Those beyond it are local
    reserves that replace losses, so a bigger army bleeds at the same hourly rate for longer
    instead of faster (the linear law's a·d would otherwise grow with the square of army size)."""
    return min(force, per_km2 * area_km2)


def split_harm(harm: float, exposure: float) -> tuple[float, float]:
    """The line's expected harm to one side this hour, split into (casualties among the soldiers
    in contact, losses of positions and equipment in casualties' equivalent) by their exposure."""
    return exposure * harm, (1.0 - exposure) * harm


def posture_exposure(top_rung: int, static_exposure: float, adapted: float = 1.0) -> float:
    """Share of the line's casualty rate the soldiers in contact suffer when the higher of the two
    sides' rungs on a front is ``top_rung``: all of it once either side assaults (ground offensive
    and above: attackers move in the open, defenders' positions are overrun), ``static_exposure``
    while both hold their positions and only exchange fire (Dupuy 1990's posture: a static line
    costs a fraction of an assault), times ``adapted`` (``adapted_exposure``) for soldiers who have
    learnt to live under that fire."""
    return 1.0 if top_rung >= Rung.GROUND_OFFENSIVE else static_exposure * adapted


def intercepted(rng: np.random.Generator, launched: int, share: float) -> int:
    """Strikes stopped, of ``launched``, by air defences that stop ``share`` of them (binomial;
    nothing is drawn without defences, so other draws stay where they were)."""
    if launched <= 0 or share <= 0.0:
        return 0
    return int(rng.binomial(launched, min(share, 1.0)))


def adapted_exposure(hours: float, time_constant: float, floor: float) -> float:
    """Share of an adversary's fire's harm that falls on soldiers after ``hours`` under it: 1 at
    first, falling exponentially towards ``floor`` as they disperse and take cover."""
    return floor + (1.0 - floor) * math.exp(-hours / time_constant)
