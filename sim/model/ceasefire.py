"""Agreed ceasefires: their strength, the hazard that they break down, and their history.

Every agreement is kept (broker or ``bilateral``, hour, terms, strength, guarantees, how and when it
ended) so that outcomes can say who brokered the one in force when the fighting ended and how many
broke down before it.

**Strength** (Fortna 2004): written terms, monitors and peacekeepers add fixed amounts; a broker adds
its leverage × the parties' least acceptance (plus a bonus for a manipulative broker's guarantees),
and that part fades with the broker's attention (half-life ``T``):

    q(t) = min(1, q_terms + q_monitors + q_peacekeepers + q_broker · 2^(−t/T))

**Breakdown.** Each party's incentive to resume is its hourly value of fighting on minus its value
of the agreement, ``I_k = max(0, F_k − C_k)`` (``sim.model.bargaining``); the hourly hazard is

    h(t) = (1 − q(t)) · min(1, h₀ · 2^(−t/T₀) + h_r · max_k I_k)

``h₀``: incidents and spoilers nobody chose, likeliest in the first hours while the lines are still
in contact and the order to stop is still reaching the units, then rarer with half-life ``T₀``
(Fortna 2004: the risk that a ceasefire collapses falls with its age; a ceasefire between parties
with nothing to gain from fighting again does not keep failing by accident); ``h_r``: how fast an
incentive turns into a breach. As the broker's leverage fades, q(t) falls and the same pull breaks
the agreement more often; nothing breaks it for no reason once the incidents have passed (an
unconditional hazard that grew as the broker's attention moved on broke settled ceasefires days
later and ran short crises on). The party with the larger incentive is the one that breaks it.
"""

from __future__ import annotations

from dataclasses import dataclass


def strength(terms: float, guards: float, broker: float, hours_in: float, half_life: float) -> float:
    """q(t): written terms and guarantees hold; the broker's part fades."""
    return min(1.0, max(0.0, terms + guards + broker * 2.0 ** (-hours_in / half_life)))


def broker_part(leverage: float, acceptances: list[float], bonus: float) -> float:
    """A broker's share of an agreement's strength: leverage × least acceptance + style bonus."""
    return leverage * min(acceptances, default=1.0) + bonus


def breakdown_hazard(
    q: float,
    incentive: float,
    hours_in: float,
    base: float,
    resume: float,
    incident_half_life: float | None = None,
) -> float:
    """h(t) from the agreement's strength now and the strongest incentive to resume."""
    if incident_half_life is not None:
        base *= 2.0 ** (-hours_in / incident_half_life)
    return (1.0 - q) * min(1.0, base + resume * max(0.0, incentive))


@dataclass(slots=True)
class Agreement:
    """One ceasefire agreement between two states, from the hour it took effect to its end."""

    parties: tuple[str, str]
    broker: str  # mediator id, or "bilateral"
    kind: str  # mediated | offer | declaration
    start_hour: int
    terms: tuple[str, ...]  # concessions it settled
    broker_strength: float  # q_broker at the start
    end_hour: int | None = None
    ended_by: str = ""  # who broke it
    cache: tuple | None = None  # (inputs, parties' strongest incentive to resume) of the last hour
