"""What a mediator is and does: restraint calls, shuttle diplomacy, ceasefire proposals, pressure.

From its arrival hour it acts in each hour with probability ``attention``. Every style calls for
restraint (pressure ``leverage × acceptance`` on each party, doubled if manipulative) and shuttles
(a belief signal of precision ``leverage × acceptance``, so beliefs converge faster). An agreement
it brokers lifts ``leverage × acceptance`` of a party's audience cost for backing down. Formulative and
manipulative mediators also propose ceasefires every ``proposal_interval_hours``; manipulative ones
add inducements ``b = leverage / 2`` to the bargaining range (``sim.model.bargaining``). A party can reject a
mediator outright (acceptance 0). A Security Council acts only if no veto holder blocks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from sim.model import bargaining
from sim.model.ceasefire import agreement_strength
from sim.model.ladder import FIGHTING
from sim.scenario.schema import Mediator

if TYPE_CHECKING:
    from sim.model.agents.state import StateAgent
    from sim.model.escalation import EscalationModel


class MediatorAgent(mesa.Agent):
    model: EscalationModel

    def __init__(self, model: EscalationModel, mediator_id: str, spec: Mediator) -> None:
        super().__init__(model)
        self.id, self.spec, self.name = mediator_id, spec, spec.name
        self.arrived = False
        self.blocked = False
        self.last_proposal = -1e9

    @property
    def manipulative(self) -> bool:
        return self.spec.style == "manipulative"

    @property
    def active(self) -> bool:
        return self.spec.enabled and self.arrived and not self.blocked

    def acceptance(self, state: StateAgent) -> float:
        return self.spec.acceptance.get(state.id, 1.0)

    def cover(self, state: StateAgent) -> float:
        """Share of a party's audience cost an agreement through this mediator lifts."""
        return self.spec.leverage * self.acceptance(state)

    def pressure_on(self, state: StateAgent) -> float:
        if not self.active:
            return 0.0
        return self.spec.leverage * self.acceptance(state) * (2.0 if self.manipulative else 1.0)

    def act(self) -> None:
        if not self.spec.enabled or self.blocked:
            return
        if not self.arrived:
            if self.model.hour < self.spec.arrival_hour:
                return
            self.arrive()
            if self.blocked:
                return
        if self.model.streams["mediation"].random() >= self.spec.attention:
            return
        for a, b in self.model.dyads:
            if max(a.rung, b.rung) < FIGHTING:
                continue
            self.shuttle(a, b)
            hour = self.model.hour
            if (
                self.spec.style != "facilitative"
                and not self.model.ceasefire_for(a)
                and hour - self.last_proposal >= self.spec.proposal_interval_hours
            ):
                self.propose(a, b, reason="")

    def arrive(self) -> None:
        m = self.model
        self.arrived = True
        if self.spec.security_council:
            blockers = [h for h, p in self.spec.veto_holders.items() if m.streams["mediation"].random() < p]
            if blockers:
                self.blocked = True
                m.log.act(
                    m.hour,
                    ", ".join(blockers),
                    self.name,
                    "veto",
                    "a permanent member blocks action",
                    action="blocks any action",
                )
                return
        parties = ", ".join(s.name for s in m.belligerents)
        m.log.act(
            m.hour,
            self.name,
            parties,
            "arrive",
            f"leverage {self.spec.leverage:.2f}, {self.spec.style} style",
        )
        for state in m.belligerents:
            if self.acceptance(state) == 0.0:
                m.log.act(
                    m.hour,
                    state.name,
                    self.name,
                    "reject_mediator",
                    "does not accept it as a mediator",
                    action=f"rejects {self.name} as a mediator",
                )
        self.call_for_restraint()

    def call_for_restraint(self, reason: str = "") -> None:
        m = self.model
        parties = ", ".join(s.name for s in m.belligerents)
        m.log.act(
            m.hour,
            self.name,
            parties,
            "restraint_call",
            reason or "urges both sides to stop firing",
        )

    def shuttle(self, a: StateAgent, b: StateAgent) -> None:
        noise = self.model.spec.model.signal_noise
        for state in (a, b):
            precision = self.spec.leverage * self.acceptance(state)
            if precision > 0.0:
                state.learn(1.0, noise, precision)

    def propose_ceasefire(self, reason: str = "") -> None:
        for a, b in self.model.dyads:
            self.propose(a, b, reason)

    def propose(self, a: StateAgent, b: StateAgent, reason: str) -> None:
        """Put a ceasefire to both parties; it takes effect if both accept."""
        m = self.model
        self.last_proposal = m.hour
        m.log.act(
            m.hour,
            self.name,
            f"{a.name}, {b.name}",
            "propose_ceasefire",
            reason or "fighting continues",
        )
        gap_a = bargaining.surplus_needed(*a.fight_and_stop_values(self.cover(a)))
        gap_b = bargaining.surplus_needed(*b.fight_and_stop_values(self.cover(b)))
        inducement = self.spec.leverage / 2.0 if self.manipulative else 0.0
        transfer = bargaining.proposed_transfer(gap_a, gap_b, inducement, self.spec.leverage)
        verdicts = []
        for state, gap, share in ((a, gap_a, transfer), (b, gap_b, -transfer)):
            engages = m.streams["bargaining"].random() < self.acceptance(state)
            ok = engages and bargaining.accepts(gap, share, inducement)
            if not engages:
                why = f"does not engage with {self.name}"
            elif ok:
                why = "stopping now is worth more than fighting on"
            else:
                why = "expects to gain more by fighting on"
            m.log.act(m.hour, state.name, self.name, "accept_ceasefire" if ok else "reject_ceasefire", why)
            verdicts.append(ok)
        if all(verdicts):
            strength = agreement_strength(
                self.spec.leverage, [self.acceptance(a), self.acceptance(b)], self.manipulative
            )
            m.agree_ceasefire(self, a, b, strength)
