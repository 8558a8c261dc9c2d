"""Scheduled events from the scenario, fired on Mesa's event list at their hour.

Events open a crisis and bring the facts exogenous to it (the opening move, an envoy's proposal, a
summit, economic pressure, a declaration); they never decide how it goes: an offensive sets the
actor's opening rung once (against a state it was not yet fighting, it opens that war: a third
party's dated entry; during a truce with its target, it breaks the truce: a dated attack is a
breach), and every later rung, invocation, concession and ceasefire is an agent's decision.
What-ifs move (``hour``), remove (``enabled = false``) or add events. Each event is an object
whose bound ``fire`` method Mesa holds (Mesa keeps callbacks by weak reference, so the model keeps
the objects alive).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesa.time import Priority

from sim.model.ladder import FIGHTING
from sim.scenario.schema import Event

if TYPE_CHECKING:
    from sim.model.escalation import EscalationModel


class ScheduledEvent:
    def __init__(self, model: EscalationModel, event_id: str, spec: Event) -> None:
        self.model, self.id, self.spec = model, event_id, spec

    def schedule(self) -> None:
        # LOW priority: the event fires after the step that closes the previous hour, before the
        # step that simulates its own hour.
        self.model.schedule_event(self.fire, at=float(self.spec.hour), priority=Priority.LOW)

    def fire(self) -> None:
        m, e = self.model, self.spec
        match e.kind:
            case "offensive":
                actor = m.states[e.actor]
                target = m.states[e.target] if e.target is not None else None
                if target is not None:
                    m.open_war(actor, target)
                if e.rung >= FIGHTING:  # a show of force below fire breaks no truce
                    m.breach(actor, target)
                actor.open_offensive(e.rung, e.note)
            case "treaty_invocation":
                m.states[e.actor].invoke(m.alliances[e.target], e.note)
            case "ceasefire_proposal":
                m.mediators[e.actor].propose_ceasefire(reason=e.note)
            case "restraint_call":
                m.mediators[e.actor].call_for_restraint(reason=e.note)
            case "ceasefire_declaration":
                m.states[e.actor].declare(m.states.get(e.target), e.note)
            case "summit":
                m.mediators[e.actor].summit(e.note)
                for state in m.belligerents if m.spec.mechanisms.bargaining else ():
                    for adv in list(state.adversaries):
                        if m.agreement(state, adv) is None:
                            state.offer(adv)
            case "economic_pressure":
                m.apply_pressure(e.actor, m.states[e.target], e.amount, e.note)
