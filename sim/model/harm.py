"""Civilian harm and displacement: fire on populated sectors, strikes into them, flight from threat.

**Fire.** For a sector with ``remaining`` residents under fire of relative intensity ``f`` for one
hour:

* expected deaths       = civilian_death_rate · remaining · f
* expected displacement = remaining · (1 - exp(-displacement_rate · f))

**Strikes.** A deep (precision) strike into a populated sector kills the civilians inside its lethal
footprint: Poisson with mean ``density · strike_lethal_area_km2`` (density: residents still there per
km²), so strikes on towns kill more than strikes on empty hills, and fewer once people have left;
the residents of the ground it damages leave (each with probability ``strike_displaced_area_km2``
over the sector's km²: a strike on a city displaces a neighbourhood, not a share of the city).
(With the ``strike_harm`` switch off, a strike is an hour of fire on the whole sector: deaths ∝ its
residents, whatever its area.)

**Flight from threat.** People leave ahead of the fire, not only under it (Schmeidl 1997; Davenport,
Moore & Poe 2003: threat, not only violence suffered, drives flight; Melander & Öberg 2007: the
geographic reach of the fighting drives its scale). Each hour a sector's residents face a *threat*
``t``: on a front, the fire rate of the enemy's current rung there; behind the line, once the enemy
stands at the deep-strike rung, the strikes expected to land near each resident: the campaign's
strikes an hour over ``REFERENCE_STRIKES_PER_HOUR`` (a campaign twice as hard carries twice the
threat) × its strike rate (the ladder's column) × the share that get through × the sector's chance
of being the one hit × ``rear_flight_area_km2`` / the sector's km². Fear follows the risk to each
resident, not to the sector: a town that draws the strikes empties, a city of millions under the
same campaign mostly stays. Of those who would ever
leave (``flight_share`` of the sector's population, less those already gone), a share
``1 - exp(-flight_rate · t)`` leaves that hour; when the line crosses a sector, ``capture_flight_share``
of those still there flee the occupier.

**Violence in occupied ground.** When the enemy's line crosses a sector, each resident still there
after the flight from the occupier is killed with probability ``occupation_violence_share``
(binomial): the violence of an army and the irregulars with it against the civilians of ground it
takes from the enemy — selective and indiscriminate killing where control changes (Kalyvas 2006,
*The Logic of Violence in Civil War*; Balcells 2017, *Rivalry and Revenge*), and the targeting of
civilians in wars for territory (Downes 2008, *Targeting Civilians in War*).

**Organised evacuation.** Where a state's authorities evacuate (``civil_evacuation``, a fact from
the crisis's record), the government, not each household, decides who leaves: once the enemy can
reach a sector it holds — a front under enemy fire at ``evacuation_fire`` or more (heavy weapons),
or any sector behind its line once the enemy strikes deep — it orders the whole sector out, and of
those who would go (``evacuation_share`` of its population, less those already gone) a share
``1 - exp(-evacuation_rate)`` leaves each fighting hour, whatever the fire does next, for as long as the
state holds the sector (its own sectors only: not ground it has taken). Official orders are the
strongest predictor of leaving in evacuation studies (Baker 1991; Sorensen 2000; Lindell & Perry
2012's protective-action decision model), and removing civilians from the vicinity of military
objectives is a party's duty under Additional Protocol I, art. 58. So an evacuating state's
displaced follow the population within the enemy's reach, not the fire's intensity, and a state that
does not evacuate sees only flight.

Deaths are Poisson and departures binomial, so all are whole people, never negative, and never more
than are left. Departures respond far more strongly than deaths to the same fire: people leave long
before most are hurt.
"""

from __future__ import annotations

import math

import numpy as np

# the strike campaign (strikes an hour at the deep-strike rung) at which `rear_flight_area_km2` was set:
# the shared `combat.deep_strikes_per_hour` of scenarios/behaviour.toml
REFERENCE_STRIKES_PER_HOUR = 1.0


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


def strike_deaths(rng: np.random.Generator, remaining: int, area_km2: float, lethal_area_km2: float) -> int:
    """Civilians killed by one strike into a sector: Poisson(density × lethal footprint), capped."""
    if remaining <= 0 or lethal_area_km2 <= 0.0 or area_km2 <= 0.0:
        return 0
    return min(remaining, int(rng.poisson(remaining / area_km2 * lethal_area_km2)))


def strike_displaced(rng: np.random.Generator, remaining: int, reach: float) -> int:
    """Residents who leave the ground around one strike: each with probability ``reach`` (the
    share of the sector's area it damages), so whole people, never more than are left."""
    if remaining <= 0 or reach <= 0.0:
        return 0
    return int(rng.binomial(remaining, min(1.0, reach)))


def evacuation_zone(front_fire: dict[str, float], rear: set[str], threshold: float) -> set[str]:
    """Sectors a state that evacuates orders out: fronts where the enemy's fire reaches
    ``threshold``, and every sector behind the line that the enemy's strikes reach (``rear``)."""
    return {sid for sid, fire in front_fire.items() if fire > 0.0 and fire >= threshold} | rear


def flight(
    rng: np.random.Generator, remaining: int, population: float, share: float, threat: float, rate: float
) -> int:
    """Residents who leave in one hour for fear of what the enemy can reach (``threat``): a share
    ``1 - exp(-rate · threat)`` of those who would ever leave and have not yet left."""
    movable = remaining - round((1.0 - share) * population)
    if movable <= 0 or threat <= 0.0 or rate <= 0.0:
        return 0
    return int(rng.binomial(movable, 1.0 - math.exp(-rate * threat)))


def occupation_deaths(rng: np.random.Generator, residents: int, share: float) -> int:
    """Residents killed when the enemy enters their sector: binomial with the given share."""
    if residents <= 0 or share <= 0.0:
        return 0
    return int(rng.binomial(residents, share))
