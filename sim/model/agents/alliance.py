"""What an alliance is and decides: its response when a member invokes the treaty.

Responses form a ladder of their own — ignore, statement, fact-finding mission, diplomatic pressure,
peacekeepers, military aid. A member decides itself whether to
invoke the treaty when it is attacked on territory the treaty covers (``covers``; by default the
sectors its members held at hour 0, so a member's own land and not land it backs;
``sim.model.parties``). On invocation the alliance honours its commitment with probability
``honour_prior × cohesion`` (Leeds et al. 2000 find about 0.75 for the prior). If it honours, it
sends the strongest response its leader can muster: the capacity drawn for this crisis,
``c = capacity × (1 − distraction) × ε`` (ε log-normal), must reach each response's
``required_capacity``. A consultation pact stops at diplomatic pressure. The response takes
effect after a delay. Before that, an aggressor weighs the alliance's credibility
``κ = honour_prior × cohesion × capacity × (1 − distraction)``; after it, what the response reveals
(``revealed_credibility``: e.g. a fact-finding mission reads as 0.05, military aid as 1). Diplomatic
pressure and above press the aggressor by ``pressure_scale × c × level/5`` an hour (with the
capacity drawn, ODD §7.9); peacekeepers separate the member's forces from its attacker's
(``sim.model.ceasefire``); military aid raises the member's fire effectiveness by
``aid_multiplier`` and lets the leader join the war (``sim.model.parties``). When members fight each
other, nobody can invoke the treaty against a member; the alliance calls for restraint (a statement)
after its response delay.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa

from sim.model.ladder import FIGHTING
from sim.scenario.schema import Alliance

if TYPE_CHECKING:
    from sim.model.agents.state import StateAgent
    from sim.model.escalation import EscalationModel

RESPONSES = (
    "ignore",
    "statement",
    "fact_finding",
    "diplomatic_pressure",
    "peacekeepers",
    "military_aid",
)
CONSULTATION_CEILING = RESPONSES.index("diplomatic_pressure")


def response_level(
    honours: bool, cohesive: bool, capacity: float, obligation: str, required: tuple[float, ...]
) -> int:
    """The strongest response within reach, given the draws of one run."""
    if not honours:
        return RESPONSES.index("statement") if cohesive else RESPONSES.index("ignore")
    ceiling = CONSULTATION_CEILING if obligation == "consultation" else len(RESPONSES) - 1
    level = max(k for k, need in enumerate(required) if capacity >= need)
    return min(max(level, RESPONSES.index("statement")), ceiling)


class AllianceAgent(mesa.Agent):
    model: EscalationModel

    def __init__(self, model: EscalationModel, alliance_id: str, spec: Alliance) -> None:
        super().__init__(model)
        self.id, self.spec = alliance_id, spec
        self.members: list[StateAgent] = [model.states[m] for m in spec.members]
        self.invoked_by: StateAgent | None = None
        self.attacker: StateAgent | None = None
        self.response: int | None = None
        self.capacity = self.effective_capacity  # replaced by the draw when it responds
        self._restraint_due = False  # members fighting each other: a call for restraint is scheduled
        for member in self.members:
            member.alliances.append(self)
        covered = (
            spec.covers
            if spec.covers is not None
            else [sid for sid, sec in model.spec.sectors.items() if sec.owner in spec.members]
        )
        self.covers = frozenset(covered)

    @property
    def invoked(self) -> bool:
        return self.invoked_by is not None

    @property
    def effective_capacity(self) -> float:
        return self.spec.leader_capacity * (1.0 - self.spec.leader_distraction)

    @property
    def credibility(self) -> float:
        if self.response is not None:
            return self.spec.revealed_credibility[self.response]
        return self.spec.honour_prior * self.spec.cohesion * self.effective_capacity

    @property
    def response_label(self) -> str:
        if self.response is None:
            return "pending" if self.invoked else "not_invoked"
        return RESPONSES[self.response]

    def invoke(self, member: StateAgent) -> None:
        self.invoked_by, self.attacker = member, member.adversary
        self.model.schedule_event(self.respond, after=max(self.spec.response_delay_hours, 1e-6))

    def watch_members(self) -> None:
        """Members fighting each other: the treaty covers neither against the other (an attack by a
        member is no casus foederis; Leeds 2003), so the alliance takes no side and, after its usual
        delay, calls for restraint (a statement) unless one of them has invoked it."""
        if self.response is not None or self.invoked or self._restraint_due:
            return
        for member in self.members:
            for adv in member.adversaries:
                if adv in self.members and max(member.rung, adv.rung) >= FIGHTING:
                    self._restraint_due = True
                    self.model.schedule_event(
                        self.call_for_restraint, after=max(self.spec.response_delay_hours, 1e-6)
                    )
                    return

    def call_for_restraint(self) -> None:
        if self.response is None and not self.invoked:
            self.response = RESPONSES.index("statement")
            parties = ", ".join(sorted(m.name for m in self.members if m.belligerent))
            self.model.log.act(
                self.model.hour,
                self.spec.name,
                parties,
                "statement",
                "members fight each other: calls for restraint",
            )

    def respond(self) -> None:
        rng, spec = self.model.stream("alliances", f"alliance.{self.id}"), self.spec
        honours = rng.random() < spec.honour_prior * spec.cohesion
        cohesive = rng.random() < spec.cohesion
        self.capacity = self.effective_capacity * math.exp(rng.normal(0.0, spec.response_noise))
        self.response = response_level(
            honours, cohesive, self.capacity, spec.obligation, spec.required_capacity
        )
        label = RESPONSES[self.response]
        if label == "military_aid":
            self.invoked_by.aid_multiplier = spec.aid_multiplier
        if label == "peacekeepers" and self.attacker is not None:
            self.model.guard(self.invoked_by, self.attacker, "peacekeepers")
        why = (
            f"capacity mustered {self.capacity:.0%} (the leader's {self.effective_capacity:.0%} "
            "after distraction); "
            f"{'honours' if honours else 'does not honour'} the commitment"
        )
        self.model.log.act(self.model.hour, spec.name, self.invoked_by.name, label, why)

    @property
    def pressure(self) -> float:
        """Diplomatic pressure this alliance puts on the member's aggressor, per hour."""
        if self.response is None or self.response < RESPONSES.index("diplomatic_pressure"):
            return 0.0
        return self.spec.pressure_scale * self.capacity * self.response / (len(RESPONSES) - 1)
