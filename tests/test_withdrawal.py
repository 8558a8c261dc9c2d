"""A defender that gives up ground it cannot hold (withdrawal, ODD §7.5).

The rule in isolation (``territory.hopeless``); in the ground-only harness of ``test_ground``: a
hopelessly outmatched defender pulls back behind the line, sector after sector, and stands where it
has nothing behind it, while a weaker-but-not-hopeless one fights as before; on the crises: Georgia
2008 gives up the sectors Russia's assaults break into once Russia intervenes, Sept 2022 is
unchanged. And the civilians still in ground the enemy enters (occupation violence).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from test_ground import OFFENSIVE, check_invariants, fight, grid

import sim
from sim.analysis.outcomes import outcomes
from sim.model import harm, territory
from sim.model.escalation import EscalationModel
from sim.scenario.loading import with_overrides

ROOT = Path(__file__).resolve().parent.parent


def test_a_theatre_is_hopeless_below_the_share_or_once_an_intervener_fights():
    assert territory.hopeless(5.0, 100.0, 0.1, False)  # a twenty-first of the strength
    assert not territory.hopeless(20.0, 80.0, 0.1, False)  # a fifth: it holds
    assert territory.hopeless(80.0, 20.0, 0.1, True)  # a great power has come in against it
    assert not territory.hopeless(0.0, 0.0, 0.1, False)  # nobody to fight


def ground(b_forces: float, withdrawal: bool, hours: int = 48):
    """A (64,000, twice the drones) attacks B on a 3-wide, 4-deep theatre for two days."""
    scenario = grid(cols=3, b_rows=4, a_forces=64000, b_forces=b_forces)
    model = EscalationModel(with_overrides(scenario, {"mechanisms.withdrawal": withdrawal}), 1)
    fight(model, hours, OFFENSIVE)
    check_invariants(model)
    return model


def test_a_hopeless_defender_falls_back_to_its_last_line_and_keeps_its_army():
    on, off = ground(3000, True), ground(3000, False)
    held = lambda m: [s for s in m.sectors_of["B"] if s.holder == "B"]  # noqa: E731
    # it withdraws row after row until nothing is behind it: there it stands
    assert {s.id[:2] for s in held(on)} == {"S5"} and len(held(on)) == 3
    assert len(held(off)) > 3
    assert on.states["B"].military_deaths < off.states["B"].military_deaths  # the army is kept


def test_a_defender_that_is_not_hopeless_fights_as_before():
    on, off = ground(40000, True), ground(40000, False)
    assert {k: s.holder for k, s in on.sectors.items()} == {k: s.holder for k, s in off.sectors.items()}


def georgia(withdrawal: bool, runs: int = 6) -> list[dict]:
    scenario = sim.load_scenario(ROOT / "scenarios/crises/russia-georgia-2008-08.toml")
    scenario = with_overrides(scenario, {"mechanisms.withdrawal": withdrawal})
    return [outcomes(EscalationModel(scenario, seed, collect=False).run()) for seed in range(runs)]


def test_georgia_gives_up_the_ground_russia_breaks_into():
    """Once Russia intervenes Georgia withdraws from the sectors its assaults break into: the order
    of 10³ km² reported, and more displaced; without the withdrawal it loses almost nothing."""
    on, off = georgia(True), georgia(False)
    lost_on = np.median([o["territory_lost_km2.GEO"] for o in on])
    lost_off = np.median([o["territory_lost_km2.GEO"] for o in off])
    assert 300 <= lost_on <= 3000 and lost_off < 100
    assert np.median([o["displaced.GEO"] for o in on]) > np.median([o["displaced.GEO"] for o in off])


def test_a_client_counts_its_patron_and_its_co_belligerents_on_its_side():
    scenario = sim.load_scenario(ROOT / "scenarios/crises/russia-georgia-2008-08.toml")
    model = EscalationModel(scenario, 0, collect=False)
    assert [s.id for s in model.states["SOS"].side()] == ["SOS", "RUS", "ABK"]
    assert [s.id for s in model.states["GEO"].side()] == ["GEO"]


def test_occupation_deaths_are_a_binomial_share_of_those_still_there():
    rng = np.random.default_rng(0)
    assert harm.occupation_deaths(rng, 0, 0.5) == 0 and harm.occupation_deaths(rng, 1000, 0.0) == 0
    assert harm.occupation_deaths(rng, 1000, 1.0) == 1000
    draws = [harm.occupation_deaths(rng, 10000, 0.02) for _ in range(200)]
    assert abs(np.mean(draws) - 200) < 5


def test_civilians_left_in_ground_the_enemy_takes_are_killed():
    """occupation_violence: Georgia's civilian deaths, most of them in the villages Russia and South
    Ossetia enter, fall to a third with the switch off."""
    on = georgia(True)
    scenario = sim.load_scenario(ROOT / "scenarios/crises/russia-georgia-2008-08.toml")
    off = with_overrides(scenario, {"mechanisms.occupation_violence": False})
    off = [outcomes(EscalationModel(off, seed, collect=False).run()) for seed in range(6)]
    dead_on = np.median([o["civilian_deaths.GEO"] for o in on])
    dead_off = np.median([o["civilian_deaths.GEO"] for o in off])
    assert dead_on > 2 * dead_off and 100 < dead_on < 500


def test_a_garrison_withdraws_only_to_its_own_ground_next_to_it():
    """No garrison crosses the country: it falls back to the sectors next to it that its state holds
    behind the line; one cut off from them stands."""
    scenario = sim.load_scenario(ROOT / "scenarios/crises/russia-georgia-2008-08.toml")
    model = EscalationModel(scenario, 1)
    model.refresh_wars()
    sectors = model.sectors
    assert [s.id for s in model.fallback(sectors["AKHALGORI"], "GEO", "SOS")] == ["TBILISI_BASES"]
    assert model.fallback(sectors["UPPER_KODORI"], "GEO", "ABK") == []  # no Georgian ground beside it


def test_a_state_retaking_its_own_ground_does_not_kill_its_own_people():
    """Occupation violence is against the enemy's civilians: Armenia retaking a sector of its own
    that Azerbaijan held kills nobody there, even were every remaining resident at risk."""
    scenario = sim.load_scenario(ROOT / "scenarios/sept2022.toml", {"harm.occupation_violence_share": 1.0})
    model = EscalationModel(scenario, 1)
    line = model.sectors["GEGHARKUNIK_LINE"]
    line.holder = "AZE"
    line.control = {"AZE": line.spec.area_km2}
    model._capture(model.states["ARM"], model.sectors["SOTK"], line, model.states["AZE"])
    assert line.holder == "ARM" and line.residents > 0 and line.civilian_deaths == 0
