"""Civilian harm: flight from threat and deaths from deep strikes (sim/model/harm.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_ground import fight, grid

from sim import load_scenario
from sim.analysis.narrate import STRIKES
from sim.model import harm
from sim.model.escalation import DEFAULT_SCENARIO, EscalationModel
from sim.model.ladder import Rung
from sim.scenario.loading import with_overrides

SEEDS = range(6)


def test_flight_bounds_and_share():
    rng = np.random.default_rng(0)
    assert harm.flight(rng, 1000, 1000, 0.8, 0.0, 0.5) == 0  # no threat, nobody leaves
    assert harm.flight(rng, 200, 1000, 0.8, 1.0, 0.5) == 0  # those left are the stayers
    for _ in range(200):
        n = harm.flight(rng, 1000, 1000, 0.8, 5.0, 10.0)
        assert 0 <= n <= 800  # never more than would ever leave
    mean = np.mean([harm.flight(rng, 10_000, 10_000, 1.0, 1.0, 0.02) for _ in range(300)])
    assert mean == pytest.approx(10_000 * (1 - np.exp(-0.02)), rel=0.05)


def test_strike_deaths_scale_with_density():
    rng = np.random.default_rng(1)
    assert harm.strike_deaths(rng, 0, 10.0, 1e-3) == 0
    assert harm.strike_deaths(rng, 5, 1e-6, 1.0) <= 5  # never more than are there
    dense = np.mean([harm.strike_deaths(rng, 50_000, 10.0, 1e-3) for _ in range(300)])
    sparse = np.mean([harm.strike_deaths(rng, 500, 10.0, 1e-3) for _ in range(300)])
    assert dense == pytest.approx(5.0, rel=0.15) and sparse < 0.2


def _totals(column: str, **overrides) -> list[int]:
    out = []
    for seed in SEEDS:
        m = EscalationModel(DEFAULT_SCENARIO, rng=seed, collect=False, **overrides).run()
        sectors = [s for s in m.sectors.values() if s.owner == "ARM"]
        out.append(sum(getattr(s, column) for s in sectors))
    return out


def test_flight_displaces_ahead_of_fire():
    """With flight on, more people leave than fire alone drives out; off, only fire displaces."""
    on = _totals("displaced")
    off = _totals("displaced", mechanisms__flight=False)
    assert sum(on) > 1.5 * sum(off)
    assert all(a >= b for a, b in zip(on, off, strict=True)) or np.mean(on) > np.mean(off)


def test_strikes_kill_civilians_in_their_footprint():
    """Deep strikes into towns kill civilians only with the strike-harm mechanism on."""
    big = {
        "harm__strike_lethal_area_km2": 5e-3,
        "harm__civilian_death_rate": 0.0,
        "harm__border_fire_spill": 0.0,
    }
    on = _totals("civilian_deaths", **big)
    off = _totals("civilian_deaths", mechanisms__strike_harm=False, **big)
    assert sum(off) == 0 and sum(on) > 0


# --- the strike campaign: its own intensity, and what it aims at ---------------------------------
def _strikes_and_tolls(**overrides) -> tuple[int, int, int]:
    """Deep strikes on Armenia, its civilian and military deaths, summed over the seeds."""
    strikes = civilians = soldiers = 0
    for seed in SEEDS:
        m = EscalationModel(DEFAULT_SCENARIO, rng=seed, collect=False, **overrides).run()
        strikes += m.deep_strikes["ARM"]
        civilians += sum(s.civilian_deaths for s in m.sectors_of["ARM"])
        soldiers += m.states["ARM"].military_deaths
    return strikes, civilians, soldiers


def test_strike_campaign_has_its_own_intensity():
    """Strikes follow the ladder's strike-rate column, not the line's fire rate: with no strike
    campaign at any rung no strike lands though the line is fought as before, and doubling the
    column above the deep-strike rung adds strikes."""
    zero = (0.0,) * 7
    assert _strikes_and_tolls(ladder__strike_rate=zero)[0] == 0
    base = _strikes_and_tolls()[0]
    assert base > 0
    import sim

    lad = sim.load_scenario(DEFAULT_SCENARIO).ladder
    more = tuple(lad.strike_rate[:5]) + tuple(2 * x for x in lad.strike_rate[5:])  # twice above rung 4
    assert _strikes_and_tolls(ladder__strike_rate=more)[0] > base
    # no line fire at the deep-strike rung: strikes still land there
    no_line = tuple(0.0 if r == 4 else x for r, x in enumerate(lad.fire_rate))
    assert _strikes_and_tolls(ladder__fire_rate=no_line)[0] > 0


def test_strikes_aimed_at_towns_kill_civilians_and_at_positions_soldiers():
    """A striker whose strikes are aimed at populated places kills more civilians and fewer
    soldiers than one aiming at military positions (strike_aim_populated)."""
    big = {
        "harm__strike_lethal_area_km2": 2e-3,
        "harm__civilian_death_rate": 0.0,
        "harm__border_fire_spill": 0.0,
    }
    towns = _strikes_and_tolls(states__AZE__strike_aim_populated=1.0, **big)
    positions = _strikes_and_tolls(states__AZE__strike_aim_populated=0.0, **big)
    assert towns[1] > 3 * max(positions[1], 1)
    assert towns[0] > 0 and positions[0] > 0


# --- outrage: own civilian deaths raise the value of hitting back ---------------------------------
def test_outrage_keeps_defenders_fighting():
    """Thailand–Cambodia (two defenders): with outrage on, the fighting lasts longer over the
    same seeds than with it switched off, and a state whose civilians died carries outrage."""
    from pathlib import Path

    import sim
    from sim.analysis.outcomes import outcomes

    path = Path(__file__).resolve().parent.parent / "scenarios" / "crises" / "thailand-cambodia-2025-07.toml"
    scenario = sim.load_scenario(path, {"model.outrage_per_death": 0.03})
    on, off, carried = [], [], 0.0
    for seed in range(16):
        m = EscalationModel(scenario, rng=seed, collect=False).run()
        on.append(outcomes(m)["fighting_hours"])
        carried = max(carried, max(s.outrage for s in m.state_agents))
        m = EscalationModel(scenario, rng=seed, collect=False, mechanisms__outrage=False).run()
        off.append(outcomes(m)["fighting_hours"])
        assert all(s.outrage == 0.0 for s in m.state_agents)
    assert carried > 0.0
    assert np.mean(on) > 1.3 * np.mean(off)
    assert sum(a > b for a, b in zip(on, off, strict=True)) > sum(a < b for a, b in zip(on, off, strict=True))


# --- organised evacuation --------------------------------------------------------------------------
CRISES = Path(__file__).resolve().parent.parent / "scenarios" / "crises"
KGZ_TJK = CRISES / "kyrgyzstan-tajikistan-2022-09.toml"


def test_evacuation_zone_is_heavy_fire_on_fronts_and_all_rear_within_strikes():
    fire = {"A": 0.10, "B": 0.45, "C": 0.55}
    assert harm.evacuation_zone(fire, set(), 0.45) == {"B", "C"}
    assert harm.evacuation_zone(fire, {"R"}, 0.45) == {"B", "C", "R"}
    assert harm.evacuation_zone({}, set(), 0.45) == set()


def _rear_displaced(state: str, **overrides) -> list[int]:
    """Displaced from ``state``'s sectors behind the line (towns), per seed, on Kyrgyzstan–Tajikistan."""
    scenario = load_scenario(KGZ_TJK)
    out = []
    for seed in SEEDS:
        m = EscalationModel(scenario, rng=seed, collect=False, **overrides).run()
        out.append(sum(s.displaced for s in m.sectors.values() if s.owner == state and not s.spec.border))
    return out


def test_a_state_that_evacuates_empties_its_towns_within_reach():
    """Kyrgyzstan's authorities evacuate (a fact of its file): once the enemy strikes deep, its towns
    behind the line are ordered out and empty to `evacuation_share`; with the mechanism off only
    flight from threat (a twentieth of the front's threat there) moves them. Tajikistan's towns, under
    the same strikes but with no order, keep most of their residents."""
    scenario = load_scenario(KGZ_TJK)
    towns = sum(s.population for s in scenario.sectors.values() if s.owner == "KGZ" and not s.border)
    on = _rear_displaced("KGZ")
    off = _rear_displaced("KGZ", mechanisms__evacuation=False)
    assert np.mean(on) > 0.6 * towns and np.mean(on) > 3 * np.mean(off)
    tjk_towns = sum(s.population for s in scenario.sectors.values() if s.owner == "TJK" and not s.border)
    assert np.mean(_rear_displaced("TJK")) < 0.4 * tjk_towns


# --- air defences (``mechanisms.interception``) ---


def _strikes_on_b(air_defence: float, interception: bool = True) -> tuple[int, int, float]:
    """Two days of A's strike campaign on B (B holds its fire): strikes launched at B, the
    civilians killed or driven out behind B's line, and B's losses."""
    scenario = with_overrides(
        grid(cols=3, b_rows=3, air_defence=air_defence), {"mechanisms.interception": interception}
    )
    model = EscalationModel(scenario, 2)
    fight(model, 48, {"A": Rung.DEEP_STRIKES, "B": Rung.THREATS})
    rear = [s for s in model.sectors_of["B"] if not s.spec.border]
    return (
        model.deep_strikes["B"],
        sum(s.civilian_deaths + s.displaced for s in rear),
        model.states["B"].losses,
    )


def test_intercepted_strikes_count_as_launched_but_harm_no_one():
    launched, rear_harm, lost = _strikes_on_b(air_defence=1.0)
    launched_0, rear_harm_0, lost_0 = _strikes_on_b(air_defence=0.0)
    assert launched > 20 and launched_0 > 20
    assert rear_harm == 0 and rear_harm_0 > 0
    assert lost < lost_0  # only the line's fire is left
    assert _strikes_on_b(air_defence=1.0, interception=False) == (launched_0, rear_harm_0, lost_0)


def test_a_defended_state_expects_fewer_losses_from_strikes():
    def expected(air_defence: float) -> float:
        model = EscalationModel(grid(cols=3, b_rows=3, air_defence=air_defence), 1)
        return model.expected_deaths_per_strike(model.states["B"], model.states["A"])

    assert expected(0.0) > 0.0
    assert expected(0.75) == pytest.approx(0.25 * expected(0.0))


def _campaign_on_b(per_day: float | None, hours: int) -> tuple[int, int, float]:
    """A's strike campaign on B for ``hours`` (B holds its fire), with A's launches a day on record
    or not: strikes launched at B, people displaced behind B's line, and B's expected losses per
    unit of A's strike rate."""
    scenario = grid(cols=3, b_rows=3)
    if per_day is not None:
        scenario = with_overrides(scenario, {"states.A.strikes_per_day": per_day})
    model = EscalationModel(scenario, 2)
    expected = model.expected_deaths_per_strike(model.states["B"], model.states["A"])
    for _ in range(hours):
        fight(model, 1, {"A": Rung.DEEP_STRIKES, "B": Rung.THREATS})
        model.flee()
    rear = [s for s in model.sectors_of["B"] if not s.spec.border]
    return model.deep_strikes["B"], sum(s.displaced for s in rear), expected


def test_a_strike_campaign_on_record_sets_its_intensity():
    """A state whose launches are on record (``strikes_per_day``) strikes at that rate, and the
    losses its adversary expects and the flight its strikes drive behind the line scale with it;
    with none on record, the behavioural rate."""
    behavioural = load_scenario(DEFAULT_SCENARIO).combat.deep_strikes_per_hour
    base = _campaign_on_b(None, 96)
    assert _campaign_on_b(24 * behavioural, 96) == base  # the same rate, written as a fact
    strikes, _, expected = _campaign_on_b(3 * 24 * behavioural, 96)
    assert 2.2 * base[0] < strikes < 4.2 * base[0]  # Poisson counts of means 96 and 288
    assert expected == pytest.approx(3 * base[2])
    assert _campaign_on_b(3 * 24 * behavioural, 6)[1] > 2 * _campaign_on_b(None, 6)[1] > 0  # threat, not hits


def test_air_defences_stop_their_share_of_the_strikes():
    model = EscalationModel(grid(cols=3, b_rows=3, air_defence=0.5), 5)
    fight(model, 200, {"A": Rung.DEEP_STRIKES, "B": Rung.THREATS})
    log = model.log.to_frame()
    stopped = log.reason.str.extract(STRIKES.pattern)[1].dropna().astype(int).sum()
    launched = model.deep_strikes["B"]
    assert launched > 150
    assert stopped / launched == pytest.approx(0.5, abs=0.1)


# --- flight behind the line follows the risk to each resident ---


def test_a_strike_displaces_the_ground_it_damages():
    rng = np.random.default_rng(0)
    assert harm.strike_displaced(rng, 0, 0.5) == 0 and harm.strike_displaced(rng, 1000, 0.0) == 0
    assert harm.strike_displaced(rng, 1000, 3.0) == 1000  # the whole sector within its reach
    city = [harm.strike_displaced(rng, 1_000_000, 0.06 / 700) for _ in range(200)]
    town = [harm.strike_displaced(rng, 1_000_000, 0.06 / 20) for _ in range(200)]
    assert np.mean(city) == pytest.approx(1_000_000 * 0.06 / 700, rel=0.1)
    assert np.mean(town) > 30 * np.mean(city)  # a neighbourhood, not a share of the sector
    no_flight = with_overrides(grid(cols=3, b_rows=3), {"mechanisms.flight": False})
    model = EscalationModel(no_flight, 2)
    fight(model, 48, {"A": Rung.DEEP_STRIKES, "B": Rung.THREATS})
    assert sum(s.displaced for s in model.sectors_of["B"] if not s.spec.border) > 0  # the strikes alone


def _rear_share_displaced(area_km2: float) -> float:
    """Share of one town behind B's line displaced by four days of A's strikes on B, with that
    town's ground set to ``area_km2`` (its people and the odds of being struck unchanged)."""
    scenario = with_overrides(grid(cols=3, b_rows=3), {"sectors.S4_2.area_km2": area_km2})
    model = EscalationModel(scenario, 2)
    for _ in range(96):
        fight(model, 1, {"A": Rung.DEEP_STRIKES, "B": Rung.THREATS})
        model.flee()
    town = model.sectors["S4_2"]
    return town.displaced / town.spec.population


def test_flight_behind_the_line_follows_the_risk_to_each_resident():
    """The same people under the same strikes leave far less when spread over twenty times the
    ground: fewer strikes land near each of them (``rear_flight_area_km2`` / the sector's km²)."""
    dense, sparse = _rear_share_displaced(100.0), _rear_share_displaced(2000.0)
    assert dense > 0.01
    assert sparse < 0.2 * dense
