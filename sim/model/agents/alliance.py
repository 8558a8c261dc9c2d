"""What an alliance is and decides: its response when a member invokes the treaty.

Responses form a ladder of their own — ignore, statement, fact-finding mission, diplomatic pressure,
peacekeepers, military aid. On invocation the alliance honours its commitment with probability
``honour_prior × cohesion`` (Leeds et al. 2000 find about 0.75 for the prior). If it honours, it
sends the strongest response its leader can muster: capacity ``c = capacity × (1 − distraction) × ε``
(ε log-normal) must reach each response's requirement. A consultation pact stops at diplomatic
pressure. The response takes effect after a delay. Before that, an aggressor weighs the alliance's
credibility ``κ = honour_prior × cohesion × capacity × (1 − distraction)``; after it, what the
response reveals (``REVEALED_CREDIBILITY``: a fact-finding mission reads as 0.05, military aid as 1).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa

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
REQUIRED_CAPACITY = (0.0, 0.0, 0.05, 0.30, 0.55, 0.70)
# Probability of armed intervention an aggressor reads into each response: a weak answer reveals
# a hollow commitment and lowers credibility below the prior.
REVEALED_CREDIBILITY = (0.0, 0.02, 0.05, 0.15, 0.5, 1.0)
CONSULTATION_CEILING = RESPONSES.index("diplomatic_pressure")
AID_MULTIPLIER = 1.3  # a member's fire effectiveness once allied arms arrive


def response_level(honours: bool, cohesive: bool, capacity: float, obligation: str) -> int:
    """The strongest response within reach, given the draws of one run."""
    if not honours:
        return RESPONSES.index("statement") if cohesive else RESPONSES.index("ignore")
    ceiling = CONSULTATION_CEILING if obligation == "consultation" else len(RESPONSES) - 1
    level = max(k for k, need in enumerate(REQUIRED_CAPACITY) if capacity >= need)
    return min(max(level, RESPONSES.index("statement")), ceiling)


class AllianceAgent(mesa.Agent):
    model: EscalationModel

    def __init__(self, model: EscalationModel, alliance_id: str, spec: Alliance) -> None:
        super().__init__(model)
        self.id, self.spec = alliance_id, spec
        self.members: list[StateAgent] = [model.states[m] for m in spec.members]
        self.invoked_by: StateAgent | None = None
        self.response: int | None = None
        for member in self.members:
            member.alliances.append(self)

    @property
    def invoked(self) -> bool:
        return self.invoked_by is not None

    @property
    def effective_capacity(self) -> float:
        return self.spec.leader_capacity * (1.0 - self.spec.leader_distraction)

    @property
    def credibility(self) -> float:
        if self.response is not None:
            return REVEALED_CREDIBILITY[self.response]
        return self.spec.honour_prior * self.spec.cohesion * self.effective_capacity

    @property
    def response_label(self) -> str:
        if self.response is None:
            return "pending" if self.invoked else "not_invoked"
        return RESPONSES[self.response]

    def invoke(self, member: StateAgent) -> None:
        self.invoked_by = member
        self.model.schedule_event(self.respond, after=max(self.spec.response_delay_hours, 1e-6))

    def respond(self) -> None:
        rng, spec = self.model.streams["alliances"], self.spec
        honours = rng.random() < spec.honour_prior * spec.cohesion
        cohesive = rng.random() < spec.cohesion
        capacity = self.effective_capacity * math.exp(rng.normal(0.0, spec.response_noise))
        self.response = response_level(honours, cohesive, capacity, spec.obligation)
        label = RESPONSES[self.response]
        if label == "military_aid":
            self.invoked_by.aid_multiplier = AID_MULTIPLIER
        why = (
            f"leader's capacity {self.effective_capacity:.0%} after distraction; "
            f"{'honours' if honours else 'does not honour'} the commitment"
        )
        self.model.log.act(self.model.hour, spec.name, self.invoked_by.name, label, why)

    @property
    def pressure(self) -> float:
        """Diplomatic pressure this alliance puts on the member's aggressor, per hour."""
        if self.response is None or self.response < RESPONSES.index("diplomatic_pressure"):
            return 0.0
        return 0.5 * self.effective_capacity * self.response / (len(RESPONSES) - 1)
