"""Ground and scale: manoeuvre, moving fronts, frontage-limited attrition, mobilisation, deep strikes.

The ground mechanics are tested in isolation with a fixed rung schedule (``fight``): the states'
rungs are set by hand each hour and only the ground phase of the hour runs (mobilisation, fire and
manoeuvre, deep strikes), so the politics cannot end a war the ground would have let go on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.analysis.outcomes import outcomes
from sim.model import combat, decision, mobilisation, territory
from sim.model.escalation import EscalationModel
from sim.model.ladder import N_RUNGS, Rung
from sim.scenario.loading import with_overrides
from sim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent


def grid(
    cols: int = 5,
    a_rows: int = 2,
    b_rows: int = 10,
    area: float = 100.0,
    a_forces: float = 64000,
    b_forces: float = 40000,
    a_drones: float = 2.0,
    combat_params: dict | None = None,
    **state_b,
) -> Scenario:
    """A rectangular theatre: A's rows above B's; each state garrisons its border row evenly."""
    sectors = {}
    rows = a_rows + b_rows
    for r in range(rows):
        owner = "A" if r < a_rows else "B"
        for c in range(cols):
            neighbours = [f"S{r}_{c + 1}"] if c + 1 < cols else []
            neighbours += [f"S{r + 1}_{c}"] if r + 1 < rows else []
            sectors[f"S{r}_{c}"] = {
                "name": f"sector {r},{c}",
                "owner": owner,
                "area_km2": area,
                "population": 1000 * (1 + c),
                "defensibility": 0.3,
                "border": r in (a_rows - 1, a_rows),
                "neighbours": neighbours,
            }
    return Scenario.model_validate(
        {
            "name": "grid",
            "title": "a made-up large war",
            "start": dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
            "horizon_hours": 24 * 45,
            "combat": combat_params or {},
            "states": {
                "A": {
                    "name": "Aland",
                    "adversary": "B",
                    "forces": a_forces,
                    "drones": a_drones,
                    "war_aim": "coercive",
                },
                "B": {
                    "name": "Bland",
                    "adversary": "A",
                    "forces": b_forces,
                    "war_aim": "defensive",
                    **state_b,
                },
            },
            "sectors": sectors,
        }
    )


def fight(model: EscalationModel, hours: int, rungs: dict[str, int]) -> list[float]:
    """Run only the ground phase for ``hours`` at fixed rungs; km² of B's land A holds, per hour."""
    taken = []
    for _ in range(hours):
        for sid, rung in rungs.items():
            model.states[sid].rung = rung
        model.mobilise()
        model.exchange_fire()
        model.deep_strike()
        model.adapt()
        taken.append(sum(s.control.get("A", 0.0) for s in model.sectors_of["B"]))
    return taken


OFFENSIVE = {"A": Rung.GROUND_OFFENSIVE, "B": Rung.DEEP_STRIKES}


def check_invariants(model: EscalationModel) -> None:
    total = sum(s.spec.area_km2 for s in model.sectors.values())
    assert sum(sum(s.control.values()) for s in model.sectors.values()) == pytest.approx(total)
    for s in model.sectors.values():
        assert sum(s.control.values()) == pytest.approx(s.spec.area_km2)
        assert min(s.control.values()) >= 0.0
        assert all(f >= 0.0 for f in s.forces.values())
        assert s.control.get(s.holder, 0.0) > 0.0  # whoever holds the line holds ground there
    for sid, state in model.states.items():
        assert state.military_deaths >= 0
        on_ground = sum(s.forces.get(sid, 0.0) for s in model.sectors.values())
        assert model.force_total[sid] == pytest.approx(on_ground, abs=1e-6)
    fresh = sorted(
        (min(u, v), max(u, v))
        for u, v in model.space.G.edges
        if model.hostile(model.sectors[u].holder, model.sectors[v].holder)
        or model.hostile(model.sectors[v].holder, model.sectors[u].holder)
    )
    assert model.fronts == fresh  # fronts always follow who holds what


# --- the pure functions -----------------------------------------------------------------------------
def test_no_ground_below_the_breakthrough_threshold():
    assert territory.advance_rate(1.6, 1.6, 1.0, 3.0, 0.5, 0.0) == 0.0
    assert territory.advance_rate(1.0, 1.6, 1.0, 3.0, 0.5, 0.0) == 0.0
    assert territory.advance_rate(1.7, 1.6, 1.0, 3.0, 0.5, 0.0) > 0.0
    rough = territory.advance_rate(5.0, 1.6, 1.0, 3.0, 0.5, 0.8)
    assert rough == pytest.approx(0.6 * territory.advance_rate(5.0, 1.6, 1.0, 3.0, 0.5, 0.0))


@given(r1=st.floats(0.0, 50.0), r2=st.floats(0.0, 50.0), d1=st.floats(0, 1), d2=st.floats(0, 1))
def test_advance_rate_grows_with_the_ratio_and_falls_with_terrain(r1, r2, d1, d2):
    lo, hi = sorted((r1, r2))
    assert territory.advance_rate(lo, 1.6, 1.0, 3.0, 0.5, 0.3) <= territory.advance_rate(
        hi, 1.6, 1.0, 3.0, 0.5, 0.3
    )
    easy, hard = sorted((d1, d2))
    assert territory.advance_rate(5.0, 1.6, 1.0, 3.0, 0.5, hard) <= territory.advance_rate(
        5.0, 1.6, 1.0, 3.0, 0.5, easy
    )
    ratio_easy = territory.effective_ratio(100, 1.0, 50, 1.0, easy, 1.0)
    ratio_hard = territory.effective_ratio(100, 1.0, 50, 1.0, hard, 1.0)
    assert ratio_hard <= ratio_easy  # defensibility also raises the bar


def test_the_advance_is_capped_and_an_empty_sector_falls_at_the_cap():
    capped = territory.advance_rate(1e6, 1.6, 1.0, 3.0, 0.0, 0.0)
    assert capped == pytest.approx(3.0)
    assert territory.effective_ratio(10, 1.0, 0, 1.0, 0.5, 1.0) == float("inf")
    assert territory.advance_rate(float("inf"), 1.6, 1.0, 3.0, 0.0, 0.0) == pytest.approx(3.0)


def test_capture_draws_are_bounded_and_have_the_mean():
    rng = np.random.default_rng(3)
    draws = [territory.capture_km2(rng, 0.5, 99.0) for _ in range(4000)]
    assert np.mean(draws) == pytest.approx(0.5, rel=0.08)
    assert max(territory.capture_km2(rng, 50.0, 2.0) for _ in range(100)) <= 2.0
    assert territory.capture_km2(rng, 0.0, 10.0) == 0.0


def test_only_the_frontage_engages():
    assert combat.engaged(500.0, 100.0, 60.0) == 500.0
    assert combat.engaged(50_000.0, 100.0, 60.0) == 6000.0


def test_the_advance_grows_with_the_soldiers_attacking_in_contact():
    model = EscalationModel(grid(), 0)
    sector, per_km2 = model.sectors["S1_0"], model.spec.combat.engaged_per_km2
    reference = model.spec.combat.advance_soldiers
    assert model.frontage(reference, sector) == pytest.approx(1.0)
    assert model.frontage(reference / 2, sector) == pytest.approx(0.5)
    assert model.frontage(1e9, sector) == pytest.approx(per_km2 * sector.spec.area_km2 / reference)


def test_twice_the_soldiers_in_contact_take_about_twice_the_ground():
    """The same force ratio on strips twice as wide: twice the frontage, twice the km² an hour."""

    def first_hours(scenario: Scenario) -> float:
        return sum(fight(EscalationModel(scenario, seed), 4, OFFENSIVE)[-1] for seed in range(20))

    narrow = first_hours(grid())
    wide = first_hours(grid(area=200.0, a_forces=128000, b_forces=80000))
    assert 1.6 < wide / narrow < 2.4


def test_a_conqueror_expects_the_ground_its_soldiers_in_contact_can_take():
    for forces, frontage in ((64000, 1.0), (15000, 0.5)):  # 12,800 a border sector, 6,000 in contact; 3,000
        scenario = with_overrides(grid(a_forces=forces), {"states.A.territorial_value": 0.1})
        model = EscalationModel(scenario, 0)
        a, b = model.states["A"], model.states["B"]
        assert model.expected_frontage(a, b) == pytest.approx(frontage)
        expected = 0.1 * model.spec.combat.advance_km2_per_hour * frontage
        assert a.situation(b).territory_gain == pytest.approx(expected)


def test_a_conqueror_that_can_break_through_hopes_to_take_the_ground_by_force():
    conqueror = {"states.A.war_aim": "territorial"}
    strong = EscalationModel(with_overrides(grid(), conqueror), 0)  # 12,800 a border sector, drones 2
    a, b = strong.states["A"], strong.states["B"]
    assert strong.breakthrough_share(a, b) == a.breakthrough(b) == 1.0
    assert b.breakthrough(a) == 0.0  # a defender takes nothing by force
    s = a.situation(b)
    gains = decision.gains(s, strong.columns)
    hoping = decision.gains(dataclasses.replace(s, breakthrough=0.0), strong.columns)
    assert s.yields < 1.0 and s.breakthrough == 1.0
    assert gains[: Rung.GROUND_OFFENSIVE] == hoping[: Rung.GROUND_OFFENSIVE]  # fire takes no ground
    for r in range(Rung.GROUND_OFFENSIVE, N_RUNGS):
        assert gains[r] == pytest.approx(hoping[r] / s.yields)  # an offensive needs no yielding
    held = EscalationModel(with_overrides(grid(b_forces=400_000), conqueror), 0)  # B's line holds
    assert held.states["A"].breakthrough(held.states["B"]) == 0.0
    pessimist = EscalationModel(with_overrides(grid(), conqueror), 0)  # believes B 3 times stronger
    pessimist.states["A"].beliefs["B"].mean += math.log(3.0)
    assert pessimist.states["A"].breakthrough(pessimist.states["B"]) == 0.0
    coercer = EscalationModel(grid(), 0)  # the same strength, but it needs B to yield
    assert coercer.states["A"].breakthrough(coercer.states["B"]) == 0.0
    off = EscalationModel(with_overrides(grid(), {**conqueror, "mechanisms.conquest": False}), 0)
    assert off.states["A"].breakthrough(off.states["B"]) == 0.0


def test_a_conquerors_view_follows_the_forces_within_the_hour():
    """The same hour's situation and ceasefire incentive are cached; forces that move, so that a
    line holds or an attacking line thins, must reach them."""
    scenario = with_overrides(grid(), {"states.A.war_aim": "territorial", "states.A.territorial_value": 0.1})
    model = EscalationModel(scenario, 0)
    a, b = model.states["A"], model.states["B"]
    model.agree(None, a, b, "offer", ())
    agreement = model.agreements[frozenset(("A", "B"))]
    before, incentive = a.situation(b), model._incentive(agreement, a, b, None)[0]
    (mine, held), *rest = model.facing(a, b)
    for own, other in rest:  # the same totals, massed in one sector each
        model._add_forces(held, "B", other.forces["B"])
        model._add_forces(other, "B", -other.forces["B"])
        model._add_forces(mine, "A", own.forces["A"])
        model._add_forces(own, "A", -own.forces["A"])
    after = a.situation(b)
    assert before.breakthrough == 1.0 and after.breakthrough == pytest.approx(0.2)  # one front left
    assert after.territory_gain == pytest.approx(0.2 * before.territory_gain)  # four attack with none
    model._add_forces(held, "B", 400_000)
    assert model._incentive(agreement, a, b, None)[0] < incentive


def test_a_conqueror_that_can_break_through_fights_on_for_ground():
    """Without brute force a conqueror, like a coercer, gives up once the defender's losses show it
    will not yield; with it, it fights on while its offensive breaks through."""

    def runs(conquest: bool) -> pd.DataFrame:
        overrides = {"states.A.war_aim": "territorial", "states.A.territorial_value": 0.05}
        overrides |= {"mechanisms.conquest": conquest, "horizon_hours": 400}
        scenario = with_overrides(grid(), overrides)
        return pd.DataFrame([outcomes(EscalationModel(scenario, seed).run()) for seed in range(8)])

    on, off = runs(True), runs(False)
    assert on["fighting_hours"].median() > 2 * off["fighting_hours"].median()
    assert on["territory_lost_km2.B"].median() > 100.0 > 20.0 > off["territory_lost_km2.B"].median()


def test_terrain_factor_is_a_parameter():
    assert combat.effectiveness(1.0, 1.0, 1.0, 1.0, 0.0) == 1.0
    assert combat.effectiveness(1.0, 1.0, 1.0, 1.0, 0.8) == pytest.approx(0.2)


# --- moving fronts ---------------------------------------------------------------------------------
def test_a_captured_sector_moves_the_front_forces_and_deep_targets():
    model = EscalationModel(grid(cols=1, a_rows=1, b_rows=3), 1)
    a, b = model.states["A"], model.states["B"]
    s0, s1, s2 = (model.sectors[f"S{r}_0"] for r in range(3))
    assert model.fronts == [("S0_0", "S1_0")]
    assert [t.id for t in model.rear("B", "A")] == ["S2_0", "S3_0"]
    a_before, b_before = s0.forces["A"], s1.forces["B"]
    s1.control = {"B": 10.0, "A": 90.0}
    model._capture(a, s0, s1, b)
    assert s1.holder == "A" and s1.control == {"B": 0.0, "A": 100.0}
    assert model.fronts == [("S1_0", "S2_0")]  # its neighbour became the front
    assert [t.id for t in model.rear("B", "A")] == ["S3_0"]
    assert s1.forces["A"] == pytest.approx(a_before)  # S0 is behind the line now: all move up
    assert s2.forces["B"] == pytest.approx(0.7 * b_before)  # retreat_share fall back
    assert s1.forces["B"] == 0.0
    assert b.military_deaths > 0  # the rest are lost
    assert model.exposure["B"] == [(s2, s1)] and model.exposure["A"] == [(s1, s2)]
    check_invariants(model)


def test_large_war_gives_weeks_of_fighting_and_thousands_of_km2():
    """64,000 against 40,000 troops, a front of five 100-km² sectors ten deep."""
    model = EscalationModel(grid(), 2)
    taken = fight(model, 24 * 14, OFFENSIVE)
    check_invariants(model)
    assert taken[-1] > 1000.0
    assert model.states["B"].forces > 0.25 * 40000  # two weeks on, the defender still fights
    assert model.states["A"].forces > 0.5 * 64000
    assert sum(s.holder == "A" for s in model.sectors_of["B"]) >= 8  # the front moved
    taken += fight(model, 24 * 7, OFFENSIVE)
    assert taken[-1] - taken[24 * 14 - 1] > 1000.0  # and the advance goes on in the third week
    check_invariants(model)


def test_without_manoeuvre_fronts_stay_where_they_were():
    scenario = with_overrides(grid(), {"mechanisms.manoeuvre": False})
    model = EscalationModel(scenario, 2)
    fronts = list(model.fronts)
    taken = fight(model, 24 * 21, OFFENSIVE)
    assert model.fronts == fronts
    assert all(s.holder == "B" for s in model.sectors_of["B"])
    assert 0.0 < taken[-1] <= 500.0 + 1e-6  # fire still takes the border row, no more
    assert all(s.control.get("A", 0.0) == 0.0 for s in model.sectors_of["B"] if not s.spec.border)


def war(scenario: Scenario, seeds=range(3), hours=24 * 30) -> tuple[float, float, float]:
    """Means over seeds: (last hour the attacker gained ground, km² taken, share of the defender's
    forces left)."""
    last, km2, left = [], [], []
    for seed in seeds:
        model = EscalationModel(scenario, seed)
        taken = np.array(fight(model, hours, OFFENSIVE))
        gained = np.flatnonzero(np.diff(taken, prepend=0.0) > 1e-9)
        last.append(gained[-1] if len(gained) else 0)
        km2.append(taken[-1])
        left.append(model.states["B"].forces / scenario.states["B"].forces)
    return float(np.mean(last)), float(np.mean(km2)), float(np.mean(left))


def test_five_times_the_armies_do_not_make_a_shorter_war():
    """Same force ratio, five times the troops on the same front: the offensive goes on at least as
    long and the defender is further from collapse after a month (its front is full either way, so
    hourly losses are the same and a bigger army bears them longer)."""
    base = grid(b_rows=8, a_drones=1.6)
    big = grid(b_rows=8, a_drones=1.6, a_forces=5 * 64000, b_forces=5 * 40000)
    last_base, km2_base, left_base = war(base)
    last_big, km2_big, left_big = war(big)
    assert last_big >= last_base
    assert km2_big > 1000.0 and km2_base > 1000.0  # both are large wars
    assert left_big > left_base + 0.2
    m1, m5 = EscalationModel(base, 0), EscalationModel(big, 0)
    assert m5.expected_deaths_per_fire(m5.states["A"], m5.states["B"]) == pytest.approx(
        m1.expected_deaths_per_fire(m1.states["A"], m1.states["B"])
    )


def test_bigger_armies_keep_the_baseline_war_as_long():
    """The whole model: four times both armies (64,000 v 40,000) on the Sept-2022 front."""
    scenario = sim.load_scenario(ROOT / "scenarios/sept2022.toml")
    big = with_overrides(scenario, {"states.AZE.forces": 64000, "states.ARM.forces": 40000})
    hours = [
        np.median([outcomes(EscalationModel(s, i).run())["fighting_hours"] for i in range(30)])
        for s in (scenario, big)
    ]
    assert hours[1] >= hours[0] - 2


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    a_forces=st.floats(100, 200_000),
    b_forces=st.floats(100, 200_000),
    reserves=st.floats(0, 50_000),
    share=st.floats(0.05, 1.0),
    threshold=st.floats(0.2, 5.0),
    retreat=st.floats(0, 1),
    schedule=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=6),
)
def test_territory_forces_and_deaths_stay_consistent(
    seed, a_forces, b_forces, reserves, share, threshold, retreat, schedule
):
    scenario = grid(
        cols=3,
        b_rows=4,
        a_forces=a_forces,
        b_forces=b_forces,
        reserves=reserves,
        mobilisation_days=1.0,
        combat_params={
            "capture_share": share,
            "capture_force_ratio": threshold,
            "retreat_share": retreat,
            "advance_km2_per_hour": 5.0,
        },
    )
    model = EscalationModel(scenario, seed)
    for ra, rb in schedule:
        fight(model, 12, {"A": ra, "B": rb})
        check_invariants(model)
    assert model.mobilisation["B"].arrived <= reserves


# --- mobilisation ----------------------------------------------------------------------------------
def test_reserves_arrive_over_the_mobilisation_days_up_to_what_there_is():
    model = EscalationModel(grid(reserves=24_000, mobilisation_days=10.0), 4)
    mob = model.mobilisation["B"]
    fight(model, 1, {"A": Rung.ARTILLERY, "B": Rung.ARTILLERY})
    assert not mob.ordered  # below the trigger rung (a ground offensive) nothing happens
    fight(model, 24 * 5 - 1, OFFENSIVE)
    assert mob.ordered_hour is not None
    assert 0.4 * 24_000 < mob.arrived < 0.6 * 24_000  # half way after half the days
    fight(model, 24 * 15, OFFENSIVE)
    assert mob.arrived == 24_000 and mob.remaining == 0.0  # all of them, never more
    assert model.mobilisation["A"].arrived == 0  # A has no reserves


def test_reinforcements_go_to_the_most_threatened_front():
    model = EscalationModel(grid(cols=3, reserves=3000, mobilisation_days=1.0), 5)
    weak = model.sectors["S2_1"]
    model._add_forces(weak, "B", -weak.forces["B"] + 10.0)  # one thinly held sector
    before = {s.id: s.forces["B"] for s in model.garrisons["B"]}
    model.mobilise(model.states["B"], "test")
    for _ in range(4):
        model.mobilise()
    gains = {sid: model.sectors[sid].forces["B"] - f for sid, f in before.items()}
    assert max(gains, key=gains.get) == "S2_1" and gains["S2_1"] > 0


def test_mobilisation_rule_and_cost():
    assert mobilisation.should_mobilise(5, 5, 1000, 1000, 0.5)
    assert not mobilisation.should_mobilise(4, 5, 1000, 1000, 0.5)
    assert mobilisation.should_mobilise(1, None, 400, 1000, 0.5)  # worn down
    assert not mobilisation.should_mobilise(6, None, 600, 1000, 0.5)
    model = EscalationModel(grid(reserves=1000, mobilisation_cost=0.3), 0)
    assert model.mobilisation_cost(model.states["B"]) == 0.3
    assert model.mobilisation_cost(model.states["A"]) == 0.0  # nothing to mobilise
    off = EscalationModel(with_overrides(grid(reserves=1000), {"mechanisms.mobilisation": False}), 0)
    fight(off, 48, OFFENSIVE)
    assert not off.mobilisation["B"].ordered and off.mobilisation_cost(off.states["B"]) == 0.0


# --- deep strikes ----------------------------------------------------------------------------------
def test_deep_strikes_land_only_behind_the_line_and_follow_it():
    model = EscalationModel(grid(cols=2, b_rows=4), 6)
    rear = {s.id for s in model.rear("B", "A")}
    assert rear == {f"S{r}_{c}" for r in (3, 4, 5) for c in (0, 1)}
    fight(model, 24 * 10, {"A": Rung.FULL_WAR, "B": Rung.ARTILLERY})
    hit = {s.id for s in model.sectors_of["B"] if s.displaced or s.civilian_deaths}
    now = {s.id for s in model.rear("B", "A")}
    assert now < rear  # the line moved forward, the rear shrank
    assert model.deep_strikes["B"] > 0
    assert hit <= rear | {s.id for s in model.sectors_of["B"] if s.spec.border}


@pytest.mark.parametrize("exponent, low, high", [(0.0, 0.8, 1.25), (2.0, 3.3, 4.8)])
def test_strike_targeting_follows_population(exponent, low, high):
    """Column 1 is twice as populous as column 0: it draws 2^k times as many strikes."""
    params = {"strike_population_exponent": exponent, "deep_strikes_per_hour": 5.0}
    model = EscalationModel(grid(cols=2, b_rows=3, combat_params=params), 7)
    hits = []
    model._strike_harm = lambda sector, share=1.0: hits.append(sector.id)
    for _ in range(400):
        model.states["A"].rung = Rung.DEEP_STRIKES
        model.deep_strike()
    column = np.array([int(h.split("_")[1]) for h in hits])
    assert set(hits) == {"S3_0", "S3_1", "S4_0", "S4_1"}
    assert low < (column == 1).sum() / (column == 0).sum() < high


def test_no_deep_strikes_when_switched_off():
    model = EscalationModel(with_overrides(grid(), {"mechanisms.deep_strikes": False}), 8)
    fight(model, 48, {"A": Rung.FULL_WAR, "B": Rung.DEEP_STRIKES})
    assert model.deep_strikes == {"A": 0, "B": 0}


# --- quiet hours -----------------------------------------------------------------------------------
def test_quiet_hours_skip_everything_but_the_breakdown_hazard(monkeypatch):
    scenario = sim.load_scenario(ROOT / "scenarios/sept2022.toml")
    decided = []
    original = sim.model.agents.StateAgent.decide

    def spy(self):
        decided.append(self.model.hour)
        original(self)

    monkeypatch.setattr(sim.model.agents.StateAgent, "decide", spy)
    quiet_hours = 0
    for seed in range(5):
        model = EscalationModel(scenario, seed).run()
        quiet = np.ones(scenario.horizon_hours, dtype=bool)
        quiet[decided] = False
        quiet_hours += quiet.sum()
        decided.clear()
        rungs = model.peak_rungs()
        assert (rungs[quiet] < Rung.SMALL_ARMS).all()  # nobody fired in an hour skipped
    assert quiet_hours > 100  # the ceasefires that held left quiet hours
