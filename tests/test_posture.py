"""Posture (``mechanisms.posture``): a static front costs soldiers a fraction of an assault.

The rule's pure functions; the ground-only harness of ``test_ground`` (fixed rungs) for where it
acts; and India–Pakistan 2025 (both states' aims stop at the deep-strike rung: a crisis fought by
fire and strikes across a static line), where it cuts the military deaths without ending the
fighting sooner or later.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from test_ground import OFFENSIVE, fight, grid

import sim
from sim.analysis.outcomes import outcomes
from sim.model import combat
from sim.model.escalation import EscalationModel
from sim.model.ladder import Rung
from sim.scenario.loading import with_overrides

ROOT = Path(__file__).resolve().parent.parent
STATIC = {"A": Rung.DEEP_STRIKES, "B": Rung.DEEP_STRIKES}


def test_only_an_assault_exposes_the_soldiers_in_contact_to_the_full_rate():
    for rung in (Rung.SMALL_ARMS, Rung.ARTILLERY, Rung.DEEP_STRIKES):
        assert combat.posture_exposure(rung, 0.1) == 0.1
    for rung in (Rung.GROUND_OFFENSIVE, Rung.FULL_WAR):
        assert combat.posture_exposure(rung, 0.1) == 1.0


def test_the_harm_is_split_not_lost():
    hurt, materiel = combat.split_harm(12.0, 0.25)
    assert (hurt, materiel) == (3.0, 9.0)
    assert combat.split_harm(12.0, 1.0) == (12.0, 0.0)


def deaths_and_losses(rungs: dict[str, int], posture: bool, hours: int = 48, **switches) -> tuple[int, float]:
    """B's soldiers killed and its losses (deaths and materiel) after ``hours`` at fixed rungs."""
    overrides = {"mechanisms.posture": posture, **{f"mechanisms.{k}": v for k, v in switches.items()}}
    scenario = with_overrides(grid(cols=3, b_rows=3), overrides)
    model = EscalationModel(scenario, 1)
    fight(model, hours, rungs)
    return model.states["B"].military_deaths, model.states["B"].losses


def test_a_static_line_kills_fewer_soldiers_but_costs_as_much():
    dead_on, lost_on = deaths_and_losses(STATIC, posture=True)
    dead_off, lost_off = deaths_and_losses(STATIC, posture=False)
    assert dead_on < 0.4 * dead_off
    assert lost_on == pytest.approx(lost_off, rel=0.2)  # the same fire, borne as materiel instead


def test_an_assault_is_as_deadly_as_before():
    dead_on, lost_on = deaths_and_losses(OFFENSIVE, posture=True)
    dead_off, lost_off = deaths_and_losses(OFFENSIVE, posture=False)
    assert dead_on == dead_off and lost_on == lost_off  # posture changes nothing in an assault
    dead, lost = deaths_and_losses(OFFENSIVE, posture=True, deep_strikes=False)
    assert lost == dead > 0  # and the assaulted line costs soldiers only, adapted or not


def test_a_crisis_of_fire_and_strikes_kills_fewer_soldiers_and_lasts_as_long():
    scenario = sim.load_scenario(ROOT / "scenarios/crises/india-pakistan-2025-05.toml")
    off = with_overrides(scenario, {"mechanisms.posture": False})
    runs = range(16)
    on = [outcomes(EscalationModel(scenario, i).run()) for i in runs]
    off_rows = [outcomes(EscalationModel(off, i).run()) for i in runs]

    def median(rows, f):
        return float(np.median([f(row) for row in rows]))

    def dead(row):
        return row["military_deaths.IND"] + row["military_deaths.PAK"]

    def hours(row):
        return row["fighting_hours"]

    assert max(max(r["peak_rung.IND"], r["peak_rung.PAK"]) for r in on) < Rung.GROUND_OFFENSIVE  # static
    assert median(on, dead) < 0.5 * median(off_rows, dead)
    assert median(on, hours) == pytest.approx(median(off_rows, hours), rel=0.35)


# --- adaptation under fire (``mechanisms.adaptation``) ---------------------------------------


def test_adapted_exposure_falls_from_one_towards_its_floor():
    hours = [0, 6, 24, 48, 200]
    values = [combat.adapted_exposure(h, 24.0, 0.5) for h in hours]
    assert values[0] == 1.0
    assert all(a > b for a, b in itertools.pairwise(values))
    assert values[2] == pytest.approx(0.5 + 0.5 * np.exp(-1.0))
    assert values[-1] == pytest.approx(0.5, abs=1e-3)
    assert combat.adapted_exposure(100, 24.0, 1.0) == 1.0  # a floor of 1: no adaptation


def test_an_assault_exposes_adapted_soldiers_all_the_same():
    assert combat.posture_exposure(Rung.DEEP_STRIKES, 0.1, 0.5) == pytest.approx(0.05)
    assert combat.posture_exposure(Rung.GROUND_OFFENSIVE, 0.1, 0.5) == 1.0


def hourly_deaths(adaptation: bool, hours: int = 72) -> tuple[list[int], float]:
    """B's soldiers killed each hour on a static line at fixed rungs, and its losses at the end."""
    scenario = with_overrides(grid(cols=3, b_rows=3), {"mechanisms.adaptation": adaptation})
    model = EscalationModel(scenario, 1)
    dead = []
    for _ in range(hours):
        before = model.states["B"].military_deaths
        fight(model, 1, STATIC)
        dead.append(model.states["B"].military_deaths - before)
    return dead, model.states["B"].losses


def test_soldiers_under_fire_for_days_die_at_a_lower_rate_but_the_fire_costs_as_much():
    on, lost_on = hourly_deaths(adaptation=True)
    off, lost_off = hourly_deaths(adaptation=False)
    assert sum(on[:12]) > 1.5 * sum(on[-12:])  # the first half-day against the third day's last
    assert sum(off[:12]) < 1.5 * sum(off[-12:])  # without it the rate holds
    assert sum(on) < 0.8 * sum(off)
    assert lost_on == pytest.approx(lost_off, rel=0.2)  # the fire escaped is borne as materiel


def test_the_hours_under_fire_count_each_adversary_that_fired():
    model = EscalationModel(grid(cols=3, b_rows=3), 1)
    fight(model, 5, {"A": Rung.DEEP_STRIKES, "B": Rung.THREATS})  # B holds its fire
    assert model.states["B"].hours_under_fire == {"A": 5}
    assert model.states["A"].hours_under_fire == {}
    assert model.adaptation(model.states["B"], model.states["A"]) < 1.0
    assert model.adaptation(model.states["A"], model.states["B"]) == 1.0


def test_soldiers_learn_to_disperse_against_the_strikes_of_the_state_striking_them():
    """A strikes, B holds its fire, the line kills no one: B's strike deaths per hour fall over
    five days with adaptation (to A: whose hours count is B's under A's strikes), not without."""

    def strike_deaths(adaptation: bool) -> list[int]:
        overrides = {
            "mechanisms.adaptation": adaptation,
            "combat.aimed_rate": 0.0,
            "combat.area_rate": 0.0,
            "combat.casualties_per_strike": 5.0,
            "combat.deep_strikes_per_hour": 5.0,
        }
        model = EscalationModel(with_overrides(grid(cols=3, b_rows=3), overrides), 4)
        dead = []
        for _ in range(120):
            before = model.states["B"].military_deaths
            fight(model, 1, {"A": Rung.DEEP_STRIKES, "B": Rung.THREATS})
            dead.append(model.states["B"].military_deaths - before)
        return dead

    on, off = strike_deaths(True), strike_deaths(False)
    assert sum(on[:24]) > 1.35 * sum(on[-24:])  # the first day against the fifth: ≈ 1.6 expected
    assert sum(off[:24]) < 1.25 * sum(off[-24:])
