"""What a state is and decides: its rung each hour, offers and concessions, treaty invocation,
joining a war, and what it learns from the fighting on its own fronts."""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.model import bargaining, decision, mobilisation, parties, territory
from sim.model.beliefs import StrengthBelief, yield_update
from sim.model.ladder import FIGHTING, Rung, describe
from sim.model.randomness import Hourly, PerHour
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
        hours = model.spec.horizon_hours
        self.shuttle_noise = PerHour(model.stream("learning", f"shuttle.{state_id}"))
        self.battle_noise = Hourly(
            model.stream("learning", f"state.{state_id}"), hours, len(model.spec.states), True
        )
        self._slot = {sid: k for k, sid in enumerate(model.spec.states)}
        self.decision_draw = Hourly(model.stream("decisions", f"state.{state_id}"), hours)
        self.alliance_draw = Hourly(model.stream("alliances", f"state.{state_id}"), hours, 8)
        self.unilateral_draw = Hourly(
            model.stream("unilateral", f"state.{state_id}"), hours, len(model.spec.states)
        )
        self.resolve = draw_resolve(model.stream("resolve", state_id), spec.resolve_mean, spec.resolve_sd)
        self.aim = spec.war_aim
        self.rung = self.peak_rung = spec.initial_rung
        self.commitment = 0.0  # rung publicly committed to (audience costs)
        self.outrage = 0.0  # own civilian deaths, fading (``EscalationModel.feel_outrage``)
        self.civilians_mourned = 0  # own civilian deaths already counted into outrage
        self.adversaries: list[StateAgent] = []
        self.beliefs: dict[str, StrengthBelief] = {}
        self.yields: dict[str, float] = {}  # belief that each adversary yields to force
        self.losses_seen = 0.0  # own losses up to the last hour (what the others have observed)
        self.alliances: list[AllianceAgent] = []
        self.clients: list[StateAgent] = []  # de facto entities it backs
        self.conceded: list[str] = []  # concessions this state has made
        self.refused: set[str] = set()
        self.declared: dict[str, int] = {}  # adversary id → hour of a unilateral ceasefire declaration
        self.lapsed: dict[str, int] = {}  # adversary id → hour its last declaration lapsed unmatched
        self.extra_pressure = 0.0  # economic pressure applied to it
        self.military_deaths = 0
        # positions and equipment lost to fire (not soldiers), in deaths' equivalent
        self.materiel_losses = 0.0
        self.aid_multiplier = 1.0  # > 1 once allies send military aid
        self.intervened = False  # entered a war already under way (a patron or ally joining)
        self.sectors_lost = 0  # sectors the enemy's offensives took from it (its own or taken ground)
        self.struck: dict[str, int] = {}  # adversary id → its deep strikes at it that got through
        # a punitive aim's one adversary (checks: exactly one); one met later it fights as a defender
        self.punishes = parties.foe_of(model.spec, state_id) if spec.targets is not None else None
        # adversary id → hours its soldiers have been under its fire (adaptation, combat.py)
        self.hours_under_fire: dict[str, int] = {}
        self._phase = int(
            model.stream("bargaining", f"state.{state_id}").integers(
                max(1, round(model.spec.model.offer_interval_hours))
            )
        )
        self._next = self.rung

    # --- what it is -------------------------------------------------------------------------
    @property
    def belligerent(self) -> bool:
        return bool(self.adversaries) and self.aim != "none"

    @property
    def adversary(self) -> StateAgent | None:
        """The adversary it fights hardest now: highest rung among those not under an agreement
        (ties: the first met); narratives and deep strikes aim at it."""
        best = None
        for adv in self.adversaries:
            if self.model.agreement(self, adv) is None and (best is None or adv.rung > best.rung):
                best = adv
        return best or (self.adversaries[0] if self.adversaries else None)

    @property
    def forces(self) -> float:
        return self.model.force_total[self.id]

    @property
    def losses(self) -> float:
        """What the fighting has cost it so far, in deaths: soldiers killed and the positions and
        equipment lost on a static line (``combat.split_harm``)."""
        return self.military_deaths + self.materiel_losses

    @property
    def size(self) -> float:
        """How many times the reference commitment (``model.reference_forces``) it has put into the
        theatre, at least 1. Losses count relative to the force that bears them: a state that sends
        an army of 60,000 into a war expects, accepts and can absorb more dead than one that sends
        10,000 to a border clash (Helmbold 1971 and Dupuy 1987 find forces break at a share of their
        strength, not at a number of dead), and an adversary reads its resolve from its losses on
        the same scale. Its commitment is its ``forces`` at hour 0 (reserves it may call up are not
        counted); below the reference the constants hold as fitted on the crisis library."""
        return max(1.0, self.spec.forces / self.model.spec.model.reference_forces)

    @property
    def loss_weight(self) -> float:
        """Utility per expected own loss (a death or its equivalent in materiel): casualty
        sensitivity, growing with war weariness, both on the scale of its commitment (``size``)."""
        m = self.model.spec.model
        weariness = 1.0 + self.losses / (m.weariness_deaths * self.size)
        return self.spec.casualty_sensitivity * weariness / (m.loss_scale * self.size)

    @property
    def effectiveness(self) -> float:
        """Per-soldier fire effectiveness: firepower × drones × allied aid."""
        return self.spec.firepower * self.spec.drones * self.aid_multiplier

    @property
    def strength(self) -> float:
        return self.forces * self.effectiveness

    def unmet(self, adv: StateAgent, extra: tuple[str, ...] = ()) -> float:
        """Share of its demands on ``adv`` still worth fighting for: not conceded (nor in
        ``extra``), and a demand ``adv`` has declared a red line counts only as much as the red
        line might still bend."""
        if self.spec.targets is not None:  # a punitive aim: the targets not yet struck
            if adv.id != self.punishes:
                return 0.0
            return max(0.0, 1.0 - self.struck.get(adv.id, 0) / self.spec.targets)
        demands = self.spec.demands
        if not demands:
            return 1.0
        bend = self.model.spec.model.red_line_credibility
        return sum(
            0.0 if d in adv.conceded or d in extra else (1.0 - bend) if d in adv.refused else 1.0
            for d in demands
        ) / len(demands)

    def obtained_demands(self, adv: StateAgent, extra: tuple[str, ...] = ()) -> bool:
        """Every demand it can still hope for (not a red line of ``adv``) has been conceded."""
        wanted = [d for d in self.spec.demands if d not in adv.spec.red_lines]
        return bool(wanted) and all(d in adv.conceded or d in extra for d in wanted)

    def meet(self, adversary: StateAgent) -> None:
        """Become enemies (symmetric): a belief about the other's strength, from the prior."""
        if adversary in self.adversaries:
            return
        self.adversaries.append(adversary)
        self.beliefs[adversary.id] = StrengthBelief.prior(
            adversary.strength, self.spec.belief_bias, self.spec.belief_sd
        )
        self.yields[adversary.id] = self.spec.yield_prior
        adversary.meet(self)

    # --- what it weighs ---------------------------------------------------------------------
    def situation(
        self,
        adv: StateAgent,
        split: int = 1,
        *,
        opponent_rung: int | None = None,
        cover: float = 0.0,
        share: float | None = None,
        resolve: float | None = None,
        extra: tuple[str, ...] = (),
    ) -> decision.Situation:
        """What it weighs against ``adv`` this hour; shared terms divided by ``split`` (the number
        of adversaries its one rung answers). Keyword overrides let another party estimate it."""
        m, spec = self.model, self.spec
        belief = self.beliefs[adv.id]
        own = opponent_rung is None and cover == 0.0 and share is None and resolve is None and not extra
        if share is None:
            share = self.balance(adv)
        by_force = self.breakthrough(adv)
        ground = 0.0  # the km² an hour it expects an offensive to take, as it values them
        if spec.territorial_value > 0.0:
            value = spec.territorial_value * m.spec.combat.advance_km2_per_hour
            ground = value * m.expected_frontage(self, adv)
        answering = m.answering(self, adv)
        if own:  # the same hour's own view is weighed several times (rung, offers, breakdown)
            key = (self.id, adv.id, split, self.rung, adv.rung, self.commitment, self.losses)
            key += (self.outrage, self.aim, share, by_force, ground, self.struck.get(adv.id, 0))
            key += (len(adv.conceded), len(adv.refused), belief.mean, self.yields[adv.id], answering)
            if key in m.memo:
                return copy.copy(m.memo[key])
        aim = self.aim if self.aim != "punitive" or adv.id == self.punishes else "defensive"
        believed_ratio = belief.expected / max(adv.strength, 1e-9)
        s = decision.Situation(
            aim=aim,
            stake=spec.stake * (self.resolve if resolve is None else resolve),
            unmet=self.unmet(adv, extra),
            yields=self.yields[adv.id],
            breakthrough=by_force,
            share=share,
            opponent_rung=adv.rung if opponent_rung is None else opponent_rung,
            loss_weight=self.loss_weight,
            deaths_per_fire=m.expected_deaths_per_fire(self, adv) * believed_ratio,
            deaths_per_strike=m.expected_deaths_per_strike(self, adv),
            pressure=m.pressure_on(self) / split,
            intervention=m.intervention_against(self, adv),
            answering=answering,
            domestic=(spec.domestic_pressure + m.spec.model.outrage_per_death * self.outrage) / split,
            audience=spec.audience_cost * (1.0 - cover) / split,
            commitment=0.0 if extra and self.obtained_demands(adv, extra) else self.commitment,
            territory_gain=ground,
            current=self.rung,
            switching=m.spec.model.switching_cost / split,
            mobilisation=0.0 if m.mobilisation[self.id].ordered else m.mobilisation_cost(self) / split,
            mobilise_rung=decision.N_RUNGS if spec.mobilise_at_rung is None else spec.mobilise_at_rung,
        )
        if own:
            m.memo[key] = copy.copy(s)
        return s

    def breakthrough(self, adv: StateAgent) -> float:
        """A conqueror's hope of taking what it fights ``adv`` for by force, 0 for any other aim.
        A coercer needs ``adv`` to yield (π, read from the fighting: ``learn_resolve``); a
        conqueror's ground offensive can take the ground without that (Schelling 1966's brute
        force against coercion; Reiter 2009: a side winning on the battlefield fights on), as far as
        it believes it would break through: the share of its fronts with ``adv`` where it would
        (``EscalationModel.breakthrough_share``). So a conqueror fights on while it can take ground,
        and one that cannot is left hoping that ``adv`` gives in."""
        if self.aim != "territorial" or not self.model.spec.mechanisms.conquest:
            return 0.0
        return self.model.breakthrough_share(self, adv)

    def fight_and_stop(self, adv: StateAgent, cover: float = 0.0, **estimate) -> tuple[float, float]:
        """(hourly value of fighting on at the best rung it can reach, of both sides stopping)
        against ``adv``, and the one-off audience cost of backing down from its public commitment,
        less the ``cover`` an agreement gives (a leader can blame the broker: face-saving,
        Beardsley 2011)."""
        cols = self.model.columns
        s = self.situation(adv, **estimate)
        backing_down = s.audience * s.commitment * (1.0 - cover)
        s.audience = s.switching = 0.0  # one-off costs of moving are not values of an outcome
        fight = self.best_fight(adv, decision.utilities(s, cols))
        s.opponent_rung = 0
        return fight, decision.utilities(s, cols)[0] - backing_down / self.model.horizon_value

    def best_fight(self, adv: StateAgent, utility: list[float]) -> float:
        """The value of fighting ``adv`` on at the best fighting rung it can reach: up to its
        ``max_rung`` (any rung once ``adv`` wages full-scale war), on the rungs it can fight ``adv``
        on (``EscalationModel.rungs_against``). A state with none (no front, and no strikes in its
        doctrine) cannot fight on: its best is to hold at threats while ``adv`` keeps its rung."""
        top = Rung.FULL_WAR if adv.rung == Rung.FULL_WAR else self.spec.max_rung
        rungs = [r for r in self.model.rungs_against(self, [adv]) if FIGHTING <= r <= top]
        return max((utility[r] for r in rungs), default=utility[min(top, Rung.THREATS)])

    def gap(self, adv: StateAgent, cover: float = 0.0, **estimate) -> float:
        """Its reservation gap against ``adv`` over the settlement horizon (``sim.model.bargaining``)."""
        return bargaining.gap(*self.fight_and_stop(adv, cover, **estimate), self.model.horizon_value)

    def side(self) -> list[StateAgent]:
        """Itself, its patron (whose backing it counts on) and the states fighting one of its
        adversaries beside it (kept for the hour: it changes only when a state joins a war)."""
        m = self.model
        key = ("side", self.id)
        if key not in m.memo:
            friends = [self, *([m.states[self.spec.patron]] if self.spec.patron else [])]
            for other in m.belligerents:
                beside = other not in friends and other not in self.adversaries
                if beside and any(a in self.adversaries for a in other.adversaries):
                    friends.append(other)
            m.memo[key] = friends
        return m.memo[key]

    def balance(self, adv: StateAgent) -> float:
        """Its believed share of the strength in its war with ``adv``: its side (``side``) against
        ``adv``'s side as far as it has met them as enemies — ``adv``, and the patron, clients and
        co-belligerents fighting beside it. A war against a client is a war against its backers:
        the balance that decides a war is between coalitions (Wolford 2015, *The Politics of
        Military Coalitions*; Bennett & Stam 1996 count allies' capabilities in the balance)."""
        m = self.model
        ground_war = max(self.rung, adv.rung) >= Rung.GROUND_OFFENSIVE
        reach = m.spec.model.potential_share if ground_war and m.spec.mechanisms.escalation_potential else 0.0
        if not m.spec.mechanisms.coalition_balance:
            own_side, enemies = [self], [adv]
        else:
            own_side = self.side()
            enemies = [s for s in adv.side() if s is adv or (s is not self and s in self.adversaries)]
        own = sum(s.strength + s.potential(reach) for s in own_side)
        believed = sum(self.beliefs[s.id].expected + s.potential(reach) for s in enemies)
        return own / (own + believed) if own + believed > 0.0 else 0.5

    def potential(self, share: float) -> float:
        """Strength it could still bring from outside the theatre (``sim.model.mobilisation``)."""
        theatre = self.spec.forces + self.spec.reserves
        return mobilisation.potential(self.spec.active_forces, theatre, self.effectiveness, share)

    def gives_up_ground(self) -> bool:
        """Does it hold its theatre hopeless, and so withdraw from border sectors it cannot hold
        rather than defend them (``sim.model.territory``, withdrawal)? From its own beliefs: the
        strength of its side (``side``) against the believed strength of every adversary fighting
        it, and whether one of them intervened in a war already under way."""
        m = self.model
        key = ("hopeless", self.id)
        if key not in m.memo:
            fighting = [a for a in self.adversaries if a.rung >= FIGHTING and m.agreement(self, a) is None]
            m.memo[key] = bool(fighting) and territory.hopeless(
                sum(s.strength for s in self.side()),
                sum(self.beliefs[a.id].expected for a in fighting),
                m.spec.combat.withdrawal_share,
                any(a.intervened for a in fighting),
            )
        return m.memo[key]

    # --- what it decides --------------------------------------------------------------------
    def decide(self) -> None:
        """Choose next hour's rung (applied by ``commit`` so that all states move together)."""
        if not self.belligerent:
            return
        m = self.model
        self.check_declarations()
        if m.spec.mechanisms.aim_revision:
            self.revise_aims()
        if m.spec.mechanisms.unilateral:
            self.consider_declaring()
        active = [a for a in self.adversaries if m.agreement(self, a) is None and a.id not in self.declared]
        if not active and not self.declared:
            return  # under agreements with every adversary it holds its fire until one ends
        if not active:
            ceiling = Rung.THREATS
        else:
            ceiling = Rung.FULL_WAR if any(a.rung == Rung.FULL_WAR for a in active) else self.spec.max_rung
            ceiling = min(ceiling, max(m.rung_cap(self, a) for a in active))
        fronts = active or self.adversaries
        utility = decision.summed(
            [decision.utilities(self.situation(a, len(fronts)), m.columns) for a in fronts]
        )
        allowed = decision.reachable(
            self.rung, m.spec.model.max_rung_change, ceiling, m.rungs_against(self, fronts)
        )
        self._next = decision.logit_pick(
            self.decision_draw(m.hour), utility, m.spec.model.logit_precision, allowed
        )

    def revise_aims(self) -> None:
        """A coercer or conqueror that the other side's offensive has driven back (it has lost a
        sector), and that believes it holds less than ``model.aim_revision_share`` of the strength
        in that war, gives up its offensive aims and fights on only to defend what it holds: war
        aims follow what the battlefield reveals (Goemans 2000, *War and Punishment*; Reiter 2009,
        *How Wars End*). Once revised, they stay so."""
        if self.aim == "defensive" or not self.sectors_lost:
            return
        m = self.model
        for adv in self.adversaries:
            if adv.rung < Rung.GROUND_OFFENSIVE or m.agreement(self, adv) is not None:
                continue
            share = self.balance(adv)
            if share < m.spec.model.aim_revision_share:
                self.aim = "defensive"
                m.log.act(
                    m.hour,
                    self.name,
                    adv.name,
                    "revise_aims",
                    f"believes it holds {share:.0%} of the strength in its war with "
                    f"{adv.name}'s side, which is on the offensive",
                )
                return

    def commit(self) -> None:
        if self.belligerent and self._next != self.rung:
            self.set_rung(self._next, self._why(self._next))

    def set_rung(self, rung: int, reason: str) -> None:
        old, self.rung = self.rung, rung
        self.peak_rung = max(self.peak_rung, rung)
        adv = self.adversary
        if max(old, rung) < FIGHTING or adv is None:
            return  # moves between threats and talks are not worth a line
        verb = describe(rung, adv.name)
        if rung < FIGHTING:
            verb = "stops firing and " + verb
        self.model.log.rung(self.model.hour, self.name, adv.name, rung, reason, action=verb)

    def _why(self, rung: int) -> str:
        """A short reason in plain words, from the terms that drove the choice."""
        adv = self.adversary
        s = self.situation(adv)
        if rung > self.rung:
            if s.aim == "defensive":
                return f"answers {adv.name}'s fire in kind"
            if s.aim == "punitive" and s.unmet > 0.0:
                left = self.spec.targets - self.struck.get(adv.id, 0)
                return f"{left} of its {self.spec.targets} targets still to strike"
            return (
                f"believes it holds {s.share:.0%} of the strength in the war; "
                f"{s.unmet:.0%} of its demands unmet"
            )
        parts = []
        if self.military_deaths:
            parts.append(f"{self.military_deaths} of its soldiers killed so far")
        if s.pressure > self.model.spec.model.international_pressure:
            parts.append("mounting international pressure")
        met = [d for d in self.spec.demands if d in adv.conceded]
        if met and s.aim != "defensive":
            parts.append(f"{', '.join(met)} conceded")
        # the fear it weighs: what self-defence leaves of it (decision.utilities)
        answered = s.answering and s.current <= s.opponent_rung
        if s.intervention * (1.0 - self.model.columns.self_defence * answered) > 0.05:
            parts.append("fear of allied intervention")
        return "; ".join(parts) or "the costs of fighting on outweigh the gains"

    def open_offensive(self, rung: int, note: str) -> None:
        """A scheduled opening move: jump to ``rung`` once and commit to it in public; what it
        does next is its own choice."""
        self.commitment = float(rung)
        self._next = rung
        self.set_rung(rung, note or "scheduled offensive")

    def stand_down(self) -> None:
        """An agreed ceasefire: stop firing now; the agreement lifts any public commitment."""
        self.commitment = 0.0
        self.rung = self._next = Rung.CEASEFIRE

    # --- offers, concessions, declarations --------------------------------------------------
    def make_offers(self) -> None:
        """Every ``offer_interval_hours``: an offer to each adversary it is fighting."""
        m = self.model
        if not self.belligerent or (m.hour - self._phase) % max(1, round(m.spec.model.offer_interval_hours)):
            return
        for adv in list(self.adversaries):
            if m.agreement(self, adv) is None and max(self.rung, adv.rung) >= FIGHTING:
                self.offer(adv)

    def offer(self, adv: StateAgent, reason: str = "") -> None:
        """Put the cheapest deal that beats fighting on, and that it expects ``adv`` to take, to
        ``adv`` (``bargaining.cheapest_offer``); concessions in it are made public at once."""
        m = self.model
        self.refuse_red_lines(adv)
        other_share = 1.0 - self.balance(adv)
        deal = bargaining.cheapest_offer(
            self.concession_options(adv),
            self.gap(adv),
            lambda terms: adv.gap(self, share=other_share, resolve=adv.spec.resolve_mean, extra=terms),
        )
        if deal is None:
            return
        for demand in deal:
            self.concede(adv, demand)
        accepted = m.spec.mechanisms.agreements and adv.gap(self) <= 0.0
        terms = f" conceding {', '.join(deal)}" if deal else ""
        m.log.act(m.hour, self.name, adv.name, "propose_ceasefire", reason or f"offers a ceasefire{terms}")
        m.log.act(
            m.hour,
            adv.name,
            self.name,
            "accept_ceasefire" if accepted else "reject_ceasefire",
            "the deal beats fighting on" if accepted else "expects to gain more by fighting on",
        )
        if accepted:
            m.agree(None, self, adv, "offer", deal)

    def concession_options(self, adv: StateAgent) -> list[tuple[str, float]]:
        """What it could still concede to ``adv``'s demands, with the domestic cost of each,
        cheapest first (none with the ``concessions`` mechanism off)."""
        if not self.model.spec.mechanisms.concessions:
            return []
        return sorted(
            (
                (d, self.spec.concessions[d])
                for d in adv.spec.demands
                if d in self.spec.concessions and d not in self.conceded
            ),
            key=lambda o: o[1],
        )

    def concede(self, adv: StateAgent, demand: str, how: str = "") -> None:
        m = self.model
        self.conceded.append(demand)
        cost = self.spec.concessions[demand]
        m.cede_territory(self, adv, demand)
        m.log.act(
            m.hour,
            self.name,
            adv.name,
            "concede",
            f"{self.military_deaths} soldiers killed; conceding (domestic cost {cost:.1f}) "
            f"{how + ' ' if how else ''}now beats the fighting it expects",
            action=f"signals it could concede {demand}",
        )
        adv.obtained_or_halts(self)

    def strike_home(self, adv: StateAgent, landed: int) -> None:
        """Count its strikes at ``adv`` that got through. A punitive aim is met by them, not by
        ``adv`` yielding: once its targets are struck it declares the strikes complete and drops its
        public commitment (a limited reprisal ends on the striker's word, Schelling 1966; India's
        "focused, measured" strikes of May 2025 and Iran's and Pakistan's of January 2024 were
        announced as done), and the fire that answers them is not a new attack for it to answer."""
        before = self.struck.get(adv.id, 0)
        self.struck[adv.id] = before + landed
        targets = self.spec.targets
        if adv.id == self.punishes and before < targets <= before + landed:
            self.commitment = 0.0
            self.model.log.act(
                self.model.hour, self.name, adv.name, "strikes_done", f"{targets} targets struck"
            )

    def obtained_or_halts(self, adv: StateAgent) -> None:
        """A coercer whose demands on ``adv`` are obtained drops its public commitment: it can
        de-escalate, and accept the next offer, without losing face."""
        if self.aim != "defensive" and self.obtained_demands(adv):
            self.commitment = 0.0

    def refuse_red_lines(self, adv: StateAgent) -> None:
        for demand in adv.spec.demands:
            if demand in self.spec.red_lines and demand not in self.refused:
                self.refused.add(demand)
                self.model.log.act(
                    self.model.hour,
                    self.name,
                    adv.name,
                    "refuse",
                    f"`{demand}` is a red line",
                    action=f"refuses {demand}",
                )

    def aimed_at(self, adv: StateAgent | None) -> list[StateAgent]:
        """The adversaries a move of its own reaches: ``adv``, or all of them when the move names
        none (a declaration, an offensive: its one rung answers every adversary)."""
        return [adv] if adv is not None else list(self.adversaries)

    def declare(self, adv: StateAgent | None, reason: str) -> None:
        """A unilateral ceasefire towards ``adv`` (or every adversary): it holds its fire and the
        other may match it (an agreement, ``bilateral``); unmatched, it lapses after
        ``declaration_patience_hours`` of the other's fire."""
        m = self.model
        for other in self.aimed_at(adv):
            if m.agreement(self, other) is not None:
                continue
            self.declared[other.id] = m.hour
            m.declarations.append([self.id, other.id, m.hour, None])
            m.log.act(
                m.hour,
                self.name,
                other.name,
                "declare_ceasefire",
                reason or "declares a unilateral ceasefire",
            )
        self.check_declarations()

    def fight_and_stop_alone(self, adv: StateAgent) -> tuple[float, float]:
        """(hourly value of fighting on at the best rung it can reach, of holding its fire alone
        while ``adv`` keeps its rung, less the audience cost of backing down spread over the
        settlement horizon) against ``adv`` — Slantchev (2003): a war is stopped when its value
        from here on turns negative, whatever the other does."""
        cols = self.model.columns
        s = self.situation(adv)
        backing_down = s.audience * s.commitment
        s.audience = s.switching = 0.0
        u = decision.utilities(s, cols)
        return self.best_fight(adv, u), max(u[:FIGHTING]) - backing_down / self.model.horizon_value

    def consider_declaring(self) -> None:
        """Declare a unilateral ceasefire towards an adversary it is fighting, with no agreement in
        force, when holding its fire alone beats the best fighting rung by the margin ``m``: with
        probability ``logistic(λ·(C₁ − F − m))`` each hour (its own ``unilateral`` stream). Not
        again within ``declaration_patience_hours`` of a declaration that lapsed unmatched."""
        m = self.model
        spec = m.spec.model
        for adv in self.adversaries:
            if adv.id in self.declared or m.agreement(self, adv) is not None:
                continue
            if max(self.rung, adv.rung) < FIGHTING:
                continue  # nothing to stop
            if m.hour - self.lapsed.get(adv.id, -(10**9)) < spec.declaration_patience_hours:
                continue
            fight, alone = self.fight_and_stop_alone(adv)
            p = parties.logistic(spec.logit_precision * (alone - fight - spec.unilateral_margin))
            if self.unilateral_draw(m.hour, self._slot[adv.id]) < p:
                self.declare(
                    adv,
                    f"holding its fire alone now beats fighting on ({self.military_deaths} of its "
                    f"soldiers killed so far)",
                )

    def check_declarations(self) -> None:
        m = self.model
        for adv_id, since in list(self.declared.items()):
            adv = m.states[adv_id]
            if m.agreement(self, adv) is not None:
                del self.declared[adv_id]
                m.end_declaration(self.id, adv_id)
            elif m.spec.mechanisms.agreements and adv.gap(self) <= 0.0:
                del self.declared[adv_id]
                m.end_declaration(self.id, adv_id)
                m.log.act(m.hour, adv.name, self.name, "accept_ceasefire", "matches the declared ceasefire")
                m.agree(None, self, adv, "declaration", ())
            elif m.hour - since >= m.spec.model.declaration_patience_hours and adv.rung >= FIGHTING:
                del self.declared[adv_id]
                self.lapsed[adv_id] = m.hour
                m.end_declaration(self.id, adv_id)

    # --- alliances and third parties --------------------------------------------------------
    def invoke(self, alliance: AllianceAgent, reason: str) -> None:
        if self in alliance.members and not alliance.invoked:
            adv = self.adversary
            self.model.log.act(
                self.model.hour,
                self.name,
                alliance.spec.name,
                "invoke_treaty",
                reason or (f"{adv.name} attacks at rung {adv.rung}" if adv else "asks for help"),
            )
            alliance.invoke(self)

    def invoke_if_attacked(self) -> None:
        """Invoke a treaty when attacked on covered territory and the help it expects, weighed by
        the alliance's credibility and by its need for help (the attacker's strength as it
        believes it against its own; Morrow 1991), beats the public cost of being refused (Leeds
        2003)."""
        m = self.model
        if not m.spec.mechanisms.alliances:
            return
        for k, alliance in enumerate(self.alliances):
            if alliance.invoked:
                continue
            rung, attacker = m.attack_on(self, alliance)
            if attacker is None:
                continue
            kappa = alliance.credibility
            help_ = alliance.spec.intervention_cost
            if m.spec.mechanisms.invocation_need:  # weighed by its need for help (Morrow 1991)
                belief = self.beliefs.get(attacker.id)
                believed = belief.expected if belief is not None else attacker.strength
                help_ *= parties.need(believed / max(self.strength, 1e-9), alliance.spec.need_ratio)
            value = parties.invocation_value(
                kappa, help_, m.columns.exposure[rung], alliance.spec.refusal_cost
            )
            if self.alliance_draw(m.hour, k) < parties.logistic(m.spec.model.logit_precision * value):
                self.invoke(alliance, f"{attacker.name} {describe(rung, self.name)}")

    def consider_joining(self) -> None:
        """A patron (or an ally whose alliance sent arms) may enter the war of a state it
        protects: by utility, against each state attacking it."""
        m = self.model
        if not m.spec.mechanisms.alliances or self.forces <= 0.0:
            return
        slot = len(self.alliances)
        for ward in m.wards_of(self):
            for attacker in ward.adversaries:
                slot += 1
                if attacker is self or attacker in self.adversaries or attacker.rung < FIGHTING:
                    continue
                if m.agreement(ward, attacker) is not None:
                    continue
                share = self.strength / (self.strength + attacker.strength)
                value = parties.join_value(
                    self.spec.stake * self.resolve,
                    share,
                    m.columns.leverage[attacker.rung],
                    m.pressure_on(self) * m.columns.condemnation[attacker.rung],
                    self.spec.join_cost,
                )
                if self.alliance_draw(m.hour, slot) < parties.logistic(m.spec.model.logit_precision * value):
                    m.join_war(self, attacker, ward)

    # --- what it learns ---------------------------------------------------------------------
    def learn_resolve(self, adv: StateAgent, evidence_per_death: float) -> None:
        """A coercer reads the losses ``adv`` bore this hour without conceding (deaths and their
        equivalent in materiel, on the scale of its commitment: ``size``) as evidence that it will
        not yield."""
        lost = adv.losses - adv.losses_seen
        if lost > 0 and self.aim != "defensive" and self.model.spec.mechanisms.learning:
            self.yields[adv.id] = yield_update(self.yields[adv.id], evidence_per_death * lost / adv.size)

    def learn(self, adv: StateAgent, fire: float, noise_sd: float, precision: float | None = None) -> None:
        """Update its belief about ``adv`` from a signal of the given fire intensity on the fronts
        they share (or a mediator's signal of the given precision)."""
        if fire <= 0.0 or not self.model.spec.mechanisms.learning:
            return
        if precision is None:  # the hour's battles on the fronts shared with adv
            noise_var = noise_sd * noise_sd / fire
            z = self.battle_noise(self.model.hour, self._slot[adv.id])
        else:  # a mediator's shuttle
            noise_var = noise_sd * noise_sd / (fire * precision)
            z = float(self.shuttle_noise.at(self.model.hour).standard_normal())
        signal = math.log(max(adv.strength, 1e-9)) + z * math.sqrt(noise_var)
        self.beliefs[adv.id].observe(signal, noise_var)
