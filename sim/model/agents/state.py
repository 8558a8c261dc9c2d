"""What a state is and decides: its rung each hour, concessions, treaty invocation, learning."""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.model import bargaining, decision
from sim.model.beliefs import StrengthBelief
from sim.model.ladder import FIGHTING, Rung, describe
from sim.scenario.schema import State

if TYPE_CHECKING:
    from sim.model.agents.alliance import AllianceAgent
    from sim.model.escalation import EscalationModel


def draw_resolve(rng: np.random.Generator, mean: float, sd: float) -> float:
    """Private resolve: a log-normal draw with the given mean and standard deviation."""
    if mean <= 0.0 or sd <= 0.0:
        return mean
    sigma2 = math.log1p((sd / mean) ** 2)
    return float(rng.lognormal(math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2)))


class StateAgent(mesa.Agent):
    """A state: forces, firepower, resolve, aims, beliefs, rung, commitments and alliances."""

    model: EscalationModel

    def __init__(self, model: EscalationModel, state_id: str, spec: State) -> None:
        super().__init__(model)
        self.id, self.spec, self.name = state_id, spec, spec.name
        self.resolve = draw_resolve(model.streams["resolve"], spec.resolve_mean, spec.resolve_sd)
        self.rung = self.peak_rung = spec.initial_rung
        self.commitment = 0.0  # rung publicly committed to (audience costs), fading
        self.adversary: StateAgent | None = None
        self.belief: StrengthBelief | None = None
        self.alliances: list[AllianceAgent] = []
        self.conceded: list[str] = []  # concessions this state has made
        self.refused: set[str] = set()
        self.military_deaths = 0
        self.aid_multiplier = 1.0  # > 1 once allies send military aid
        self._next = self.rung

    # --- what it is -------------------------------------------------------------------------
    @property
    def belligerent(self) -> bool:
        return self.adversary is not None and self.spec.war_aim != "none"

    @property
    def forces(self) -> float:
        return self.model.force_total[self.id]

    @property
    def loss_weight(self) -> float:
        """Utility per expected own death: casualty sensitivity, growing with war weariness."""
        weariness = 1.0 + self.military_deaths / self.model.spec.model.weariness_deaths
        return self.spec.casualty_sensitivity * weariness / 10.0

    @property
    def effectiveness(self) -> float:
        """Per-soldier fire effectiveness: firepower × drones × allied aid."""
        return self.spec.firepower * self.spec.drones * self.aid_multiplier

    @property
    def strength(self) -> float:
        return self.forces * self.effectiveness

    @property
    def unmet(self) -> float:
        """Share of its demands still worth fighting for: not conceded, and a demand the adversary
        has declared a red line counts only as much as the red line might still bend."""
        demands = self.spec.demands
        if not demands:
            return 1.0
        bend = self.model.spec.model.red_line_credibility
        adv = self.adversary
        return sum(
            0.0 if d in adv.conceded else (1.0 - bend) if d in adv.refused else 1.0 for d in demands
        ) / len(demands)

    def meet_adversary(self, adversary: StateAgent) -> None:
        self.adversary = adversary
        self.belief = StrengthBelief.prior(adversary.strength, self.spec.belief_bias, self.spec.belief_sd)

    # --- what it decides --------------------------------------------------------------------
    def situation(self) -> decision.Situation:
        m, spec, adv = self.model, self.spec, self.adversary
        believed_ratio = self.belief.expected / max(adv.strength, 1e-9)
        return decision.Situation(
            aim=spec.war_aim,
            stake=spec.stake * self.resolve,
            unmet=self.unmet,
            share=self.belief.share(self.strength),
            opponent_rung=adv.rung,
            loss_weight=self.loss_weight,
            deaths_per_fire=m.expected_deaths_per_fire(self) * believed_ratio,
            pressure=m.pressure_on(self),
            intervention=sum(
                a.credibility * a.spec.intervention_cost for a in adv.alliances if self not in a.members
            ),
            domestic=spec.domestic_pressure,
            audience=spec.audience_cost,
            commitment=self.commitment,
            territory_gain=spec.territorial_value * m.spec.combat.advance_km2_per_hour,
            current=self.rung,
            switching=m.spec.model.switching_cost,
        )

    def decide(self) -> None:
        """Choose next hour's rung (applied by ``commit`` so that all states move together)."""
        if not self.belligerent:
            return
        self.consider_concessions()
        if self.model.ceasefire_for(self):
            ceiling = Rung.THREATS
        elif self.adversary.rung == Rung.FULL_WAR:
            ceiling = Rung.FULL_WAR
        else:
            ceiling = self.spec.max_rung
        utility = decision.utilities(self.situation())
        allowed = decision.reachable(self.rung, self.model.spec.model.max_rung_change, ceiling)
        self._next = decision.logit_choice(
            self.model.streams["decisions"], utility, self.model.spec.model.logit_precision, allowed
        )

    def commit(self) -> None:
        if not self.belligerent:
            return
        self.commitment = max(0.0, self.commitment - self.model.spec.model.commitment_decay)
        if self._next != self.rung:
            self.set_rung(self._next, self._why(self._next))

    def set_rung(self, rung: int, reason: str) -> None:
        old, self.rung = self.rung, rung
        self.peak_rung = max(self.peak_rung, rung)
        if max(old, rung) < FIGHTING:
            return  # moves between threats and talks are not worth a line
        verb = describe(rung, self.adversary.name)
        if rung < FIGHTING:
            verb = "stops firing and " + verb
        self.model.log.rung(self.model.hour, self.name, self.adversary.name, rung, reason, action=verb)

    def _why(self, rung: int) -> str:
        """A short reason in plain words, from the terms that drove the choice."""
        s = self.situation()
        if rung > self.rung:
            if s.aim == "defensive":
                return f"answers {self.adversary.name}'s fire in kind"
            return (
                f"believes it holds {s.share:.0%} of the strength on the front; "
                f"{s.unmet:.0%} of its demands unmet"
            )
        parts = []
        if self.military_deaths:
            parts.append(f"{self.military_deaths} of its soldiers killed so far")
        if s.pressure > self.model.spec.model.international_pressure:
            parts.append("mounting mediator pressure")
        if s.unmet < 1.0 and s.aim != "defensive":
            parts.append("part of its demands met")
        if s.intervention > 0.05:
            parts.append("fear of allied intervention")
        return "; ".join(parts) or "the costs of fighting on outweigh the gains"

    def open_offensive(self, rung: int, note: str) -> None:
        """A scheduled offensive: jump to ``rung`` and commit to it in public."""
        self.commitment = float(rung)
        self._next = rung
        self.set_rung(rung, note or "scheduled offensive")

    def stand_down(self) -> None:
        """An agreed ceasefire: stop firing now; the agreement lifts any public commitment."""
        self.commitment = 0.0
        self.rung = self._next = Rung.CEASEFIRE

    def consider_concessions(self) -> None:
        """Concede a demand once the losses suffered, weighed by casualty sensitivity and war
        weariness, exceed its domestic cost; never a red line."""
        adv = self.adversary
        if adv.rung < FIGHTING:
            return
        suffered = self.loss_weight * self.military_deaths
        for demand in adv.spec.demands:
            if demand in self.conceded:
                continue
            if demand in self.spec.red_lines:
                if demand not in self.refused:
                    self.refused.add(demand)
                    self.model.log.act(
                        self.model.hour,
                        self.name,
                        adv.name,
                        "refuse",
                        f"`{demand}` is a red line",
                        action=f"refuses {demand}",
                    )
            elif demand in self.spec.concessions and bargaining.concedes(
                suffered, self.spec.concessions[demand]
            ):
                self.conceded.append(demand)
                self.model.log.act(
                    self.model.hour,
                    self.name,
                    adv.name,
                    "concede",
                    f"{self.military_deaths} soldiers killed: the cost of fighting on "
                    f"({suffered:.1f}) now exceeds the domestic cost ({self.spec.concessions[demand]:.1f})",
                    action=f"signals it could concede {demand}",
                )

    def fight_and_stop_values(self, cover: float = 0.0) -> tuple[float, float]:
        """(value of fighting on, value of both sides stopping) this hour, for bargaining.

        ``cover`` is the share of the audience cost of backing down that a mediated agreement
        lifts: a leader can blame the broker (face-saving, Beardsley 2011)."""
        s = self.situation()
        fight = max(decision.utilities(s)[FIGHTING:])
        stop = decision.utilities(
            dataclasses.replace(s, opponent_rung=0, audience=s.audience * (1.0 - cover))
        )[0]
        return fight, stop

    def invoke(self, alliance: AllianceAgent, reason: str) -> None:
        if self in alliance.members and not alliance.invoked:
            self.model.log.act(
                self.model.hour,
                self.name,
                alliance.spec.name,
                "invoke_treaty",
                reason or f"{self.adversary.name} attacks at rung {self.adversary.rung}",
            )
            alliance.invoke(self)

    def invoke_if_attacked(self) -> None:
        trigger = self.model.spec.model.treaty_trigger_rung
        if self.belligerent and trigger is not None and self.adversary.rung >= trigger:
            for alliance in self.alliances:
                if not alliance.invoked and self.adversary not in alliance.members:
                    self.invoke(
                        alliance,
                        f"{self.adversary.name} {describe(self.adversary.rung, self.name)}",
                    )

    # --- what it learns ---------------------------------------------------------------------
    def learn(self, fire: float, noise_sd: float, precision: float = 1.0) -> None:
        """Update the belief from a signal of the given fire intensity (or mediator precision)."""
        if not self.belligerent or fire <= 0.0:
            return
        noise_var = noise_sd * noise_sd / (fire * precision)
        signal = math.log(max(self.adversary.strength, 1e-9)) + self.model.streams["learning"].normal(
            0.0, math.sqrt(noise_var)
        )
        self.belief.observe(signal, noise_var)
