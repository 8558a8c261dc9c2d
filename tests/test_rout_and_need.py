"""A garrison that breaks under assault (rout) and an alliance invoked by need (ground2).

The rout is tested in the ground-only harness of ``test_ground`` (fixed rungs, only the ground
phase runs); the need for help on the whole baseline, where Armenia is far weaker than Azerbaijan,
and on the same baseline with Armenia made far stronger than its attacker.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_ground import OFFENSIVE, check_invariants, fight, grid

import sim
from sim.model import parties, territory
from sim.model.escalation import EscalationModel
from sim.scenario.loading import with_overrides

ROOT = Path(__file__).resolve().parent.parent


def test_a_garrison_breaks_at_its_breakpoint():
    assert not territory.broken(800.0, 1000.0, 0.3)
    assert territory.broken(700.0, 1000.0, 0.3)
    assert territory.broken(0.0, 1000.0, 0.3)
    assert not territory.broken(0.0, 0.0, 0.3)  # never assaulted: nothing to break
    assert territory.broken(1000.0, 1000.0, 0.0)  # breakpoint 0: it gives way at once


def lopsided(rout: bool):
    """64,000 with twice the drones against 3,000 on a slow-advance front, for three days."""
    scenario = grid(
        cols=3, b_rows=4, a_forces=64000, b_forces=3000, combat_params={"advance_km2_per_hour": 0.08}
    )
    # B, at a twentieth of A's strength, would rather withdraw (test_withdrawal): the rout alone here
    overrides = {"mechanisms.rout": rout, "mechanisms.withdrawal": False}
    model = EscalationModel(with_overrides(scenario, overrides), 1)
    taken = fight(model, 24 * 3, OFFENSIVE)
    check_invariants(model)
    return taken[-1], sum(s.holder == "A" for s in model.sectors_of["B"])


def test_a_lopsided_assault_routs_garrisons_and_moves_the_front():
    km2, sectors = lopsided(rout=True)
    km2_off, sectors_off = lopsided(rout=False)
    assert sectors >= 2 and sectors_off == 0  # without the rout the front stays where it was
    assert km2 > 3 * km2_off


@pytest.mark.parametrize("rule", ["rout", "withdrawal"])
def test_ground_rules_leave_the_balanced_baseline_as_it_was(rule):
    """Sept 2022's garrisons never lose their breakpoint, and Armenia is never hopeless (nobody
    intervened, its believed share stays above the threshold): the same runs, the same ground."""
    scenario = sim.load_scenario(ROOT / "scenarios/sept2022.toml")
    off = with_overrides(scenario, {f"mechanisms.{rule}": False})
    for seed in range(3):
        on_m, off_m = EscalationModel(scenario, seed).run(), EscalationModel(off, seed).run()
        assert {k: s.holder for k, s in on_m.sectors.items()} == {
            k: s.holder for k, s in off_m.sectors.items()
        }
        assert on_m.states["ARM"].military_deaths == off_m.states["ARM"].military_deaths


def test_need_for_help():
    assert parties.need(1.0, 1.0) == 0.0
    assert parties.need(2.0, 1.0) == 1.0 and parties.need(10.0, 1.0) == 1.0
    assert parties.need(0.5, 1.0) == pytest.approx(-0.5)
    assert parties.need(0.0, 1.0) == -1.0
    assert parties.need(3.0, 2.0) == pytest.approx(0.5)


def invoked_share(overrides: dict, runs: int = 20) -> float:
    scenario = with_overrides(sim.load_scenario(ROOT / "scenarios/sept2022.toml"), overrides)
    return float(np.mean([EscalationModel(scenario, i).run().alliances["CSTO"].invoked for i in range(runs)]))


def test_a_strong_member_rarely_invokes_and_a_weak_one_does():
    """Armenia (about a third of Azerbaijan's strength) invokes the CSTO in most runs; made five times
    as strong it rarely does — unless need is switched off, when it still asks in many runs."""
    strong = {"states.ARM.forces": 50000, "states.ARM.drones": 4.0}
    assert invoked_share({}) > 0.8
    assert invoked_share(strong) < 0.2
    assert invoked_share({**strong, "mechanisms.invocation_need": False}) > 0.4
