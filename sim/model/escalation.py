"""The escalation model: one hour per tick, states, alliances and mediators on border sectors.

Each hour (``step``): mediators act (in a random order); attacked states decide whether to invoke
their treaties, patrons and allies whether to join; belligerents make offers; states choose their
rungs simultaneously; states mobilise and reserves arrive; fire is exchanged across every front,
ground changes hands and fronts move, deep strikes land; each state learns from the fighting on the
fronts it shares with each adversary; agreed ceasefires may break down; the hour is recorded.
Scheduled events fire between hours on Mesa's event list. A quiet hour (every belligerent bound by
agreements with all its adversaries, nobody firing, no reserves moving) runs only what can change
then: mediators' arrivals and acceptance changes, the breakdown hazard and the record.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import mesa
import numpy as np
from mesa.agentset import AgentSet
from mesa.experimental.scenarios import Scenario as MesaScenario
from mesa.time import Priority, Schedule

from sim.model import combat, harm, territory
from sim.model.agents import AllianceAgent, MediatorAgent, StateAgent
from sim.model.ceasefire import Agreement, breakdown_hazard, strength
from sim.model.decision import Columns
from sim.model.eventlog import EventLog
from sim.model.events import ScheduledEvent
from sim.model.geography import Sector, behind_the_line, build_sectors, fronts
from sim.model.ladder import FIGHTING, FULL_LADDER, LADDER, STAND_OFF, Rung, describe
from sim.model.mobilisation import Mobilisation, should_mobilise
from sim.model.parties import enmities
from sim.model.randomness import Hourly, Streams, keyed
from sim.scenario.loading import load_scenario, with_overrides
from sim.scenario.schema import Scenario

DEFAULT_SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "sept2022.toml"


class ScenarioFile(MesaScenario):
    """Mesa's record of how the model was made: the scenario file. SolaraViz's Reset builds the next
    model from it (a ``file`` model parameter picks another)."""

    file: str = str(DEFAULT_SCENARIO)


def override_key(name: str) -> str:
    """A keyword-safe override name as the scenario's dotted key: ``mediators__USA__arrival_hour``
    → ``mediators.USA.arrival_hour`` (so ``mesa.batch_run`` can pass it as a keyword)."""
    return name.replace("__", ".")


def resolve_scenario(scenario: str | Path | Scenario | ScenarioFile, overrides: dict[str, Any]) -> Scenario:
    """A scenario object from a file or an object, with keyword-safe overrides applied."""
    dotted = {override_key(k): v for k, v in overrides.items()}
    if isinstance(scenario, MesaScenario):
        scenario = getattr(scenario, "file", DEFAULT_SCENARIO)
    if isinstance(scenario, Scenario):
        return with_overrides(scenario, dotted)
    path = Path(scenario)
    if not path.exists() and not path.is_absolute() and (DEFAULT_SCENARIO.parents[1] / path).exists():
        path = DEFAULT_SCENARIO.parents[1] / path  # a repository path, from any working folder
    return load_scenario(path, dotted)


class EscalationModel(mesa.Model):
    """A crisis between states, run hour by hour for the scenario's horizon.

    A run is a pure function of (scenario, seed): ``EscalationModel(scenario, seed).run()``.
    ``scenario`` is a file or a ``Scenario``; keyword ``overrides`` use the scenario's dotted keys
    spelt with ``__`` (``mediators__USA__arrival_hour=24``), so ``mesa.batch_run`` and SolaraViz can
    build it from keywords. ``collect`` keeps ``datacollector`` up to date each hour (Mesa's tools
    read it); the sweep runner turns it off, since it reads ``series`` and the outcomes directly.
    Without it quiet hours are skipped (``skip_quiet_hours``): the same run, fewer steps; a
    ``while model.running: model.step()`` loop may then end before ``time`` reaches the horizon,
    with every hour recorded.
    """

    def __init__(
        self,
        scenario: str | Path | Scenario | ScenarioFile = DEFAULT_SCENARIO,
        rng: int | None = None,
        *,
        collect: bool = True,
        **overrides: Any,
    ) -> None:
        if isinstance(rng, np.integer):
            rng = int(rng)  # a numpy integer (EMA Workbench, SALib samples) as the int Mesa expects
        super().__init__(rng=rng)
        if not isinstance(scenario, Scenario):
            file = scenario.file if isinstance(scenario, ScenarioFile) else str(scenario)
            self.scenario = ScenarioFile(rng=rng, file=file)
        scenario = resolve_scenario(scenario, overrides)
        # Mesa's seed: ``rng``, or one drawn for an unseeded model; each stream positioned per hour
        self.streams = Streams(self._seed, lambda: self.hour)
        # hourly values (pressure, a state's own view of each adversary) computed once per hour
        self.memo: dict[tuple, object] = {}
        self.spec = scenario
        self.columns = Columns.of(scenario)
        self.horizon_value = scenario.model.settlement_horizon_hours
        self.log = EventLog()
        self._stepping, self._hour = False, 0

        self.sectors, self.space = build_sectors(scenario, self.random)
        self.sectors_of: dict[str, list[Sector]] = {sid: [] for sid in scenario.states}
        for sector in self.sectors.values():
            self.sectors_of[sector.owner].append(sector)  # de jure: losses are counted against these
        # sectors where each state has forces, and its total on the ground (kept by _add_forces)
        self.garrisons = {
            sid: [s for s in sectors if sid in s.forces] for sid, sectors in self.sectors_of.items()
        }
        self.force_total = {sid: sum(s.forces[sid] for s in g) for sid, g in self.garrisons.items()}
        self.mobilisation = {sid: Mobilisation(spec) for sid, spec in scenario.states.items()}
        self._deaths_per_fire: dict[tuple[str, str], float] = {}
        self._hostile: set[frozenset[str]] = set()
        self._withdrawals: set[tuple[str, str]] = set()  # (sector, state) withdrawing this hour

        self.states = {sid: StateAgent(self, sid, spec) for sid, spec in scenario.states.items()}
        self.alliances = {aid: AllianceAgent(self, aid, spec) for aid, spec in scenario.alliances.items()}
        self.mediators = {mid: MediatorAgent(self, mid, spec) for mid, spec in scenario.mediators.items()}
        for a, b in enmities(scenario):
            self.states[a].meet(self.states[b])
        for state in self.states.values():
            if state.spec.patron is not None:
                self.states[state.spec.patron].clients.append(state)
        self.state_agents = AgentSet(list(self.states.values()), random=self.random)
        self.agreements: dict[frozenset[str], Agreement] = {}  # in force, by dyad
        # who opened the fire now under way between two states ("" when both did at once), by dyad
        self.opener: dict[frozenset[str], str] = {}
        self._breakdown_rng: dict[frozenset[str], Hourly] = {}
        self.history: list[Agreement] = []  # every agreement, in the order made
        # every unilateral declaration: [declarer, adversary, hour, hour it ended or None]
        self.declarations: list[list] = []
        self.guards: dict[frozenset[str], str] = {}  # dyad → "monitors" | "peacekeepers"
        self.deep_strikes = dict.fromkeys(scenario.states, 0)  # launched at each state (intercepted too)
        self._under_fire: set[tuple[StateAgent, StateAgent]] = set()  # (target, shooter) this hour
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
        kinds = ("rung", "military_deaths", "civilian_deaths")
        self._rows = [  # what ``record`` writes each hour, per state
            (state, *(self.series[f"{kind}.{sid}"] for kind in kinds), self.sectors_of[sid])
            for sid, state in self.states.items()
        ]
        self.place_agents()
        self.collect = collect
        self.final_outcomes: dict[str, Any] = {}
        self.datacollector = self.make_datacollector()
        # Hours are steps on Mesa's event list, made by a generator whose interval is the number of
        # hours to the next one in which anything can change (``skip_quiet_hours``), in place of
        # Mesa's default one-step-per-unit generator (as Mesa's own DEVSimulator replaces it).
        self._default_schedule.stop()
        self._default_schedule = self.schedule_recurring(
            self._do_step, Schedule(interval=EscalationModel.hours_to_next_step, start=1.0), Priority.HIGH
        )
        self._next_step = 1
        self.skipped_hours = 0  # quiet hours run in brief, not stepped

    def place_agents(self) -> None:
        """Put each state in a cell of the sectors it holds (an interior one if it has any, where
        its capital would be) and each mediator beside the first state it deals with, so that the
        network space shows who is where."""
        home: dict[str, str] = {}
        for sid, sectors in self.sectors_of.items():
            if sectors:
                home[sid] = min(sectors, key=lambda s: (s.spec.border, s.id)).id
        for agent in (*self.states.values(), *self.mediators.values()):
            parties = [agent.id] if isinstance(agent, StateAgent) else [s.id for s in self.belligerents]
            where = next((home[p] for p in parties if p in home), None)
            agent.cell = self.space[where] if where is not None else None
            if agent.cell is not None:
                agent.cell.add_agent(agent)

    def make_datacollector(self) -> mesa.DataCollector:
        """The hourly series as model reporters (read from the arrays ``record`` fills, no second
        copy of the dynamics), the outcome contract's columns (filled at the horizon) and, per
        agent, its rung and its belief about the adversary."""
        from sim.analysis.outcomes import outcome_columns

        last = self.spec.horizon_hours - 1

        def series_at(name: str):
            return lambda m: m.series[name][min(max(m.hour, 0), last)].item()

        reporters = {name: series_at(name) for name in self.series}
        # outcome columns that are also hourly series (deaths) take the series: equal at the horizon
        reporters |= {
            c: (lambda m, c=c: m.final_outcomes.get(c))
            for c in outcome_columns(self.spec)
            if c not in reporters
        }
        return mesa.DataCollector(
            model_reporters=reporters,
            agent_reporters={"name": agent_name, "rung": agent_rung, "believed_share": believed_share},
        )

    def end_hour(self) -> None:
        """Stop at the horizon (``running``, as Mesa's loops expect) and collect, when asked."""
        self.running = self.hour + 1 < self.spec.horizon_hours
        if self.collect:
            if not self.running:
                from sim.analysis.outcomes import outcomes

                self.final_outcomes = outcomes(self)
            self.datacollector.collect(self)

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
        self._hostile = {frozenset((a.id, b.id)) for a, b in self.dyads}
        self.memo.clear()  # sides and situations change with the wars
        self.recompute_fronts()

    # --- time ---------------------------------------------------------------------------------
    @property
    def hour(self) -> int:
        """The hour being simulated (a step at time t simulates hour t − 1)."""
        if self._stepping:
            return self._hour  # set once per step: read thousands of times in it
        return math.floor(self.time)

    def hours_to_next_step(self) -> int:
        """The interval of the step generator: 1, or more after quiet hours run in brief."""
        return self._next_step

    def run(self) -> EscalationModel:
        self.run_for(self.spec.horizon_hours)
        return self

    def step(self) -> None:
        self._hour = math.floor(self.time) - 1
        self._stepping = True
        self.memo.clear()
        for mediator in self._mediator_order():
            mediator.act()  # with nobody fighting, only arrivals and acceptance changes happen
        if self.quiet():
            self._intensity = 0.0
        else:
            states = self.state_agents
            states.do("invoke_if_attacked")
            for alliance in self.alliances.values():
                alliance.watch_members()
            states.do("consider_joining")
            if self.spec.mechanisms.bargaining:
                states.do("make_offers")
            states.do("decide")
            before = {s.id: s.rung for s in states}
            states.do("commit")
            self.note_openers(before)
            self.mobilise()
            self._intensity = self.exchange_fire()
            self.deep_strike()
            self.adapt()
            self.flee()
            self.learn()
            self.feel_outrage()
        self.ceasefire_hazard()
        self.record()
        self.end_hour()
        self._next_step = self.skip_quiet_hours()
        self._stepping = False

    def skip_quiet_hours(self) -> int:
        """Hours from this step to the next. After a quiet hour, the quiet hours that follow — up to
        the next one in which something is due (``next_due_hour``) — are not stepped but recorded in
        brief. Every draw is indexed by the hour, so nothing is drawn for them; the first hour in
        which an agreement would break down is stepped in full, and a seed gives the same run, hour
        by hour, as stepping every hour. With ``collect`` every hour is stepped: Mesa's
        DataCollector keeps a row per step."""
        if self.collect or not self.quiet():
            return 1
        start = hour = self.hour + 1
        due = min(self.spec.horizon_hours, self.next_due_hour())
        # in a quiet stretch only the hour changes: each agreement's incentive to resume stays put
        pending = []
        if self.spec.mechanisms.breakdown:
            pending = [(a, *self._breakdown(k, a)[:2]) for k, a in self.agreements.items()]
        while hour < due and self._quiet_hour(hour, pending):
            hour += 1
        if hour > start:
            self._intensity = 0.0
            self.record(slice(start, hour))
            self.skipped_hours += hour - start
        if hour >= self.spec.horizon_hours:
            self.running = False  # the horizon was reached in brief
        return hour - start + 1

    def next_due_hour(self) -> int:
        """The first hour after this one in which something is due: an event on Mesa's event list
        (one at time T acts before the step of hour ⌊T⌋), a mediator's arrival or change of
        acceptance, a summit's effect; or the horizon."""
        due = [self.spec.horizon_hours]
        if not self._event_list.is_empty():
            due += [math.floor(e.time) for e in self._event_list.peek_ahead(1)]
        for m in self.mediators.values():
            if not m.spec.enabled or m.blocked:
                continue
            if not m.arrived:
                due.append(math.ceil(m.spec.arrival_hour))
            change = m.spec.acceptance_after
            if change is not None and int(change.hour) > self.hour:
                due.append(int(change.hour))
            if m._summit:
                due.append(self.hour + 1)
        return max(self.hour + 1, min(due))

    def _quiet_hour(self, hour: int, pending: list[tuple[Agreement, Hourly, float]]) -> bool:
        """True if no agreement breaks down in quiet ``hour``. Every draw is indexed by the hour
        (``Hourly``, ``Streams``), so an hour run in brief draws nothing and shifts nothing."""
        return all(draw(hour) >= self._hazard(a, incentive, hour) for a, draw, incentive in pending)

    def _mediator_order(self) -> list[MediatorAgent]:
        """Mediators in this hour's turn order: ranked by each one's own hourly draw if random, so
        removing a mediator leaves the others' order where it was."""
        mediators = list(self.mediators.values())
        if self.spec.model.mediator_order == "random":
            mediators.sort(key=lambda m: m.order_draw(self.hour))
        return mediators

    def learn(self) -> None:
        """Each state learns about each adversary from the fire on the fronts they share."""
        fire: dict[frozenset[str], float] = {}
        for u, v in self.fronts:
            a, b = self.states[self.sectors[u].holder], self.states[self.sectors[v].holder]
            f = self.firing(a, b)
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
            state.losses_seen = state.losses

    def quiet(self) -> bool:
        """Nothing but a ceasefire's breakdown can change this hour: every belligerent is bound by
        agreements with all its adversaries and stands below the fighting rungs (it keeps them
        until one breaks down), and no reserves are on their way."""
        return (
            bool(self.agreements)
            and bool(self.belligerents)
            and all(
                s.rung < FIGHTING and all(self.agreement(s, a) is not None for a in s.adversaries)
                for s in self.belligerents
            )
            and not any(m.moving for m in self.mobilisation.values())
        )

    # --- fronts and forces --------------------------------------------------------------------
    def hostile(self, a: str, b: str) -> bool:
        """Does the holder ``a`` fight the holder ``b``?"""
        return frozenset((a, b)) in self._hostile

    def recompute_fronts(self) -> None:
        """Fronts, each state's exposure on them and its rear, from who holds each sector now."""
        self.fronts = fronts(self.sectors, self.space.G, self.hostile)
        # per state: (own sector, adversary's sector) on each front it holds
        self.exposure: dict[str, list[tuple[Sector, Sector]]] = {sid: [] for sid in self.spec.states}
        self._contact: set[frozenset[str]] = set()
        for u, v in self.fronts:
            su, sv = self.sectors[u], self.sectors[v]
            self.exposure[su.holder].append((su, sv))
            self.exposure[sv.holder].append((sv, su))
            self._contact.add(frozenset((su.holder, sv.holder)))
        self._rear: dict[tuple[str, str], list[Sector]] = {}
        self._strike_odds: dict[tuple[str, str], np.ndarray] = {}
        self._deaths_per_fire.clear()

    def rungs_against(self, state: StateAgent, adversaries: list[StateAgent]) -> tuple[int, ...]:
        """The rungs ``state`` can fight ``adversaries`` on: all of them along a front with one of
        them, strikes at a distance alone where it shares none (``ladder.STAND_OFF``)."""
        if any(frozenset((state.id, a.id)) in self._contact for a in adversaries):
            return FULL_LADDER
        return STAND_OFF

    def rear(self, state: str, enemy: str) -> list[Sector]:
        """Sectors ``state`` holds behind its line facing ``enemy`` (deep-strike targets)."""
        key = (state, enemy)
        if key not in self._rear:
            self._rear[key] = behind_the_line(self.sectors, self.space.G, state, enemy)
        return self._rear[key]

    def strike_odds(self, state: str, enemy: str) -> np.ndarray:
        """Chance that a deep strike by ``enemy`` hits each of ``rear(state, enemy)``: weight
        (population + 1)^k, normalised; kept until a sector changes hands."""
        key = (state, enemy)
        if key not in self._strike_odds:
            k = self.spec.combat.strike_population_exponent
            weights = np.array([(t.spec.population + 1.0) ** k for t in self.rear(state, enemy)])
            self._strike_odds[key] = weights / weights.sum()
        return self._strike_odds[key]

    def _add_forces(self, sector: Sector, state: str, delta: float) -> None:
        """Change a state's soldiers in a sector (never below zero), keeping totals current."""
        before = sector.forces.get(state)
        if before is None:
            before = sector.forces[state] = 0.0
            self.garrisons[state].append(sector)
        after = max(0.0, before + delta)
        sector.forces[state] = after
        self.force_total[state] = max(0.0, self.force_total[state] + after - before)
        self._deaths_per_fire.clear()

    # --- mobilisation -------------------------------------------------------------------------
    def mobilise(self, state: StateAgent | None = None, reason: str = "") -> None:
        """Order ``state``'s mobilisation now (for the decision module), or — with no state — apply
        each belligerent's rung-linked rule and bring this hour's reserves to the fronts."""
        if not self.spec.mechanisms.mobilisation:
            return
        if state is not None:
            self._order_mobilisation(state, reason)
            return
        for s in self.belligerents:
            spec, mob = s.spec, self.mobilisation[s.id]
            if spec.reserves < 1.0:
                continue  # nothing to mobilise
            if not mob.ordered and should_mobilise(
                s.adversary.rung, spec.mobilise_at_rung, s.forces, spec.forces, spec.mobilise_below_share
            ):
                why = (
                    f"{s.adversary.name} {describe(s.adversary.rung, s.name)}"
                    if spec.mobilise_at_rung is not None and s.adversary.rung >= spec.mobilise_at_rung
                    else f"its forces are worn down to {s.forces:.0f}"
                )
                self._order_mobilisation(s, why)
            if mob.moving:
                target = self._muster_point(s)
                if target is not None:
                    n = mob.draw(self.streams["mobilisation"])
                    if n:
                        self._add_forces(target, s.id, float(n))

    def _order_mobilisation(self, state: StateAgent, reason: str) -> None:
        if self.mobilisation[state.id].order(self.hour):
            target = state.adversary.name if state.adversary else ""
            self.log.rung(
                self.hour,
                state.name,
                target,
                state.rung,
                reason or "orders mobilisation",
                action=f"mobilises {state.spec.reserves:.0f} reservists",
            )

    def mobilisation_cost(self, state: StateAgent) -> float:
        """Utility per hour mobilising costs ``state`` (whether or not it has mobilised yet)."""
        return self.mobilisation[state.id].cost_per_hour if self.spec.mechanisms.mobilisation else 0.0

    def _muster_point(self, state: StateAgent) -> Sector | None:
        """Where arriving reserves join: the most threatened sector it holds on a front, or, for a
        state that holds no front (a war at a distance), the sector it holds with most soldiers."""
        front = self._most_threatened(state)
        if front is not None:
            return front
        held = [s for s in self.garrisons[state.id] if s.holder == state.id]
        return max(held, key=lambda s: s.forces.get(state.id, 0.0), default=None)

    def _most_threatened(self, state: StateAgent) -> Sector | None:
        """The sector it holds on a front where the adversary's effective force most exceeds its own."""
        c, threat = self.spec.combat, {}
        for mine, theirs in self.exposure[state.id]:
            enemy = self.states[theirs.holder]
            threat[mine.id] = threat.get(mine.id, 0.0) + territory.effective_ratio(
                theirs.forces.get(enemy.id, 0.0),
                enemy.effectiveness,
                mine.forces.get(state.id, 0.0) + 1.0,
                state.effectiveness,
                mine.spec.defensibility,
                c.defensibility_weight,
            )
        if not threat:
            return None
        return self.sectors[max(sorted(threat), key=threat.__getitem__)]

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

    def firing(self, a: StateAgent, b: StateAgent) -> float:
        """Fire exchanged this hour across a front between sectors held by ``a`` and ``b`` (sum of
        both sides' fire rates; 0: the front is quiet — not at war, under an agreement, or a
        declared ceasefire). The one rule for "is this front firing": combat, learning and the
        classroom map all ask it."""
        return self._fire(a, b.id) + self._fire(b, a.id)

    def exchange_fire(self) -> float:
        """Lanchester attrition on every front, then ground offensives; returns total fire."""
        h, c, rng = self.spec.harm, self.spec.combat, self.streams["combat"]
        static = c.static_exposure if self.spec.mechanisms.posture else 1.0
        total = 0.0
        if all(s.rung < FIGHTING for s in self.belligerents):
            return 0.0  # nobody fires: nothing on any front can change
        gains: dict[tuple[StateAgent, StateAgent], dict[str, float]] = {}
        crossed: list[tuple[StateAgent, Sector, Sector, StateAgent]] = []
        for u, v in self.fronts:
            su, sv = self.sectors[u], self.sectors[v]
            a, b = self.states[su.holder], self.states[sv.holder]
            fa, fb = self._fire(a, b.id), self._fire(b, a.id)
            if fa == 0.0 and fb == 0.0:
                continue
            total += fa + fb
            area_a, area_b = LADDER[a.rung].area_fire, LADDER[b.rung].area_fire
            alpha = self._fire_coefficient(a, fa, sv)
            beta = self._fire_coefficient(b, fb, su)
            fa_n = combat.engaged(su.forces.get(a.id, 0.0), su.spec.area_km2, c.engaged_per_km2)
            fb_n = combat.engaged(sv.forces.get(b.id, 0.0), sv.spec.area_km2, c.engaged_per_km2)
            to_a, to_b = combat.lanchester_rates(fa_n, fb_n, alpha, beta, area_a, area_b)
            top = max(a.rung if fa > 0.0 else 0, b.rung if fb > 0.0 else 0)  # of the sides firing here
            for state, sector, n, lost, shooter, incoming in (
                (a, su, fa_n, to_a, b, fb),
                (b, sv, fb_n, to_b, a, fa),
            ):
                if incoming == 0.0:
                    continue
                if n > 0.0:  # soldiers in contact, who learn to live under this fire
                    self._under_fire.add((state, shooter))
                exposure = combat.posture_exposure(top, static, self.adaptation(state, shooter))
                hurt, materiel = combat.split_harm(min(lost, n), exposure)
                self._casualties(state, sector, combat.draw_casualties(rng, n, hurt))
                state.materiel_losses += c.kill_fraction * materiel
            for sector, owner, incoming in ((su, a, fb), (sv, b, fa)):
                self._civilian_harm(sector, owner, h.border_fire_spill * incoming)
            for atk, src, dst, loser in ((a, su, sv, b), (b, sv, su, a)):
                if atk.rung >= Rung.GROUND_OFFENSIVE and self._advance(atk, src, dst, loser, gains):
                    crossed.append((atk, src, dst, loser))
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
        for atk, src, dst, loser in crossed:
            self._capture(atk, src, dst, loser)
        self._withdrawals.clear()
        return total

    def _fire_coefficient(self, shooter: StateAgent, fire: float, target: Sector) -> float:
        """Lanchester coefficient of ``shooter``'s fire on a sector: its law's base rate scaled."""
        c = self.spec.combat
        rate = c.area_rate if LADDER[shooter.rung].area_fire else c.aimed_rate
        return combat.effectiveness(
            rate, fire, shooter.effectiveness, target.spec.defensibility, c.terrain_fire_factor
        )

    def adaptation(self, target: StateAgent, shooter: StateAgent) -> float:
        """Share of ``shooter``'s fire's harm that still falls on ``target``'s soldiers, who have
        had ``hours_under_fire`` to adapt to it (``combat.adapted_exposure``)."""
        if not self.spec.mechanisms.adaptation:
            return 1.0
        c = self.spec.combat
        hours = target.hours_under_fire.get(shooter.id, 0)
        return combat.adapted_exposure(hours, c.adaptation_hours, c.adapted_exposure)

    def adapt(self) -> None:
        """One more hour under each adversary's fire for the soldiers who were under it."""
        for target, shooter in self._under_fire:
            target.hours_under_fire[shooter.id] = target.hours_under_fire.get(shooter.id, 0) + 1
        self._under_fire.clear()

    def _casualties(self, state: StateAgent, sector: Sector, n: int, stream: str = "combat") -> None:
        """``n`` soldiers out of action in ``sector``; the killed or missing among them are drawn."""
        if n <= 0:
            return
        self._add_forces(sector, state.id, -n)
        state.military_deaths += int(self.streams[stream].binomial(n, self.spec.combat.kill_fraction))

    def _civilian_harm(self, sector: Sector, owner: StateAgent, fire: float, deaths: bool = True) -> None:
        h = self.spec.harm
        rate = h.civilian_death_rate if deaths else 0.0
        deaths, displaced = harm.civilian_toll(
            self.streams["harm"], sector.residents, fire, rate, h.displacement_rate
        )
        sector.residents -= deaths + displaced
        sector.civilian_deaths += deaths
        sector.displaced += displaced

    def _strike_harm(self, sector: Sector, share: float = 1.0) -> None:
        """The civilians inside one strike's lethal footprint (``harm.strike_deaths``), ``share``
        of it for a strike aimed at a military position (``military_site_collateral``); then the
        residents of the ground it damages leave (``harm.strike_displaced``)."""
        deaths = harm.strike_deaths(
            self.streams["harm"],
            sector.residents,
            sector.spec.area_km2,
            self.spec.harm.strike_lethal_area_km2 * share,
        )
        sector.residents -= deaths
        sector.civilian_deaths += deaths
        reach = self.spec.harm.strike_displaced_area_km2 / sector.spec.area_km2
        left = harm.strike_displaced(self.streams["harm"], sector.residents, reach)
        sector.residents -= left
        sector.displaced += left

    def flee(self) -> None:
        """Flight from threat and organised evacuation (``sim.model.harm``): residents leave sectors
        within reach of an enemy's current rung — its fire on a front, its strikes behind the line —
        before fire reaches them; a state whose authorities evacuate orders such sectors out."""
        m = self.spec.mechanisms
        if not (m.flight or m.evacuation):
            return
        h, rng = self.spec.harm, self.streams["harm"]
        front: dict[str, float] = {}  # the enemy's fire on each front sector
        rear: set[str] = set()  # sectors behind the line that the enemy's strikes reach
        for sid, pairs in self.exposure.items():
            for mine, theirs in pairs:
                front[mine.id] = max(front.get(mine.id, 0.0), self._fire(self.states[theirs.holder], sid))
        threat = {sid: t for sid, t in front.items() if t > 0.0}
        if m.deep_strikes:
            for state in self.belligerents:
                for adv in state.adversaries:
                    if adv.rung < Rung.DEEP_STRIKES or self._fire(adv, state.id) == 0.0:
                        continue
                    landing = self.columns.strike_rate[adv.rung] * self.landing(state)
                    landing *= self._deep_strike_rate(adv) / harm.REFERENCE_STRIKES_PER_HOUR
                    odds = self.strike_odds(state.id, adv.id)
                    for sector, share in zip(self.rear(state.id, adv.id), odds, strict=True):
                        rear.add(sector.id)
                        t = h.rear_flight_area_km2 * share * landing / sector.spec.area_km2
                        threat[sector.id] = max(threat.get(sector.id, 0.0), t)
        if m.flight:
            for sid in sorted(threat):
                sector = self.sectors[sid]
                n = harm.flight(
                    rng, sector.residents, sector.spec.population, h.flight_share, threat[sid], h.flight_rate
                )
                sector.residents -= n
                sector.displaced += n
        if m.evacuation:
            self._evacuate(harm.evacuation_zone(front, rear, h.evacuation_fire))

    def _evacuate(self, zone: set[str]) -> None:
        """Organised evacuation: a state whose authorities evacuate orders out the sectors of
        ``zone`` that are its own and that it holds (not ground it has taken: the people there are
        the other state's); each ordered sector empties at ``evacuation_rate`` (to
        ``evacuation_share``) in every fighting hour while its owner still holds it, whatever the
        fire (an hour with every front quiet puts the movement on hold, as it does flight)."""
        h, rng = self.spec.harm, self.streams["harm"]
        for sid in sorted(zone):
            sector = self.sectors[sid]
            own = sector.holder == sector.owner
            if sector.evacuation is None and own and self.states[sector.holder].spec.civil_evacuation:
                sector.evacuation = sector.holder
        for sector in self.sectors.values():
            if sector.evacuation != sector.holder:
                continue
            n = harm.flight(
                rng, sector.residents, sector.spec.population, h.evacuation_share, 1.0, h.evacuation_rate
            )
            sector.residents -= n
            sector.displaced += n

    def _advance(self, atk: StateAgent, src: Sector, dst: Sector, loser: StateAgent, gains: dict) -> bool:
        """Ground taken from ``loser`` in ``dst`` this hour; True once the line has crossed it."""
        c = self.spec.combat
        attackers = src.forces.get(atk.id, 0.0)
        mean = territory.advance_rate(
            self.force_ratio(atk, src, dst, loser),
            c.capture_force_ratio,
            c.advance_km2_per_hour * self.frontage(attackers, src),
            c.advance_cap,
            c.terrain_slowdown,
            dst.spec.defensibility,
        )
        km2 = territory.capture_km2(self.streams["ground"], mean, dst.control.get(loser.id, 0.0))
        moved = territory.transfer(dst.control, loser.id, atk.id, km2)
        if moved > 0.0:
            places = gains.setdefault((atk, loser), {})
            places[dst.spec.name] = places.get(dst.spec.name, 0.0) + moved
        if not self.spec.mechanisms.manoeuvre:
            return False
        garrison = dst.forces.get(loser.id, 0.0)
        if mean > 0.0:  # an assault it cannot stop: remember the garrison's strength when it began
            dst.assaulted[loser.id] = max(dst.assaulted.get(loser.id, 0.0), garrison)
        rout = (
            self.spec.mechanisms.rout
            and mean > 0.0
            and territory.broken(garrison, dst.assaulted.get(loser.id, 0.0), c.rout_breakpoint)
        )
        if (
            self.spec.mechanisms.withdrawal
            and mean > 0.0
            and self.fallback(dst, loser.id, atk.id)
            and loser.gives_up_ground()
        ):
            self._withdrawals.add((dst.id, loser.id))
            return True
        return rout or territory.line_crossed(dst.control, atk.id, dst.spec.area_km2, c.capture_share)

    def force_ratio(self, atk: StateAgent, src: Sector, dst: Sector, loser: StateAgent) -> float:
        """The effective force ratio of ``atk`` attacking from ``src`` into ``dst``, held by ``loser``."""
        return territory.effective_ratio(
            src.forces.get(atk.id, 0.0),
            atk.effectiveness,
            dst.forces.get(loser.id, 0.0),
            loser.effectiveness,
            dst.spec.defensibility,
            self.spec.combat.defensibility_weight,
        )

    def facing(self, state: StateAgent, adv: StateAgent) -> list[tuple[Sector, Sector]]:
        """``state``'s fronts with ``adv``, as (its sector, the sector of ``adv``'s it faces)."""
        return [(own, other) for own, other in self.exposure[state.id] if other.holder == adv.id]

    def breakthrough_share(self, state: StateAgent, adv: StateAgent) -> float:
        """The share of ``state``'s fronts with ``adv`` on which it believes an offensive of the
        forces now there would break through: the effective ratio, with ``adv``'s effectiveness as
        it believes it (its belief about ``adv``'s strength against the truth), above
        ``capture_force_ratio``."""
        pairs = self.facing(state, adv)
        if not pairs:
            return 0.0
        believed = state.beliefs[adv.id].expected / max(adv.strength, 1e-9)
        threshold = self.spec.combat.capture_force_ratio
        through = sum(self.force_ratio(state, own, other, adv) > threshold * believed for own, other in pairs)
        return through / len(pairs)

    def frontage(self, soldiers: float, sector: Sector) -> float:
        """The frontage ``soldiers`` in ``sector`` attack on, in units of ``combat.advance_soldiers``
        in contact: the advance is per unit of frontage, so twice the soldiers in contact take
        twice the ground an hour."""
        c = self.spec.combat
        return combat.engaged(soldiers, sector.spec.area_km2, c.engaged_per_km2) / c.advance_soldiers

    def expected_frontage(self, state: StateAgent, adv: StateAgent) -> float:
        """The mean ``frontage`` of ``state``'s sectors on its fronts with ``adv``: what it expects
        an offensive to take an hour on each, in units of ``combat.advance_km2_per_hour``."""
        sectors = {own.id: own for own, _ in self.facing(state, adv)}.values()
        frontages = [self.frontage(s.forces.get(state.id, 0.0), s) for s in sectors]
        return sum(frontages) / len(frontages) if frontages else 0.0

    def fallback(self, sector: Sector, state: str, enemy: str) -> list[Sector]:
        """The sectors next to ``sector`` that ``state`` holds behind its line facing ``enemy``:
        where its garrison can withdraw to. One cut off from them, or already on its last line,
        has nowhere to go and stands."""
        behind = {s.id for s in self.rear(state, enemy)}
        return [s for s in self.neighbours(sector) if s.id in behind]

    def neighbours(self, sector: Sector) -> list[Sector]:
        """The sectors next to ``sector``, in id order (deterministic whatever the graph's order)."""
        return [self.sectors[n] for n in sorted(self.space.G.neighbors(sector.id))]

    def _capture(self, atk: StateAgent, src: Sector, dst: Sector, loser: StateAgent) -> None:
        """The line crosses ``dst``: the rest of it changes hands, the defender's forces there fall
        back to its neighbouring sectors (all of them, unopposed, in a withdrawal; some, in a
        breach) or are lost; residents flee or, in ground taken from the enemy, may be killed
        (occupation violence); the attacker moves forward and fronts are recomputed."""
        if dst.holder != loser.id or src.holder != atk.id:
            return  # something else changed hands this hour first
        c, rng = self.spec.combat, self.streams["ground"]
        behind = self.fallback(dst, loser.id, atk.id)
        # an earlier capture this hour may have cut the garrison off: then it is a breach after all
        withdrawn = (dst.id, loser.id) in self._withdrawals and bool(behind)
        refuges = behind if withdrawn else [s for s in self.neighbours(dst) if s.holder == loser.id]
        rest = territory.transfer(dst.control, loser.id, atk.id, dst.control.get(loser.id, 0.0))
        dst.holder = atk.id
        dst.assaulted.clear()
        loser.sectors_lost += 1
        if self.spec.mechanisms.flight and dst.residents > 0:
            fled = int(self.streams["harm"].binomial(dst.residents, self.spec.harm.capture_flight_share))
            dst.residents -= fled
            dst.displaced += fled
        if self.spec.mechanisms.occupation_violence and dst.owner != atk.id:  # not one's own people
            killed = harm.occupation_deaths(
                self.streams["harm"], dst.residents, self.spec.harm.occupation_violence_share
            )
            dst.residents -= killed
            dst.civilian_deaths += killed
        defenders = dst.forces.get(loser.id, 0.0)
        retreat = (1.0 if withdrawn else c.retreat_share) * defenders if refuges else 0.0
        self._add_forces(dst, loser.id, -defenders)
        for refuge in refuges:
            self._add_forces(refuge, loser.id, retreat / len(refuges))
        lost = round(defenders - retreat)
        if lost > 0:
            loser.military_deaths += int(rng.binomial(lost, c.kill_fraction))
        self.recompute_fronts()
        still_front = any(mine is src for mine, _ in self.exposure[atk.id])
        moving = src.forces.get(atk.id, 0.0) * (c.advance_share if still_front else 1.0)
        self._add_forces(src, atk.id, -moving)
        self._add_forces(dst, atk.id, moving)
        fate = "withdraw behind the line unopposed" if withdrawn else "retreat or are lost"
        self.log.rung(
            self.hour,
            atk.name,
            loser.name,
            atk.rung,
            f"the line crosses {dst.spec.name} (+{rest:.1f} km²); {loser.name}'s "
            f"{defenders:.0f} troops there {fate}",
            action=f"takes {dst.spec.name}",
        )

    def deep_strike(self) -> None:
        """Strikes on sectors behind the adversary's line (touching no sector the striker holds), at
        the deep-strike rung and above: a Poisson number per hour, less those the target's air
        defences intercept, each aimed at a sector chosen with weight (population + 1)^k, those at
        military positions inflicting Poisson military casualties on the front (fewer as its
        soldiers adapt to the striker)."""
        c, rng = self.spec.combat, self.streams["strikes"]
        if not self.spec.mechanisms.deep_strikes:
            return
        for state in self.belligerents:
            if state.rung < Rung.DEEP_STRIKES:
                continue
            adv = state.adversary
            targets = self.rear(adv.id, state.id)
            if not targets:
                continue
            rate = self.strikes_per_hour(state, state.rung)
            launched = int(rng.poisson(rate)) if rate > 0.0 else 0
            if launched == 0:
                continue
            self.deep_strikes[adv.id] += launched
            n = launched - self._intercepted(adv, launched)
            if n == 0:
                self._log_strikes(state, adv, launched, 0, [])
                continue
            hit = rng.choice(len(targets), size=n, p=self.strike_odds(adv.id, state.id)).tolist()
            aim = state.spec.strike_aim_populated  # a populated place, or else a military position
            populated = (rng.random(n) < aim).tolist() if 0.0 < aim < 1.0 else [aim == 1.0] * n
            collateral = self.spec.harm.military_site_collateral
            for i, town in zip(hit, populated, strict=True):
                if self.spec.mechanisms.strike_harm:  # deaths in its footprint, its ground's residents leave
                    self._strike_harm(targets[i], 1.0 if town else collateral)
                else:  # an hour of fire on the whole sector
                    self._civilian_harm(targets[i], adv, 1.0)
            military = n - sum(populated)
            front = self.military_positions(adv) if military else []
            if front:  # soldiers to hit, who learn to disperse against this striker
                self._under_fire.add((adv, state))
                hurt, materiel = combat.split_harm(
                    c.casualties_per_strike * military, self.adaptation(adv, state)
                )
                adv.materiel_losses += c.kill_fraction * materiel
                casualties = int(rng.poisson(hurt))
                if casualties:
                    self._casualties(adv, front[int(rng.integers(len(front)))], casualties, "strikes")
            self._log_strikes(state, adv, launched, n, sorted({targets[i].spec.name for i in hit}))
            state.strike_home(adv, n)

    def military_positions(self, state: StateAgent) -> list[Sector]:
        """Where strikes aimed at ``state``'s forces find its soldiers: on its fronts, or, for a state
        that holds no front (a war at a distance), in the sectors where they stand (bases)."""
        exposed = self.exposure[state.id]
        held = [mine for mine, _ in exposed] if exposed else self.garrisons[state.id]
        return [s for s in held if s.forces.get(state.id, 0.0) > 0]

    def landing(self, target: StateAgent) -> float:
        """Share of the deep strikes at ``target`` that get through its air and missile defences."""
        return 1.0 - target.spec.air_defence if self.spec.mechanisms.interception else 1.0

    def _intercepted(self, target: StateAgent, launched: int) -> int:
        """How many of ``launched`` strikes at ``target`` its air and missile defences stop."""
        return combat.intercepted(self.streams["interception"], launched, 1.0 - self.landing(target))

    def _log_strikes(
        self, state: StateAgent, adv: StateAgent, launched: int, landed: int, places: list[str]
    ) -> None:
        """One hour's strikes of ``state`` on ``adv``, as narration and the map read them back
        (``sim.analysis.narrate.STRIKES``): "N strikes[, M intercepted]", the places hit."""
        what = f"{launched} strike{'s' if launched > 1 else ''}"
        if landed < launched:
            what += f", {launched - landed} intercepted"
        where = f" ({', '.join(places)})" if places else ""
        self.log.rung(
            self.hour,
            state.name,
            adv.name,
            state.rung,
            what,
            action=f"{describe(Rung.DEEP_STRIKES, adv.name)}{where}",
        )

    # --- pressure, third parties ----------------------------------------------------------------
    def expected_deaths_per_fire(self, state: StateAgent, adv: StateAgent) -> float:
        """Expected own losses per hour per unit of ``adv``'s fire rate (area fire on the soldiers
        in contact on the fronts they share): deaths, or on a static line deaths and materiel in
        deaths' equivalent, which sum to the same (``combat.split_harm``); cached until forces or
        fronts change."""
        cached = self._deaths_per_fire.get((state.id, adv.id))
        if cached is not None:
            return cached
        c, total = self.spec.combat, 0.0
        per_km2, terrain = c.engaged_per_km2, c.terrain_fire_factor
        for mine, theirs in self.exposure[state.id]:
            if theirs.holder != adv.id:
                continue
            beta = combat.effectiveness(c.area_rate, 1.0, adv.effectiveness, mine.spec.defensibility, terrain)
            total += (
                beta
                * combat.engaged(mine.forces.get(state.id, 0.0), mine.spec.area_km2, per_km2)
                * combat.engaged(theirs.forces.get(adv.id, 0.0), theirs.spec.area_km2, per_km2)
            )
        value = self._deaths_per_fire[(state.id, adv.id)] = total * c.kill_fraction
        return value

    def feel_outrage(self) -> None:
        """Outrage (rally round the flag, retaliation norms): each state's own civilian deaths since
        the last hour of fighting add to its outrage, which fades with a half-life over hours of
        fighting (it holds while the guns are silent, so quiet hours skipped change nothing).
        ``StateAgent.situation`` adds ``outrage_per_death`` × outrage to its domestic pull upward."""
        if not self.spec.mechanisms.outrage or self.spec.model.outrage_per_death <= 0.0:
            return
        fade = 0.5 ** (1.0 / self.spec.model.outrage_half_life_hours)
        for state in self.state_agents:
            dead = sum(sector.civilian_deaths for sector in self.sectors_of[state.id])
            state.outrage = state.outrage * fade + (dead - state.civilians_mourned)
            state.civilians_mourned = dead

    def strikes_per_hour(self, state: StateAgent, rung: int) -> float:
        """Expected deep strikes ``state`` launches an hour at ``rung``: its strike campaign's own
        intensity (the ladder's strike-rate column, relative to the deep-strike rung), apart from
        fire on the line."""
        if rung < Rung.DEEP_STRIKES:
            return 0.0
        return self._strikes_per_unit(state) * self.columns.strike_rate[rung]

    def _strikes_per_unit(self, state: StateAgent) -> float:
        """``state``'s strikes an hour per unit of the strike-rate column: its launches on record
        (``strikes_per_day``) or, where the record gives none, ``combat.deep_strikes_per_hour``."""
        at_rung = self.columns.strike_rate[Rung.DEEP_STRIKES]
        return self._deep_strike_rate(state) / (at_rung if at_rung > 0.0 else 1.0)

    def _deep_strike_rate(self, state: StateAgent) -> float:
        """Strikes an hour ``state`` launches at the deep-strike rung."""
        per_day = state.spec.strikes_per_day
        return self.spec.combat.deep_strikes_per_hour if per_day is None else per_day / 24.0

    def expected_deaths_per_strike(self, state: StateAgent, adv: StateAgent) -> float:
        """Expected own losses per hour per unit of ``adv``'s strike rate: its strikes aimed at
        military positions that get through, each with Poisson casualties (deaths, or deaths and
        materiel in deaths' equivalent once the soldiers have adapted: the same total)."""
        if not self.spec.mechanisms.deep_strikes:
            return 0.0
        c, military = self.spec.combat, 1.0 - adv.spec.strike_aim_populated
        return (
            self._strikes_per_unit(adv)
            * self.landing(state)
            * c.casualties_per_strike
            * military
            * c.kill_fraction
        )

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
                    if theirs.holder == adv.id
                ) or (
                    adv.rung >= Rung.DEEP_STRIKES
                    and self.spec.mechanisms.deep_strikes
                    and any(s.id in alliance.covers for s in self.rear(owner, adv.id))
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

    def open_war(self, state: StateAgent, target: StateAgent) -> None:
        """A war the record dates: ``state``'s scheduled offensive against a state it was not
        fighting makes them enemies from this hour (a third party's entry, a second front)."""
        if target not in state.adversaries:
            state.meet(target)
            self.refresh_wars()

    def join_war(self, state: StateAgent, attacker: StateAgent, ward: StateAgent) -> None:
        if state.aim == "none":
            state.aim = "defensive"
        state.intervened = True
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
        self.opener.pop(key, None)
        self.history.append(agreement)
        for state in (a, b):
            state.stand_down()
            if state.declared.pop((b if state is a else a).id, None) is not None:
                self.end_declaration(state.id, (b if state is a else a).id)
        if broker is not None and broker.spec.guarantee != "none":
            self.guard(a, b, broker.spec.guarantee)
        who = broker.name if broker else "the parties themselves"
        self.log.act(self.hour, who, f"{a.name}, {b.name}", "ceasefire", f"{kind}; made by {who}")

    def end_declaration(self, declarer: str, adversary: str) -> None:
        """Close the record of ``declarer``'s open declaration towards ``adversary``."""
        for record in reversed(self.declarations):
            if record[0] == declarer and record[1] == adversary and record[3] is None:
                record[3] = self.hour
                return

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

    def agreement_strength(self, agreement: Agreement, hour: int | None = None) -> float:
        cf, hour = self.spec.ceasefire, self.hour if hour is None else hour
        guard = self.guards.get(frozenset(agreement.parties))
        guards = cf.peacekeepers if guard == "peacekeepers" else cf.monitors if guard == "monitors" else 0.0
        return strength(
            cf.written_terms,
            guards,
            agreement.broker_strength,
            hour - agreement.start_hour,
            cf.leverage_half_life_hours,
        )

    def cede_territory(self, conceder: StateAgent, to: StateAgent, demand: str) -> None:
        """A concession that names a sector hands the whole sector over."""
        sector = self.sectors.get(demand)
        if sector is not None and sector.holder == conceder.id:
            territory.transfer(sector.control, conceder.id, to.id, sector.control.get(conceder.id, 0.0))
            sector.holder = to.id
            self._add_forces(sector, conceder.id, -sector.forces.get(conceder.id, 0.0))  # its garrison leaves
            self.recompute_fronts()

    def ceasefire_hazard(self) -> None:
        """Each agreement in force may break down, driven by the parties' incentives to resume."""
        if not self.spec.mechanisms.breakdown:
            return
        for key, agreement in list(self.agreements.items()):
            rng, incentive, breaker = self._breakdown(key, agreement)
            if rng(self.hour) < self._hazard(agreement, incentive, self.hour):
                self.break_agreement(agreement, breaker)

    def breach(self, state: StateAgent, target: StateAgent | None) -> None:
        """A dated attack during a truce breaks it: the agreements ``state`` holds with ``target``
        (with every adversary, for an offensive with no target: its one rung answers them all) end
        now, broken by ``state``, and so does its own declared ceasefire towards them — a scheduled
        offensive is a fact of the record, which no truce can leave unfought."""
        for adv in state.aimed_at(target):
            agreement = self.agreement(state, adv)
            if agreement is not None:
                self.break_agreement(agreement, state)
            if state.declared.pop(adv.id, None) is not None:
                self.end_declaration(state.id, adv.id)

    def note_openers(self, before: dict[str, int]) -> None:
        """Record who opened fire between two states not yet fighting: the one at a fighting rung
        before this hour's moves while the other was not, or the only one to reach it now; both at
        once (a contested start) leaves neither answering. Kept until an agreement between them."""
        for a, b in self.dyads:
            key = frozenset((a.id, b.id))
            if key in self.opener or key in self.agreements:
                continue
            was = (before[a.id] >= FIGHTING, before[b.id] >= FIGHTING)
            now = (a.rung >= FIGHTING, b.rung >= FIGHTING)
            first = was if any(was) else now
            if any(first):
                self.opener[key] = "" if all(first) else (a.id if first[0] else b.id)

    def answering(self, state: StateAgent, adv: StateAgent) -> bool:
        """Is ``state``'s fire at ``adv`` an answer to fire ``adv`` opened?"""
        return self.opener.get(frozenset((state.id, adv.id))) == adv.id

    def break_agreement(self, agreement: Agreement, breaker: StateAgent) -> None:
        """``agreement`` ends now, broken by ``breaker``: it leaves the agreements in force but
        stays in the history, where it counts as a failed ceasefire; the fire that follows is the
        breaker's."""
        key = frozenset(agreement.parties)
        if self.agreements.get(key) is not agreement:
            return  # already over: a newer agreement between the two is not this one
        del self.agreements[key]
        self.opener[key] = breaker.id
        agreement.end_hour, agreement.ended_by = self.hour, breaker.id
        broker = self.mediators.get(agreement.broker)
        by = broker.name if broker else "bilateral"
        self.log.act(
            self.hour, breaker.name, by, "ceasefire_breaks", f"{agreement.kind} ceasefire breaks down"
        )

    def _breakdown(self, key: frozenset[str], agreement: Agreement) -> tuple[Hourly, float, StateAgent]:
        """An agreement's hourly draws, the stronger incentive to resume and whose it is."""
        a, b = (self.states[p] for p in agreement.parties)
        incentive, breaker = self._incentive(agreement, a, b, self.mediators.get(agreement.broker))
        rng = self._breakdown_rng.get(key)
        if rng is None:
            rng = self._breakdown_rng[key] = Hourly(
                self.stream("ceasefire", "+".join(sorted(key))), self.spec.horizon_hours
            )
        return rng, incentive, breaker

    def _hazard(self, agreement: Agreement, incentive: float, hour: int) -> float:
        """The agreement's breakdown hazard in ``hour``."""
        cf = self.spec.ceasefire
        return breakdown_hazard(
            self.agreement_strength(agreement, hour),
            incentive,
            hour - agreement.start_hour,
            cf.base_hazard,
            cf.resume_hazard,
            cf.incident_half_life_hours,
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
                    s.losses,
                    s.commitment,
                    s.outrage,
                    len(s.conceded),
                    self.pressure_on(s),
                    *((x.mean, x.var) for x in s.beliefs.values()),
                    *s.yields.values(),
                    s.forces,  # a conqueror's breakthrough and frontage follow its forces
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
    def record(self, t: int | slice | None = None) -> None:
        """This hour's row of the hourly series (or the same row over a slice of quiet hours)."""
        series, t = self.series, self.hour if t is None else t
        if isinstance(t, int) and t >= len(series["intensity"]):
            return
        series["intensity"][t] = self._intensity
        for state, rung, military, civilian, sectors in self._rows:
            rung[t] = state.rung
            military[t] = state.military_deaths
            civilian[t] = sum(s.civilian_deaths for s in sectors)

    def peak_rungs(self) -> np.ndarray:
        """Per hour: the highest rung any belligerent stood on."""
        rungs = [self.series[f"rung.{s.id}"] for s in self.belligerents]
        if not rungs:
            return np.zeros(self.spec.horizon_hours, dtype=np.int8)
        return np.max(rungs, axis=0)


# --- agent reporters (plain functions: every agent type is asked; non-states answer None) -------
def agent_name(agent: mesa.Agent) -> str:
    return getattr(agent, "name", None) or agent.spec.name


def agent_rung(agent: mesa.Agent) -> int | None:
    return agent.rung if isinstance(agent, StateAgent) else None


def believed_share(agent: mesa.Agent) -> float | None:
    """A belligerent's believed share of the strength in its war (None for others)."""
    adv = agent.adversary if isinstance(agent, StateAgent) else None
    if adv is None:
        return None
    return agent.balance(adv)
