"""The escalation ladder: one table that every mechanism reads.

Each rung is mapped to the event-data codes scholars use to compare the model with the record:
the CAMEO root code (Gerner et al. 2002), the Goldstein (1992) conflict–cooperation weight of that
root, and the Correlates-of-War MID hostility level (Palmer et al. 2022: 1 no militarised action,
2 threat, 3 display, 4 use of force, 5 war).

Whether a rung's fire is aimed or area fire is part of its definition here; its numeric columns
(leverage, condemnation, fire rate, exposure) are scenario parameters (``[ladder]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Rung(IntEnum):
    CEASEFIRE = 0
    THREATS = 1
    SMALL_ARMS = 2
    ARTILLERY = 3
    DEEP_STRIKES = 4
    GROUND_OFFENSIVE = 5
    FULL_WAR = 6


@dataclass(frozen=True, slots=True)
class RungInfo:
    rung: Rung
    label: str  # plain-language phrase for narratives; {target} is the adversary's name
    cameo: str  # CAMEO root code
    goldstein: float  # Goldstein weight of that root code
    mid_level: int  # CoW MID hostility level
    area_fire: bool  # True: indiscriminate area fire (Lanchester linear law); False: aimed fire


# fmt: off
LADDER: tuple[RungInfo, ...] = (
    RungInfo(Rung.CEASEFIRE, "observes the ceasefire and negotiates", "04", 1.0, 1, False),
    RungInfo(Rung.THREATS, "accuses and threatens", "13", -4.4, 2, False),
    RungInfo(Rung.SMALL_ARMS, "fires small arms across the line", "19", -10.0, 4, False),
    RungInfo(Rung.ARTILLERY, "shells border positions with artillery", "19", -10.0, 4, True),
    RungInfo(Rung.DEEP_STRIKES, "strikes deep inside {target}", "19", -10.0, 4, True),
    RungInfo(Rung.GROUND_OFFENSIVE, "attacks to seize {target}'s territory", "19", -10.0, 4, False),
    RungInfo(Rung.FULL_WAR, "wages full-scale war on {target}", "19", -10.0, 5, True),
)
# fmt: on

N_RUNGS = len(LADDER)
FIGHTING = Rung.SMALL_ARMS  # the lowest rung at which shots are fired
FULL_LADDER: tuple[int, ...] = tuple(range(N_RUNGS))
# Two states with no front between them have no line to fire across or advance over: between them
# the ladder runs from threats straight to strikes at a distance (a war of missiles and aircraft).
STAND_OFF: tuple[int, ...] = tuple(int(r) for r in (Rung.CEASEFIRE, Rung.THREATS, Rung.DEEP_STRIKES))


def info(rung: int) -> RungInfo:
    return LADDER[rung]


def describe(rung: int, target: str) -> str:
    """The rung's narrative phrase aimed at ``target``."""
    return LADDER[rung].label.format(target=target)


@dataclass(frozen=True, slots=True)
class ActInfo:
    """Codes of a diplomatic act (not a rung of fire): alliance responses, mediation, concessions."""

    label: str
    cameo: str
    goldstein: float  # approximate weight of the CAMEO root code
    mid_level: int = 1


# fmt: off
ACTS: dict[str, ActInfo] = {
    "invoke_treaty":      ActInfo("invokes the treaty and asks for military aid", "02", 3.0),
    "ignore":             ActInfo("takes no action", "", 0.0),
    "statement":          ActInfo("issues a statement", "01", 0.0),
    "fact_finding":       ActInfo("sends a fact-finding mission", "04", 1.0),
    "diplomatic_pressure": ActInfo("presses the aggressor diplomatically", "11", -2.0),
    "peacekeepers":       ActInfo("deploys peacekeepers", "07", 7.0),
    "military_aid":       ActInfo("sends military aid", "07", 7.4),
    "arrive":             ActInfo("arrives to mediate", "04", 1.0),
    "reject_mediator":    ActInfo("rejects the mediator", "12", -4.0),
    "restraint_call":     ActInfo("calls for restraint", "02", 3.0),
    "shuttle":            ActInfo("shuttles between the parties", "04", 1.0),
    "propose_ceasefire":  ActInfo("proposes a ceasefire", "03", 4.0),
    "accept_ceasefire":   ActInfo("accepts the ceasefire", "08", 5.0),
    "reject_ceasefire":   ActInfo("rejects the ceasefire", "12", -4.0),
    "ceasefire":          ActInfo("ceasefire takes effect", "08", 5.0),
    "ceasefire_breaks":   ActInfo("ceasefire breaks down", "19", -10.0, 4),
    "declare_ceasefire":  ActInfo("declares a unilateral ceasefire", "03", 4.0),
    "summit":             ActInfo("brings the leaders together", "04", 1.0),
    "economic_pressure":  ActInfo("applies economic pressure", "16", -4.0),
    "join_war":           ActInfo("enters the war", "19", -10.0, 4),
    "deploy_monitors":    ActInfo("deploys monitors", "07", 7.0),
    "change_acceptance":  ActInfo("changes its stance on the mediator", "03", 4.0),
    "concede":            ActInfo("signals a concession", "08", 5.0),
    "refuse":             ActInfo("refuses a demand (red line)", "12", -4.0),
    "revise_aims":        ActInfo("gives up its offensive aims and fights only to defend", "08", 5.0),
    "strikes_done":       ActInfo("declares its strikes complete", "01", 0.0),
    "veto":               ActInfo("blocks Security Council action", "12", -4.0),
}
# fmt: on
