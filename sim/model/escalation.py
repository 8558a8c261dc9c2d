"""The escalation model: one hour per tick, states, alliances and mediators on border sectors.

Each hour (``step``): mediators act (in a random order); attacked states decide whether to invoke
their treaties, patrons and allies whether to join; belligerents make offers; states choose their
rungs simultaneously; fire is exchanged across every front, deep strikes land, ground changes
hands; each state learns from the fighting on the fronts it shares with each adversary; agreed
ceasefires may break down; the hour is recorded. Scheduled events fire between hours on Mesa's
event list.
"""

from __future__ import annotations

import math

import mesa
import numpy as np
from mesa.agentset import AgentSet

from sim.model import combat, harm, territory
from sim.model.agents import AllianceAgent, MediatorAgent, StateAgent
from sim.model.ceasefire import Agreement, breakdown_hazard, strength
from sim.model.decision import Columns
from sim.model.eventlog import EventLog
from sim.model.events import ScheduledEvent
from sim.model.geography import Sector, build_sectors, fronts
from sim.model.ladder import FIGHTING, LADDER, Rung, describe
from sim.model.randomness import keyed, streams
from sim.scenario.schema import Scenario


class EscalationModel(mesa.Model):
    """A crisis between states, run hour by hour for the scenario's horizon.

    A run is a pure function of (scenario, seed): ``EscalationModel(scenario, seed).run()``.
    """

    def __init__(self, scenario: Scenario, seed: int) -> None:
        super().__init__(rng=seed)
        self.streams = streams(seed)
        self._seed = seed
        # hourly values (forces, pressure, expected losses) computed once per hour: the losses of the
        # hour's own fire count from the next hour on
        self.memo: dict[tuple, float] = {}
        self.spec = scenario
        self.columns = Columns.of(scenario)
        self.horizon_value = scenario.model.settlement_horizon_hours
        self.log = EventLog()
        self._stepping = False

        self.sectors, self.space = build_sectors(scenario, self.random)
        self.sectors_of: dict[str, list[Sector]] = {sid: [] for sid in scenario.states}
        for sector in self.sectors.values():
            self.sectors_of[sector.owner].append(sector)
        self.garrisons = {
            sid: [s for s in sectors if sid in s.forces] for sid, sectors in self.sectors_of.items()
        }

        self.states = {sid: StateAgent(self, sid, spec) for sid, spec in scenario.states.items()}
        self.alliances = {aid: AllianceAgent(self, aid, spec) for aid, spec in scenario.alliances.items()}
        self.mediators = {mid: MediatorAgent(self, mid, spec) for mid, spec in scenario.mediators.items()}
        for state in self.states.values():
            for other in (*([state.spec.adversary] if state.spec.adversary else []), *state.spec.adversaries):
                state.meet(self.states[other])
            if state.spec.patron is not None:
                self.states[state.spec.patron].clients.append(state)
        self.state_agents = AgentSet(list(self.states.values()), random=self.random)
        self.agreements: dict[frozenset[str], Agreement] = {}  # in force, by dyad
        self._breakdown_rng: dict[frozenset[str], np.random.Generator] = {}
        self.history: list[Agreement] = []  # every agreement, in the order made
        self.guards: dict[frozenset[str], str] = {}  # dyad → "monitors" | "peacekeepers"
        self.deep_strikes = dict.fromkeys(scenario.states, 0)
        self._deep_targets = {
            sid: [s for s in self.sectors_of[sid] if not s.spec.border] for sid in scenario.states
        }
        self.refresh_wars()

        self._events = [ScheduledEvent(self, eid, e) for eid, e in scenario.events.items() if e.enabled]
        for event in self._events:
            event.schedule()

        horizon, ids = scenario.horizon_hours, list(scenario.states)
        self.series = {
            "intensity": np.zeros(horizon),
            **{f"rung.{s}": np.zeros(horizon, dtype=np.int8) for s in ids},
            **{f"military_deaths.{s}": np.zeros(horizon, dtype=np.int32) for s in ids},
            **{f"civilian_deaths.{s}": np.zeros(horizon, dtype=np.int32) for s in ids},
        }
        self._intensity = 0.0

    def stream(self, name: str, key: str) -> np.random.Generator:
        """The generator of one agent (or dyad) within mechanism ``name`` (``randomness.keyed``)."""
        return keyed(self._seed, name, key)

    def refresh_wars(self) -> None:
        """Belligerents, dyads at war and the fronts between them (again when a state joins)."""
        self.belligerents = [s for s in self.states.values() if s.belligerent]
        self.dyads = sorted(
            {
                tuple(sorted((s, a), key=lambda x: x.id))
                for s in self.belligerents
                for a in s.adversaries
                if a.belligerent
            },
            key=lambda d: (d[0].id, d[1].id),
        )
        hostile = {frozenset((a.id, b.id)) for a, b in self.dyads}
        self.fronts = fronts(self.spec, self.space.G, lambda u, v: frozenset((u, v)) in hostile)
        # per state: (own sector, adversary's sector) on each front it holds
        self.exposure: dict[str, list[tuple[Sector, Sector]]] = {sid: [] for sid in self.spec.states}
        for u, v in self.fronts:
            su, sv = self.sectors[u], self.sectors[v]
            self.exposure[su.owner].append((su, sv))
            self.exposure[sv.owner].append((sv, su))

    # --- time ---------------------------------------------------------------------------------
    @property
    def hour(self) -> int:
        """The hour being simulated (a step at time t simulates hour t − 1)."""
        return math.floor(self.time) - (1 if self._stepping else 0)

    def run(self) -> EscalationModel:
        self.run_for(self.spec.horizon_hours)
        return self

    def step(self) -> None:
        self._stepping = True
        self.memo.clear()
        mediators = list(self.mediators.values())
        if self.spec.model.mediator_order == "random":
            mediators = [mediators[i] for i in self.streams["mediation"].permutation(len(mediators))]
        for mediator in mediators:
            mediator.act()
        states = self.state_agents
        states.do("invoke_if_attacked")
        states.do("consider_joining")
        if self.spec.mechanisms.bargaining:
            states.do("make_offers")
        states.do("decide")
        states.do("commit")
        self._intensity = self.exchange_fire()
        if self.spec.mechanisms.deep_strikes:
            self.deep_strike()
        self.learn()
        self.ceasefire_hazard()
        self.record()
        self._stepping = False

    def learn(self) -> None:
        """Each state learns about each adversary from the fire on the fronts they share."""
        fire: dict[frozenset[str], float] = {}
        for u, v in self.fronts:
            a, b = self.states[self.sectors[u].owner], self.states[self.sectors[v].owner]
            f = self._fire(a, b.id) + self._fire(b, a.id)
            if f > 0.0:
                key = frozenset((a.id, b.id))
                fire[key] = fire.get(key, 0.0) + f
        noise = self.spec.model.signal_noise
        evidence = self.spec.model.resolve_evidence / (noise * noise)
        for a, b in self.dyads:
            f = fire.get(frozenset((a.id, b.id)), 0.0)
            if f > 0.0:
                a.learn(b, f, noise)
                b.learn(a, f, noise)
            a.learn_resolve(b, evidence)
            b.learn_resolve(a, evidence)
        for state in self.belligerents:
            state.deaths_seen = state.military_deaths

    # --- fire, strikes, ground ---------------------------------------------------------------
    def _fire(self, state: StateAgent, target_owner: str) -> float:
        """Fire rate of ``state`` on a sector of ``target_owner``: its rung's, if they are at war
        and no agreement holds between them."""
        key = frozenset((state.id, target_owner))
        if key in self.agreements or target_owner in state.declared:
            return 0.0
        if all(a.id != target_owner for a in state.adversaries):
            return 0.0
        return self.columns.fire_rate[state.rung]

    def exchange_fire(self) -> float:
        """Lanchester attrition on every front; returns total fire this hour."""
        h, rng = self.spec.harm, self.streams["combat"]
        total = 0.0
        gains: dict[tuple[StateAgent, StateAgent], dict[str, float]] = {}
        for u, v in self.fronts:
            su, sv = self.sectors[u], self.sectors[v]
            a, b = self.states[su.owner], self.states[sv.owner]
            fa, fb = self._fire(a, b.id), self._fire(b, a.id)
            if fa == 0.0 and fb == 0.0:
                continue
            total += fa + fb
            area_a, area_b = LADDER[a.rung].area_fire, LADDER[b.rung].area_fire
            alpha = self._fire_coefficient(a, fa, sv)
            beta = self._fire_coefficient(b, fb, su)
            fa_n, fb_n = su.forces.get(a.id, 0.0), sv.forces.get(b.id, 0.0)
            to_a, to_b = combat.lanchester_rates(fa_n, fb_n, alpha, beta, area_a, area_b)
            self._casualties(a, su, combat.draw_casualties(rng, fa_n, to_a))
            self._casualties(b, sv, combat.draw_casualties(rng, fb_n, to_b))
            for sector, owner, incoming in ((su, a, fb), (sv, b, fa)):
                self._civilian_harm(sector, owner, h.border_fire_spill * incoming)
            for atk, src, dst, loser in ((a, su, sv, b), (b, sv, su, a)):
                if atk.rung >= Rung.GROUND_OFFENSIVE:
                    self._advance(atk, src, dst, loser, gains)
        for (atk, loser), places in gains.items():
            km2 = sum(places.values())
            if km2 >= 0.05:
                where = ", ".join(sorted(places))
                self.log.rung(
                    self.hour,
                    atk.name,
                    loser.name,
                    atk.rung,
                    f"{km2:.1f} km² taken this hour",
                    action=f"advances near {where}",
                )
        return total

    def _fire_coefficient(self, shooter: StateAgent, fire: float, target: Sector) -> float:
        """Lanchester coefficient of ``shooter``'s fire on a sector: its law's base rate scaled."""
        c = self.spec.combat
        rate = c.area_rate if LADDER[shooter.rung].area_fire else c.aimed_rate
        return combat.effectiveness(rate, fire, shooter.effectiveness, target.spec.defensibility)

    def _casualties(self, state: StateAgent, sector: Sector, n: int) -> None:
        if n <= 0:
            return
        sector.forces[state.id] = max(0.0, sector.forces.get(state.id, 0.0) - n)
        state.military_deaths += int(self.streams["combat"].binomial(n, self.spec.combat.kill_fraction))

    def _civilian_harm(self, sector: Sector, owner: StateAgent, fire: float) -> None:
        h = self.spec.harm
        deaths, displaced = harm.civilian_toll(
            self.streams["harm"], sector.residents, fire, h.civilian_death_rate, h.displacement_rate
        )
        sector.residents -= deaths + displaced
        sector.civilian_deaths += deaths
        sector.displaced += displaced

    def _advance(self, atk: StateAgent, src: Sector, dst: Sector, loser: StateAgent, gains: dict) -> None:
        c = self.spec.combat
        mine = src.forces.get(atk.id, 0.0) * atk.effectiveness
        theirs = max(dst.forces.get(loser.id, 0.0) * loser.effectiveness, 1e-9)
        km2 = territory.capture_km2(
            self.streams["ground"],
            mine / theirs,
            c.capture_force_ratio,
            dst.spec.defensibility,
            c.advance_km2_per_hour,
            dst.control.get(loser.id, 0.0),
        )
        moved = territory.transfer(dst.control, loser.id, atk.id, km2)
        if moved > 0.0:
            places = gains.setdefault((atk, loser), {})
            places[dst.spec.name] = places.get(dst.spec.name, 0.0) + moved

    def deep_strike(self) -> None:
        """Strikes on sectors behind the adversary's line, at the deep-strike rung and above."""
        c, rng = self.spec.combat, self.streams["strikes"]
        for state in self.belligerents:
            if state.rung < Rung.DEEP_STRIKES:
                continue
            targets = self._deep_targets[state.adversary.id]
            if not targets:
                continue
            fire = self.columns.fire_rate
            rate = c.deep_strikes_per_hour * fire[state.rung] / fire[Rung.DEEP_STRIKES]
            n = int(rng.poisson(rate))
            if n == 0:
                continue
            weights = np.array([math.sqrt(t.spec.population + 1.0) for t in targets])
            hit = rng.choice(len(targets), size=n, p=weights / weights.sum())
            adv = state.adversary
            for i in hit:
                self._civilian_harm(targets[i], adv, 1.0)
            self.deep_strikes[adv.id] += n
            casualties = int(rng.poisson(c.casualties_per_strike * n))
            front = [s for s in self.garrisons[adv.id] if s.forces[adv.id] > 0]
            if casualties and front:
                self._casualties(adv, front[int(rng.integers(len(front)))], casualties)
            places = ", ".join(sorted({targets[i].spec.name for i in hit}))
            self.log.rung(
                self.hour,
                state.name,
                adv.name,
                state.rung,
                f"{n} strike{'s' if n > 1 else ''}",
                action=f"{describe(Rung.DEEP_STRIKES, adv.name)} ({places})",
            )

    # --- pressure, third parties ----------------------------------------------------------------
    def expected_deaths_per_fire(self, state: StateAgent, adv: StateAgent) -> float:
        """Expected own deaths per hour per unit of ``adv``'s fire rate (area fire), on the fronts
        they share and from its deep strikes."""
        key = ("deaths", state.id, adv.id)
        if key in self.memo:
            return self.memo[key]
        c, total = self.spec.combat, 0.0
        for mine, theirs in self.exposure[state.id]:
            if theirs.owner != adv.id:
                continue
            beta = combat.effectiveness(c.area_rate, 1.0, adv.effectiveness, mine.spec.defensibility)
            total += beta * mine.forces.get(state.id, 0.0) * theirs.forces.get(adv.id, 0.0)
        if self.spec.mechanisms.deep_strikes:
            total += c.casualties_per_strike * c.deep_strikes_per_hour
        self.memo[key] = total * c.kill_fraction
        return self.memo[key]

    def pressure_on(self, state: StateAgent) -> float:
        """Background pressure, mediators', economic, and alliances answering its adversaries."""
        key = ("pressure", state.id)
        if key in self.memo:
            return self.memo[key]
        p = self.spec.model.international_pressure + state.extra_pressure
        p += sum(m.pressure_on(state) for m in self.mediators.values())
        for adv in state.adversaries:
            p += sum(a.pressure for a in adv.alliances if a.invoked_by is adv and state not in a.members)
        self.memo[key] = p
        return p

    def intervention_against(self, state: StateAgent, adv: StateAgent) -> float:
        """Σ κ·X over the alliances that protect ``adv`` and not ``state``."""
        if not self.spec.mechanisms.alliances:
            return 0.0
        return sum(a.credibility * a.spec.intervention_cost for a in adv.alliances if state not in a.members)

    def attack_on(self, state: StateAgent, alliance: AllianceAgent) -> tuple[int, StateAgent | None]:
        """The heaviest attack on territory ``alliance`` covers, of ``state`` or of a client it
        backs (a patron treats an attack on its client as one on itself), by a non-member: its
        rung and the attacker (rung 0 and None if there is none)."""
        owners = {state.id, *(c.id for c in state.clients)}
        members = {m.id for m in alliance.members}
        best, attacker = 0, None
        for owner in owners:
            victim = self.states[owner]
            for adv in victim.adversaries:
                if adv.id in members or adv.rung < FIGHTING or frozenset((owner, adv.id)) in self.agreements:
                    continue
                hit = any(
                    mine.id in alliance.covers
                    for mine, theirs in self.exposure[owner]
                    if theirs.owner == adv.id
                ) or (
                    adv.rung >= Rung.DEEP_STRIKES
                    and self.spec.mechanisms.deep_strikes
                    and any(s.id in alliance.covers for s in self._deep_targets[owner])
                )
                if hit and adv.rung > best:
                    best, attacker = adv.rung, adv
        return best, attacker

    def wards_of(self, state: StateAgent) -> list[StateAgent]:
        """States ``state`` may fight for: its clients, and members it leads an alliance for that
        answered their invocation with military aid."""
        wards = list(state.clients)
        for alliance in self.alliances.values():
            if (
                alliance.spec.leader == state.id
                and alliance.response_label == "military_aid"
                and alliance.invoked_by not in wards
            ):
                wards.append(alliance.invoked_by)
        return wards

    def join_war(self, state: StateAgent, attacker: StateAgent, ward: StateAgent) -> None:
        if state.aim == "none":
            state.aim = "defensive"
        state.meet(attacker)
        self.refresh_wars()
        self.log.act(self.hour, state.name, attacker.name, "join_war", f"fights for {ward.name}")

    def apply_pressure(self, actor: str, target: StateAgent, amount: float, note: str) -> None:
        """Economic pressure: adds to the target's pressure; a mediator applying it becomes more
        acceptable to the target."""
        target.extra_pressure += amount
        if actor in self.mediators:
            self.mediators[actor].raise_acceptance(target, amount)
        name = self.mediators[actor].name if actor in self.mediators else self.states[actor].name
        self.log.act(self.hour, name, target.name, "economic_pressure", note or f"pressure {amount:.2f}")

    # --- ceasefires -------------------------------------------------------------------------------
    def agreement(self, a: StateAgent, b: StateAgent) -> Agreement | None:
        return self.agreements.get(frozenset((a.id, b.id)))

    def agree(
        self,
        broker: MediatorAgent | None,
        a: StateAgent,
        b: StateAgent,
        kind: str,
        terms: tuple[str, ...],
        broker_strength: float = 0.0,
    ) -> None:
        """A ceasefire between ``a`` and ``b`` takes effect now; kept in the history."""
        key = frozenset((a.id, b.id))
        agreement = Agreement(
            (a.id, b.id), broker.id if broker else "bilateral", kind, self.hour, terms, broker_strength
        )
        self.agreements[key] = agreement
        self.history.append(agreement)
        for state in (a, b):
            state.stand_down()
            state.declared.pop((b if state is a else a).id, None)
        if broker is not None and broker.spec.guarantee != "none":
            self.guard(a, b, broker.spec.guarantee)
        who = broker.name if broker else "the parties themselves"
        self.log.act(self.hour, who, f"{a.name}, {b.name}", "ceasefire", f"{kind}; made by {who}")

    def guard(self, a: StateAgent, b: StateAgent, kind: str) -> None:
        """Monitors or peacekeepers on the dyad's fronts for the rest of the run."""
        key = frozenset((a.id, b.id))
        if self.guards.get(key) == "peacekeepers":
            return
        self.guards[key] = kind
        act = "peacekeepers" if kind == "peacekeepers" else "deploy_monitors"
        self.log.act(self.hour, kind, f"{a.name}, {b.name}", act, "separate the forces on their fronts")

    def rung_cap(self, state: StateAgent, adv: StateAgent) -> int:
        guard = self.guards.get(frozenset((state.id, adv.id)))
        cf = self.spec.ceasefire
        if guard == "peacekeepers":
            return cf.peacekept_rung_cap
        return cf.monitored_rung_cap if guard == "monitors" else Rung.FULL_WAR

    def agreement_strength(self, agreement: Agreement) -> float:
        cf = self.spec.ceasefire
        guard = self.guards.get(frozenset(agreement.parties))
        guards = cf.peacekeepers if guard == "peacekeepers" else cf.monitors if guard == "monitors" else 0.0
        return strength(
            cf.written_terms,
            guards,
            agreement.broker_strength,
            self.hour - agreement.start_hour,
            cf.leverage_half_life_hours,
        )

    def cede_territory(self, conceder: StateAgent, to: StateAgent, demand: str) -> None:
        """A concession that names a sector hands the whole sector over."""
        sector = self.sectors.get(demand)
        if sector is not None:
            territory.transfer(sector.control, conceder.id, to.id, sector.control.get(conceder.id, 0.0))

    def ceasefire_hazard(self) -> None:
        """Each agreement in force may break down, driven by the parties' incentives to resume."""
        if not self.spec.mechanisms.breakdown:
            return
        cf = self.spec.ceasefire
        for key, agreement in list(self.agreements.items()):
            a, b = (self.states[p] for p in agreement.parties)
            broker = self.mediators.get(agreement.broker)
            incentive, breaker = self._incentive(agreement, a, b, broker)
            hazard = breakdown_hazard(
                self.agreement_strength(agreement),
                incentive,
                self.hour - agreement.start_hour,
                cf.base_hazard,
                cf.resume_hazard,
                cf.fade_hazard,
                cf.leverage_half_life_hours,
            )
            rng = self._breakdown_rng.get(key)
            if rng is None:
                rng = self._breakdown_rng[key] = self.stream("ceasefire", "+".join(sorted(key)))
            if rng.random() < hazard:
                del self.agreements[key]
                agreement.end_hour, agreement.ended_by = self.hour, breaker.id
                by = broker.name if broker else "bilateral"
                self.log.act(
                    self.hour, breaker.name, by, "ceasefire_breaks", f"{agreement.kind} ceasefire breaks down"
                )

    def _incentive(
        self, agreement: Agreement, a: StateAgent, b: StateAgent, broker: MediatorAgent | None
    ) -> tuple[float, StateAgent]:
        """The stronger of the two parties' hourly incentives to resume, and whose it is; recomputed
        only when something it depends on has changed (quiet hours under an agreement are cheap)."""
        inputs = (
            *(
                (
                    s.rung,
                    s.military_deaths,
                    s.commitment,
                    len(s.conceded),
                    self.pressure_on(s),
                    *((x.mean, x.var) for x in s.beliefs.values()),
                    *s.yields.values(),
                )
                for s in (a, b)
            ),
            *(al.response for al in self.alliances.values()),
        )
        if agreement.cache is None or agreement.cache[0] != inputs:
            pulls = []
            for state, other in ((a, b), (b, a)):
                fight, stop = state.fight_and_stop(other, broker.cover(state) if broker else 0.0)
                pulls.append((fight - stop, state))
            agreement.cache = (inputs, max(pulls, key=lambda p: p[0]))
        return agreement.cache[1]

    # --- records --------------------------------------------------------------------------------
    def record(self) -> None:
        t, series = self.hour, self.series
        if t >= len(series["intensity"]):
            return
        series["intensity"][t] = self._intensity
        for sid, state in self.states.items():
            series[f"rung.{sid}"][t] = state.rung
            series[f"military_deaths.{sid}"][t] = state.military_deaths
            series[f"civilian_deaths.{sid}"][t] = sum(s.civilian_deaths for s in self.sectors_of[sid])

    def peak_rungs(self) -> np.ndarray:
        """Per hour: the highest rung any belligerent stood on."""
        rungs = [self.series[f"rung.{s.id}"] for s in self.belligerents]
        if not rungs:
            return np.zeros(self.spec.horizon_hours, dtype=np.int8)
        return np.max(rungs, axis=0)
