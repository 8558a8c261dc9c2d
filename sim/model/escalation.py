"""The escalation model: one hour per tick, states, alliances and mediators on border sectors.

Each hour (``step``): mediators act; states invoke treaties if attacked, consider concessions and
choose their rungs simultaneously; fire is exchanged across every front, deep strikes land, ground
changes hands; states learn from the fighting; an agreed ceasefire may break down; the hour is
recorded. Scheduled events fire between hours on Mesa's event list.
"""

from __future__ import annotations

import math

import mesa
import numpy as np
from mesa.agentset import AgentSet

from sim.model import combat, harm, territory
from sim.model.agents import AllianceAgent, MediatorAgent, StateAgent
from sim.model.ceasefire import Agreement, breakdown_hazard
from sim.model.decision import FIRE_RATE
from sim.model.eventlog import EventLog
from sim.model.events import ScheduledEvent
from sim.model.geography import Sector, build_sectors, fronts
from sim.model.ladder import LADDER, Rung, describe
from sim.model.randomness import streams
from sim.scenario.schema import Scenario


class EscalationModel(mesa.Model):
    """A crisis between states, run hour by hour for the scenario's horizon.

    A run is a pure function of (scenario, seed): ``EscalationModel(scenario, seed).run()``.
    """

    def __init__(self, scenario: Scenario, seed: int) -> None:
        super().__init__(rng=seed)
        self.streams = streams(seed)
        self.spec = scenario
        self.log = EventLog()
        self._stepping = False

        self.sectors, self.space = build_sectors(scenario, self.random)
        self.fronts = fronts(scenario, self.space.G)
        self.sectors_of: dict[str, list[Sector]] = {sid: [] for sid in scenario.states}
        for sector in self.sectors.values():
            self.sectors_of[sector.owner].append(sector)
        self.garrisons = {
            sid: [s for s in sectors if sid in s.forces] for sid, sectors in self.sectors_of.items()
        }
        # per state: (own sector, adversary's sector) on each front it holds
        self.exposure: dict[str, list[tuple[Sector, Sector]]] = {sid: [] for sid in scenario.states}
        for u, v in self.fronts:
            su, sv = self.sectors[u], self.sectors[v]
            self.exposure[su.owner].append((su, sv))
            self.exposure[sv.owner].append((sv, su))

        self.states = {sid: StateAgent(self, sid, spec) for sid, spec in scenario.states.items()}
        self.alliances = {aid: AllianceAgent(self, aid, spec) for aid, spec in scenario.alliances.items()}
        self.mediators = {mid: MediatorAgent(self, mid, spec) for mid, spec in scenario.mediators.items()}
        for state in self.states.values():
            if state.spec.adversary is not None:
                state.meet_adversary(self.states[state.spec.adversary])
        self.belligerents = [s for s in self.states.values() if s.belligerent]
        self.state_agents = AgentSet(list(self.states.values()), random=self.random)
        self.mediator_agents = AgentSet(list(self.mediators.values()), random=self.random)
        self._front_fire: dict[str, float] = {}
        self.dyads = sorted(
            {
                tuple(sorted((s, s.adversary), key=lambda x: x.id))
                for s in self.belligerents
                if s.adversary.belligerent
            },
            key=lambda d: (d[0].id, d[1].id),
        )
        self.agreements: dict[frozenset[str], Agreement] = {}
        self.deep_strikes = dict.fromkeys(scenario.states, 0)
        self._deep_targets = {
            sid: [s for s in self.sectors_of[sid] if not s.spec.border] for sid in scenario.states
        }

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
        states = self.state_agents
        self.mediator_agents.do("act")
        states.do("invoke_if_attacked")
        states.do("decide")
        states.do("commit")
        self._intensity = self.exchange_fire()
        self.deep_strike()
        noise = self.spec.model.signal_noise
        for state in self.belligerents:
            state.learn(self._intensity_for(state), noise)
        self.ceasefire_hazard()
        self.record()
        self._stepping = False

    # --- fire, strikes, ground ---------------------------------------------------------------
    def _fire(self, state: StateAgent, target_owner: str) -> float:
        if state.adversary is None or state.adversary.id != target_owner:
            return 0.0
        return FIRE_RATE[state.rung]

    def _intensity_for(self, state: StateAgent) -> float:
        return self._front_fire.get(state.id, 0.0)

    def exchange_fire(self) -> float:
        """Lanchester attrition on every front; returns total fire this hour."""
        h, rng = self.spec.harm, self.streams["combat"]
        total = 0.0
        self._front_fire = {}
        gains: dict[tuple[StateAgent, StateAgent], dict[str, float]] = {}
        for u, v in self.fronts:
            su, sv = self.sectors[u], self.sectors[v]
            a, b = self.states[su.owner], self.states[sv.owner]
            fa, fb = self._fire(a, b.id), self._fire(b, a.id)
            if fa == 0.0 and fb == 0.0:
                continue
            total += fa + fb
            for s in (a, b):
                self._front_fire[s.id] = self._front_fire.get(s.id, 0.0) + fa + fb
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
            rate = c.deep_strikes_per_hour * FIRE_RATE[state.rung] / FIRE_RATE[Rung.DEEP_STRIKES]
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

    # --- pressure, ceasefires -------------------------------------------------------------------
    def expected_deaths_per_fire(self, state: StateAgent) -> float:
        """Expected own deaths per hour per unit of the adversary's fire rate (area fire)."""
        c, adv, total = self.spec.combat, state.adversary, 0.0
        for mine, theirs in self.exposure[state.id]:
            if theirs.owner != adv.id:
                continue
            beta = combat.effectiveness(c.area_rate, 1.0, adv.effectiveness, mine.spec.defensibility)
            total += beta * mine.forces.get(state.id, 0.0) * theirs.forces.get(adv.id, 0.0)
        return (total + c.casualties_per_strike * c.deep_strikes_per_hour) * c.kill_fraction

    def pressure_on(self, state: StateAgent) -> float:
        p = self.spec.model.international_pressure
        p += sum(m.pressure_on(state) for m in self.mediators.values())
        if state.adversary is not None:
            p += sum(a.pressure for a in state.adversary.alliances if state not in a.members)
        return p

    def ceasefire_for(self, state: StateAgent) -> Agreement | None:
        if state.adversary is None:
            return None
        return self.agreements.get(frozenset((state.id, state.adversary.id)))

    def agree_ceasefire(self, broker: MediatorAgent, a: StateAgent, b: StateAgent, strength: float) -> None:
        self.agreements[frozenset((a.id, b.id))] = Agreement(broker.id, self.hour, strength)
        for state in (a, b):
            state.stand_down()
        self.log.act(
            self.hour,
            broker.name,
            f"{a.name}, {b.name}",
            "ceasefire",
            f"brokered by {broker.name}; strength {strength:.2f}",
        )

    def ceasefire_hazard(self) -> None:
        cf = self.spec.ceasefire
        for key, agreement in list(self.agreements.items()):
            hazard = breakdown_hazard(
                agreement.strength,
                self.hour - agreement.start_hour,
                cf.base_hazard,
                cf.fade_hazard,
                cf.leverage_half_life_hours,
            )
            if self.streams["ceasefire"].random() < hazard:
                del self.agreements[key]
                names = ", ".join(self.states[s].name for s in sorted(key))
                self.log.act(
                    self.hour,
                    names,
                    self.mediators[agreement.broker].name,
                    "ceasefire_breaks",
                    f"agreement strength {agreement.strength:.2f}",
                )

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
