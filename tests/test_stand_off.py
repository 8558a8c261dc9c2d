"""Wars at a distance: adversaries with no front between them fight by strikes alone
(``ladder.STAND_OFF``, ``EscalationModel.ladder``, ``EscalationModel.military_positions``)."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from test_cli import assert_clean_error, escsim

from sim.model import decision
from sim.model.escalation import EscalationModel
from sim.model.ladder import FULL_LADDER, STAND_OFF, Rung
from sim.scenario.checks import problems, stand_offs
from sim.scenario.schema import Scenario

SEEDS = range(8)


def apart(touching: bool = False, opening: bool = True, **a_overrides) -> Scenario:
    """Two states, each with a base strip and a city behind it; the strips touch only if
    ``touching``. A opens with deep strikes on B (if ``opening``) and wants a concession B will not
    make cheaply."""

    def sector(owner: str, name: str, population: int, border: bool, neighbours: list[str]) -> dict:
        return {
            "name": name,
            "owner": owner,
            "area_km2": 100.0 if border else 40.0,
            "population": population,
            "border": border,
            "neighbours": neighbours,
        }

    return Scenario.model_validate(
        {
            "name": "apart",
            "title": "a made-up exchange of strikes",
            "start": dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
            "horizon_hours": 120,
            "states": {
                "A": {
                    "name": "Aland",
                    "adversary": "B",
                    "forces": 4000,
                    "war_aim": "coercive",
                    "demands": ["stop"],
                    "strike_aim_populated": 0.0,
                    **a_overrides,
                },
                "B": {
                    "name": "Bland",
                    "adversary": "A",
                    "forces": 4000,
                    "war_aim": "defensive",
                    "concessions": {"stop": 5.0},
                },
            },
            "sectors": {
                "A_BASE": sector("A", "A's bases", 5000, True, ["A_CITY", *(["B_BASE"] if touching else [])]),
                "A_CITY": sector("A", "A's capital", 400000, False, []),
                "B_BASE": sector("B", "B's bases", 5000, True, ["B_CITY"]),
                "B_CITY": sector("B", "B's capital", 400000, False, []),
            },
            "events": {"open": {"hour": 0, "kind": "offensive", "actor": "A", "target": "B", "rung": 4}},
        }
    )


def rungs_held(scenario: Scenario, seed: int) -> tuple[set[int], EscalationModel]:
    model = EscalationModel(scenario, rng=seed, collect=False)
    held: set[int] = set()
    for _ in range(scenario.horizon_hours):
        model.step()
        held |= {s.rung for s in model.states.values()}
    return held, model


def test_the_stand_off_ladder_steps_from_threats_to_strikes():
    assert list(decision.reachable(Rung.THREATS, 1, ladder=STAND_OFF)) == [0, 1, 4]
    assert list(decision.reachable(Rung.DEEP_STRIKES, 1, ladder=STAND_OFF)) == [1, 4]
    assert list(decision.reachable(Rung.DEEP_STRIKES, 1, ceiling=Rung.ARTILLERY, ladder=STAND_OFF)) == [1]
    assert list(decision.reachable(Rung.ARTILLERY, 1, ladder=STAND_OFF)) == [0, 1, 4]  # a front lost
    for current in FULL_LADDER:  # the full ladder as before: one step each way
        assert list(decision.reachable(current, 1)) == [r for r in FULL_LADDER if abs(r - current) <= 1]


def test_validate_names_the_adversaries_without_a_front():
    assert stand_offs(apart()) == ["A–B"]
    assert stand_offs(apart(touching=True)) == []
    assert list(problems(apart())) == []


def test_a_state_cannot_open_fire_across_a_line_it_does_not_share():
    found = list(problems(apart(initial_rung=Rung.ARTILLERY)))
    assert len(found) == 1 and "states.A.initial_rung" in found[0] and "needs a front" in found[0]
    assert list(problems(apart(touching=True, initial_rung=Rung.ARTILLERY))) == []


def test_states_without_a_front_fight_only_by_strikes():
    """Neither side ever stands on a rung that needs a line (small arms, artillery, ground
    offensive, full war), yet both strike: B answers in kind."""
    struck = {"A": 0, "B": 0}
    for seed in SEEDS:
        held, model = rungs_held(apart(), seed)
        assert held <= set(STAND_OFF), (seed, held)
        struck = {sid: n + model.deep_strikes[sid] for sid, n in struck.items()}
    assert min(struck.values()) > 0
    touching, _ = rungs_held(apart(touching=True), 0)
    assert touching - set(STAND_OFF)  # with a front, the line's rungs are used


def entering(hour: int = 24, **c_overrides) -> Scenario:
    """``apart()`` with a third state, C, at war with nobody until its scheduled strikes on B at
    ``hour`` (a third party's dated entry into the war)."""
    spec = apart().model_dump(exclude_unset=True)
    spec["states"]["C"] = {
        "name": "Cland",
        "forces": 3000,
        "war_aim": "coercive",
        "demands": ["stop"],
        "initial_rung": "ceasefire",
        **c_overrides,
    }
    spec["sectors"]["C_BASE"] = {
        "name": "C's bases",
        "owner": "C",
        "area_km2": 40.0,
        "population": 1000,
        "border": True,
    }
    spec["events"]["enter"] = {"hour": hour, "kind": "offensive", "actor": "C", "target": "B", "rung": 4}
    return Scenario.model_validate(spec)


def test_an_offensive_on_a_state_not_yet_fought_opens_that_war_at_its_hour():
    """C stays out until its scheduled strikes, then is at war with B (and only B) and strikes it;
    without the event it never fights."""
    for seed in range(4):
        model = EscalationModel(entering(), rng=seed, collect=False)
        c, b = model.states["C"], model.states["B"]
        while model.hour < 24:
            assert not c.belligerent and not c.adversaries
            model.step()
        assert c.belligerent and c.adversaries == [b] and c in b.adversaries
        assert c.rung == Rung.DEEP_STRIKES and frozenset(("B", "C")) in model._hostile
        assert model.firing(b, c) > 0.0  # C's strikes reach B from this hour
    quiet = entering(hour=500)  # after the horizon: C never enters
    model = EscalationModel(quiet, rng=0, collect=False)
    while model.running:
        model.step()
    assert not model.states["C"].belligerent and model.states["C"].rung == Rung.CEASEFIRE


def test_an_offensive_needs_an_actor_with_a_war_aim():
    found = list(problems(entering(war_aim="none", demands=[])))
    assert any("events.enter.actor" in p and "war_aim" in p for p in found), found
    assert stand_offs(entering()) == ["A–B", "B–C"]


def test_a_dated_offensive_during_a_truce_breaks_it():
    """C's entry at hour 24 is an attack on B: with a truce between them in force, the truce ends
    at that hour, broken by C (a failed ceasefire in the history), and C's strikes land; the rung
    of an offensive never stands under a truce where no one fires (which the outcomes would read as
    fighting). Without the event, or with a show of force below fire, the truce holds (breakdown
    off)."""
    for hour, rung, broken in (
        (24, Rung.DEEP_STRIKES, True),
        (500, Rung.DEEP_STRIKES, False),
        (24, Rung.THREATS, False),
    ):
        spec = entering(hour=hour).model_dump(exclude_unset=True)
        spec["events"]["enter"]["rung"] = int(rung)
        spec.setdefault("mechanisms", {})["breakdown"] = False
        model = EscalationModel(Scenario.model_validate(spec), rng=0, collect=False)
        b, c = model.states["B"], model.states["C"]
        c.meet(b)
        model.refresh_wars()
        model.agree(None, b, c, "offer", ())
        while model.hour <= 24:
            model.step()
        truce = next(a for a in model.history if set(a.parties) == {"B", "C"})
        assert (model.agreement(b, c) is None) is broken
        if broken:
            assert (truce.end_hour, truce.ended_by) == (24, "C")
            assert c.rung == Rung.DEEP_STRIKES and model.firing(c, b) > 0.0
        else:
            assert truce.end_hour is None and c.rung < Rung.SMALL_ARMS


def test_a_dated_offensive_ends_its_actors_own_declared_ceasefire():
    """C, having declared a unilateral ceasefire towards B, attacks on the date the record gives:
    the declaration ends with the attack, and the strikes land."""
    spec = entering().model_dump(exclude_unset=True)
    spec.setdefault("mechanisms", {})["agreements"] = False  # B cannot match the declaration
    model = EscalationModel(Scenario.model_validate(spec), rng=0, collect=False)
    b, c = model.states["B"], model.states["C"]
    c.meet(b)
    model.refresh_wars()
    while model.hour < 23:
        model.step()
    c.declare(b, "")  # an hour before the attack: it has not lapsed by then
    assert "B" in c.declared
    while model.hour <= 24:
        model.step()
    record = [r for r in model.declarations if r[:2] == ["C", "B"]][-1]
    assert "B" not in c.declared and record[3] == 24
    assert c.rung == Rung.DEEP_STRIKES and model.firing(c, b) > 0.0


def test_strikes_at_a_distance_find_soldiers_at_their_bases():
    """Strikes aimed at military positions of a state with no front hit its soldiers where they
    stand, where it expects its losses from strikes (``expected_deaths_per_strike``)."""
    dead = [rungs_held(apart(), seed)[1].states["B"].military_deaths for seed in SEEDS]
    assert sum(dead) > 0
    model = EscalationModel(apart(), rng=0, collect=False)
    b = model.states["B"]
    assert [s.id for s in model.military_positions(b)] == ["B_BASE"]
    assert model.expected_deaths_per_strike(b, model.states["A"]) > 0.0


def test_the_value_of_fighting_on_counts_only_the_rungs_a_state_can_fight_on():
    """Its value of fighting on (for ceasefires, declarations and bargaining) is its best fighting
    rung against that adversary; one that can fight on none — no front, no strikes in its
    doctrine — holds at threats under the other's fire (finite: mediators split gaps with it)."""
    utility = [float(r) for r in range(len(FULL_LADDER))]  # higher rungs better, to see the cut
    cases = {  # (touching, max_rung): best rung
        (False, Rung.FULL_WAR): Rung.DEEP_STRIKES,
        (False, Rung.ARTILLERY): Rung.THREATS,
        (True, Rung.FULL_WAR): Rung.FULL_WAR,
        (True, Rung.ARTILLERY): Rung.ARTILLERY,
    }
    for (touching, top), best in cases.items():
        model = EscalationModel(apart(touching=touching, opening=False, max_rung=top), rng=0)
        a, b = model.states["A"], model.states["B"]
        assert a.best_fight(b, utility) == best, (touching, top)
        assert a.fight_and_stop(b)[0] == a.fight_and_stop_alone(b)[0] > -math.inf  # one rule for both


def test_reserves_join_their_bases_in_a_war_at_a_distance():
    scenario = apart(reserves=2000, mobilisation_days=0.5, mobilise_at_rung=Rung.THREATS)
    model = EscalationModel(scenario, rng=0, collect=False)
    for _ in range(48):
        model.step()
    assert model.mobilisation["A"].ordered
    assert model.force_total["A"] > 4000  # the reservists arrived (less any losses to strikes)
    assert not model.mobilisation["A"].moving
    base = model.sectors["A_BASE"]
    base.holder = "B"  # its bases lost: reserves go to no ground it does not hold
    model._add_forces(base, "A", -base.forces["A"])
    assert model._muster_point(model.states["A"]) is None


@pytest.mark.parametrize("seed", [0, 1])
def test_deaths_never_negative_and_ground_unchanged_at_a_distance(seed):
    _, model = rungs_held(apart(), seed)
    for sector in model.sectors.values():
        assert sector.holder == sector.owner
        assert sector.control.get(sector.owner, 0.0) == pytest.approx(sector.spec.area_km2)
    assert all(s.military_deaths >= 0 for s in model.states.values())


STAND_OFF_FILE = """
name = "strikes_only"
title = "Two states with no common border exchange strikes"
start = 2030-01-01T00:00:00Z
horizon_hours = 96

[states.A]
name = "Aland"
adversary = "B"
forces = 3000
war_aim = "coercive"
demands = ["stop"]

[states.B]
name = "Bland"
adversary = "A"
forces = 3000
war_aim = "defensive"
concessions = { stop = 5.0 }

[sectors.A_BASE]
name = "A's air bases"
owner = "A"
area_km2 = 100
population = 5000

[sectors.B_CITY]
name = "B's capital"
owner = "B"
area_km2 = 40
population = 400000

[events.open]
hour = 0
kind = "offensive"
actor = "A"
target = "B"
rung = 4
"""


def test_the_cli_validates_and_runs_a_war_at_a_distance(tmp_path):
    path = tmp_path / "strikes_only.toml"
    path.write_text(STAND_OFF_FILE)
    proc = escsim("validate", path)
    assert proc.returncode == 0, proc.stderr
    assert "no front between A–B" in proc.stdout
    proc = escsim("run", path, "--runs", "4", "--workers", "1", "--quiet", "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "summary.txt").exists()
    bad = tmp_path / "artillery.toml"
    bad.write_text(STAND_OFF_FILE.replace("rung = 4", "rung = 3"))
    assert_clean_error(escsim("validate", bad), "events.open.rung", "needs a front")
