"""Third parties: when an attacked member invokes its treaty, and when a patron or ally joins.

**Invocation** (Leeds 2003; Snyder 1984). A member attacked on territory its treaty covers, by a
state outside the alliance at rung ``r``, weighs the help it expects against the public cost of
asking and being refused:

    U_invoke = κ · X · e(r) − (1 − κ) · R

(κ the alliance's credibility, X the help, i.e. the intervention's cost to the attacker, e(r) the
rung's exposure, R the refusal cost). It invokes with logit probability 1 / (1 + exp(−λ·U)) each
hour (λ: the states' logit precision).

**Need** (Morrow 1991: an alliance trades autonomy for security, so help is sought when security
is wanting; Leeds 2003: treaties are invoked where the threat exceeds what the member can meet).
The help is weighed by how much the member needs it,

    n = clip(ρ/ρ* − 1, −1, 1),   U_invoke = κ · X · e(r) · n − (1 − κ) · R

with ρ the attacker's strength as the member believes it over its own and ρ* the treaty's
``need_ratio``: no need at ρ = ρ*, full need once the attacker is believed 2ρ* times as strong, and
calling in an ally against a clearly weaker attacker costs autonomy (n < 0). With the
``invocation_need`` switch off n = 1.

**Joining.** A patron whose client (a de facto entity) is attacked, or the leader of an alliance
that answered with military aid, may enter the war against the attacker with logit probability of

    U_join = V·θ · s · ℓ(r) − P · c(r) − J

(its stake and resolve, its share of strength against the attacker, the leverage the attack buys
over its ward, the pressure it would draw, its hourly cost of entering).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario


def logistic(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def invocation_value(credibility: float, help_: float, exposure: float, refusal_cost: float) -> float:
    return credibility * help_ * exposure - (1.0 - credibility) * refusal_cost


def need(believed_ratio: float, need_ratio: float) -> float:
    """How much an attacked member needs its ally's help: clip(ρ/ρ* − 1, −1, 1)."""
    return max(-1.0, min(1.0, believed_ratio / need_ratio - 1.0))


def join_value(stake: float, share: float, leverage: float, pressure: float, cost: float) -> float:
    return stake * share * leverage - pressure - cost


def enmities(scenario: Scenario) -> list[tuple[str, str]]:
    """Who fights whom as the scenario declares it: (state, adversary) pairs in the order named (each
    state's ``adversary``, then its ``adversaries``). Enmity is symmetric: the model makes each pair
    enemies both ways."""
    return [
        (sid, other)
        for sid, s in scenario.states.items()
        for other in ((s.adversary,) if s.adversary else ()) + tuple(s.adversaries)
    ]


def foes(scenario: Scenario, state: str) -> list[str]:
    """The states ``state`` fights at hour 0, whichever side named the enmity, in the order named."""
    return list(dict.fromkeys(b if a == state else a for a, b in enmities(scenario) if state in (a, b)))


def foe_of(scenario: Scenario, state: str) -> str | None:
    """``state``'s one adversary at hour 0, or None if it has none or several."""
    found = foes(scenario, state)
    return found[0] if len(found) == 1 else None


def belligerents(scenario: Scenario) -> list[str]:
    """The states that fight from the start: a war aim, and at least one adversary named by either
    side (``adversary`` or ``adversaries``) — the scenario's answer to ``StateAgent.belligerent`` at
    hour 0 (a patron or ally may join later). In the scenario's order."""
    enemies = {sid for pair in enmities(scenario) for sid in pair}
    return [sid for sid, s in scenario.states.items() if s.war_aim != "none" and sid in enemies]
