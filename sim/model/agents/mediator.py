"""What a mediator is and does: restraint calls, shuttle diplomacy, ceasefire proposals, pressure.

From its arrival hour it acts in each hour with probability ``attention``; mediators act in a
random order each hour: by each one's own hourly draw from the mediation stream, so removing one
mediator leaves the others' order as it was (``model.mediator_order = "listed"`` keeps the
scenario's order). Every style calls for restraint (pressure ``leverage × acceptance`` on each
party, × ``manipulative_pressure`` if manipulative) and shuttles (a belief signal of precision
``leverage × acceptance``, so beliefs converge faster). An agreement it brokers lifts
``leverage × acceptance`` of a party's audience cost for backing down (its cover). Formulative and
manipulative mediators also propose ceasefires every ``proposal_interval_hours``; where the parties would
refuse a plain ceasefire, they formulate terms: the cheapest concessions by one party to the
other's demands with which both would accept (``bargaining.formulate``). Manipulative ones
add inducements ``b = inducement_share × leverage`` (per hour of the horizon) to the bargaining range
(``sim.model.bargaining``). A party can reject a mediator outright (acceptance 0); acceptance may
change from a given hour (``acceptance_after``) or rise under economic pressure. A biased mediator
(Kydd 2003) is (1 + bias) as credible to the side it favours — its signals are more precise, its
proposals more likely to be engaged with and its cover larger — and (1 − bias) to the other. A
Security Council acts only if no veto holder blocks.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import mesa

from sim.model import bargaining
from sim.model.ceasefire import broker_part
from sim.model.ladder import FIGHTING
from sim.model.randomness import Hourly, PerHour
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
        self._acceptance = dict(spec.acceptance)
        self._summit = False  # leaders in one room: every party engages with the next proposal
        self.veto_draws = PerHour(model.stream("mediation", f"mediator.{mediator_id}"))
        hours = model.spec.horizon_hours
        self.attention_draw = Hourly(model.stream("mediation", f"attention.{mediator_id}"), hours)
        self.order_draw = Hourly(model.stream("mediation", f"order.{mediator_id}"), hours)
        self.engage_draw = Hourly(
            model.stream("bargaining", f"mediator.{mediator_id}"), hours, len(model.spec.states)
        )
        self._slot = {sid: k for k, sid in enumerate(model.spec.states)}

    @property
    def manipulative(self) -> bool:
        return self.spec.style == "manipulative"

    @property
    def active(self) -> bool:
        return self.spec.enabled and self.arrived and not self.blocked

    def acceptance(self, state: StateAgent) -> float:
        return self._acceptance.get(state.id, 1.0)

    def credibility(self, state: StateAgent) -> float:
        """How far ``state`` trusts what it hears from this mediator: acceptance × bias factor."""
        if self.spec.favours is None:
            return self.acceptance(state)
        tilt = self.spec.bias if state.id == self.spec.favours else -self.spec.bias
        return min(1.0, self.acceptance(state) * (1.0 + tilt))

    def cover(self, state: StateAgent) -> float:
        """Share of a party's audience cost an agreement through this mediator lifts."""
        return min(1.0, self.spec.leverage * self.credibility(state))

    def pressure_on(self, state: StateAgent) -> float:
        if not self.active or not self.model.spec.mechanisms.mediator_pressure:
            return 0.0
        boost = self.model.spec.model.manipulative_pressure if self.manipulative else 1.0
        return self.spec.leverage * self.acceptance(state) * boost

    def raise_acceptance(self, state: StateAgent, amount: float) -> None:
        self._acceptance[state.id] = min(1.0, self.acceptance(state) + amount)

    def act(self) -> None:
        if not self.spec.enabled or self.blocked:
            return
        m = self.model
        change = self.spec.acceptance_after
        if change is not None and m.hour == int(change.hour):
            self._acceptance.update(change.acceptance)
            m.log.act(
                m.hour, ", ".join(change.acceptance), self.name, "change_acceptance", "acceptance changes"
            )
        if not self.arrived:
            if m.hour < self.spec.arrival_hour:
                return
            self.arrive()
            if self.blocked:
                return
        if self.attention_draw(m.hour) >= self.spec.attention and not self._summit:
            return
        for a, b in m.dyads:
            if max(a.rung, b.rung) < FIGHTING:
                continue
            self.shuttle(a, b)
            if (
                self.spec.style != "facilitative"
                and m.agreement(a, b) is None
                and (self._summit or m.hour - self.last_proposal >= self.spec.proposal_interval_hours)
            ):
                self.propose(a, b, reason="")
        self._summit = False

    def arrive(self) -> None:
        m = self.model
        self.arrived = True
        if self.spec.security_council:
            draws = self.veto_draws.at(self.model.hour)
            blockers = [h for h, p in self.spec.veto_holders.items() if draws.random() < p]
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
        m.log.act(m.hour, self.name, parties, "restraint_call", reason or "urges both sides to stop firing")

    def summit(self, reason: str = "") -> None:
        """Leaders in one room: the next proposal is engaged with by every party, now."""
        m = self.model
        self._summit = True
        m.log.act(m.hour, self.name, ", ".join(s.name for s in m.belligerents), "summit", reason or "summit")

    def shuttle(self, a: StateAgent, b: StateAgent) -> None:
        noise = self.model.spec.model.signal_noise
        for state, other in ((a, b), (b, a)):
            precision = self.spec.leverage * self.credibility(state)
            if precision > 0.0:
                state.learn(other, 1.0, noise, precision)

    def propose_ceasefire(self, reason: str = "") -> None:
        for a, b in self.model.dyads:
            if self.model.agreement(a, b) is None:
                self.propose(a, b, reason)

    def propose(self, a: StateAgent, b: StateAgent, reason: str) -> None:
        """Put a ceasefire to both parties; it takes effect if both accept."""
        m = self.model
        self.last_proposal = m.hour
        horizon = m.horizon_value
        gap_a, gap_b = a.gap(b, self.cover(a)), b.gap(a, self.cover(b))
        inducement = (
            m.spec.model.inducement_share * self.spec.leverage * horizon if self.manipulative else 0.0
        )
        cap = self.spec.leverage * horizon
        conceder, terms = None, ()
        formulates = m.spec.mechanisms.formulation and self.spec.style != "facilitative"
        if formulates and not bargaining.workable(gap_a, gap_b, inducement, cap):
            conceder, terms, gap_a, gap_b = self.formulate(a, b, gap_a, gap_b, inducement, cap)
        if terms:
            reason = f"{reason}; " if reason else ""
            reason += f"on terms: {conceder.name} concedes {', '.join(terms)}"
        m.log.act(
            m.hour, self.name, f"{a.name}, {b.name}", "propose_ceasefire", reason or "fighting continues"
        )
        transfer = bargaining.proposed_transfer(gap_a, gap_b, inducement, cap)
        verdicts = []
        for state, gap, share in ((a, gap_a, transfer), (b, gap_b, -transfer)):
            engages = self._summit or self.engage_draw(m.hour, self._slot[state.id]) < self.credibility(state)
            ok = engages and m.spec.mechanisms.agreements and bargaining.accepts(gap, share, inducement)
            if not engages:
                why = f"does not engage with {self.name}"
            elif ok:
                why = "stopping now is worth more than fighting on"
            else:
                why = "expects to gain more by fighting on"
            m.log.act(m.hour, state.name, self.name, "accept_ceasefire" if ok else "reject_ceasefire", why)
            verdicts.append(ok)
        if all(verdicts):
            for demand in terms:
                conceder.concede(b if conceder is a else a, demand, f"on the terms {self.name} put")
            bonus = m.spec.ceasefire.manipulative_bonus if self.manipulative else 0.0
            part = broker_part(self.spec.leverage, [self.acceptance(a), self.acceptance(b)], bonus)
            m.agree(self, a, b, "mediated", terms, part)

    def formulate(
        self, a: StateAgent, b: StateAgent, gap_a: float, gap_b: float, inducement: float, cap: float
    ) -> tuple[StateAgent | None, tuple[str, ...], float, float]:
        """Terms both parties would take (``bargaining.formulate``): the cheapest concessions by
        either party to the other's demands (each priced in the conceder's own domestic cost), as
        (conceder, terms, a's gap, b's gap); no terms and the gaps as they were if none does."""
        found = []
        for conceder, demander, own in ((a, b, gap_a), (b, a, gap_b)):
            deal = bargaining.formulate(
                conceder.concession_options(demander),
                own,
                partial(self.gap_with, demander, conceder),
                inducement,
                cap,
            )
            if deal is None:
                continue
            terms, gap_c, gap_d = deal
            gaps = {conceder.id: gap_c, demander.id: gap_d}
            found.append((gap_c - own, conceder, terms, gaps[a.id], gaps[b.id]))  # cost first
        if not found:
            return None, (), gap_a, gap_b
        return min(found, key=lambda f: f[0])[1:]

    def gap_with(self, demander: StateAgent, conceder: StateAgent, terms: tuple[str, ...]) -> float:
        """``demander``'s gap on a deal through this mediator with ``terms`` conceded to it."""
        return demander.gap(conceder, self.cover(demander), extra=terms)
